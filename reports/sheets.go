package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ctathena/ctathena/engine"
	"github.com/xuri/excelize/v2"
)

// writeCover lists everything that identifies the run: case, tool and
// engine, sources, window, every parameter, notes and credits.
func (w *writer) writeCover(f *excelize.File, st *styles) error {
	b := w.b
	g := w.newGrid(f, st, sheetCover, []float64{34, 80}, []bool{true, true})
	g.title("ctathena evidence report: how it was produced", "The case, the tool and engine, the logs read, the window and every parameter of the command.")
	kv := func(k string, v any) { g.line(styled{k, st.bold}, v) }
	g.section("Case")
	status, ok := w.statusLine()
	if ok {
		kv("Status", styled{status, st.wrap})
	} else {
		kv("Status", styled{status, st.statusBad})
	}
	kv("Case", b.Case)
	kv("Examiner", b.Examiner)
	kv("Marking", w.marking())
	kv("Command", b.Command)
	kv("Generated at (UTC)", b.GeneratedAt)
	kv("Tool version", b.ToolVersion)
	kv("Tool commit", b.ToolCommit)
	kv("Engine", b.Engine)
	kv("Engine version", b.EngineVersion)
	kv("Window since (UTC)", b.Since)
	kv("Window until (UTC, not included)", b.Until)
	for i, s := range b.Sources {
		kv(label(i, "Source"), s)
	}
	inv := b.Invocation
	g.section("Invocation (chain of custody)")
	kv("Command line", strings.Join(inv.CommandLine, " "))
	kv("Host", inv.Host)
	kv("Operating-system user", inv.User)
	kv("Started (UTC)", inv.Start)
	kv("Finished (UTC)", inv.End)
	g.section("Parameters")
	if len(b.Params) == 0 {
		kv("(none)", "")
	}
	for _, p := range b.Params {
		kv(p.Name, p.Value)
	}
	g.section("Coverage")
	c := b.Coverage
	kv("Accounts", int64(len(c.Accounts)))
	kv("Regions", int64(len(c.Regions)))
	kv("Days with logs", int64(len(c.Days)))
	kv("Days with no logs", int64(len(c.MissingDays)))
	kv("Files read", int64(c.FilesRead))
	kv("Files pruned (outside the window, or not needed: see Coverage)", int64(c.FilesPruned))
	kv("Files skipped (unreadable)", int64(len(c.Skipped)))
	kv("Source files hashed (SHA-256 in manifest.json)", int64(c.Files.Len()))
	kv("Events", c.Events)
	kv("Duplicate deliveries (of the events loaded)", c.DuplicateEvents)
	if c.EventsNotLoaded > 0 {
		kv("Events not needed by these queries (not loaded)", c.EventsNotLoaded)
	}
	kv("Log integrity", w.integrityText())
	if len(b.Notes) > 0 {
		g.section("Notes")
		for _, n := range b.Notes {
			g.line(nil, n)
		}
	}
	if len(b.Credits) > 0 {
		g.section("Credits")
		for _, n := range b.Credits {
			g.line(nil, n)
		}
	}
	g.line()
	g.span("The SHA-256 of every file of the bundle is on the Evidence files sheet.", 0)
	return g.done("write cover sheet", 0, 0)
}

// Evidence files sheet layout: verify reads the hashes back from it.
const (
	evidenceFileCol = 1
	evidenceHashCol = 2
)

// writeEvidence lists the SHA-256 of every CSV and SQL file, whole names
// and hashes wrapped, never clipped.
func (w *writer) writeEvidence(f *excelize.File, st *styles, evidence []ManifestFile) error {
	g := w.newGrid(f, st, sheetEvidence, []float64{44, 66, 14}, []bool{true, true, false})
	g.title("Evidence files", "The SHA-256 of every results (CSV) and query (SQL) file of this bundle. The hashes of report.xlsx and manifest.json are in SHA256SUMS; "+
		"`ctathena verify` checks every hash, including the ones shown here. The SHA-256 of every source log file read is in manifest.json (coverage.files).")
	g.header("File", "SHA-256", "Bytes")
	head := g.row
	g.freezeHeader()
	for _, e := range evidence {
		g.line(e.Path, e.SHA256, e.Bytes)
	}
	return g.done("write evidence files sheet", head, head)
}

// findingEvents shows up to three event ids, then how many more.
func findingEvents(fd Finding) string {
	ids := fd.EventIDs
	if len(ids) == 0 {
		for _, e := range fd.Events {
			if e.EventID != "" {
				ids = append(ids, e.EventID)
			}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	shown := ids[:min(3, len(ids))]
	s := strings.Join(shown, "\n")
	if len(ids) > len(shown) {
		s += fmt.Sprintf("\nand %s more (all on the Timeline)", groupThousands(int64(len(ids)-len(shown))))
	}
	return s
}

func (w *writer) writeFindings(f *excelize.File, st *styles) error {
	// Columns no finding fills are left out, so the sentences get the room.
	var hasTime, hasEvents, hasAttack bool
	for _, fd := range w.findings {
		hasTime = hasTime || !fd.Time.IsZero()
		hasEvents = hasEvents || findingEvents(fd) != ""
		hasAttack = hasAttack || len(fd.Attack) > 0
	}
	type column struct {
		head  string
		width float64
		wrap  bool
		value func(i int, fd Finding, sheet string) any
	}
	cols := []column{
		{"#", 5, false, func(i int, _ Finding, _ string) any { return styled{int64(i + 1), st.topInt} }},
		{"Severity", 10, false, func(_ int, fd Finding, _ string) any {
			return styled{strings.ToLower(fd.Severity), st.severity(fd.Severity)}
		}},
	}
	if hasTime {
		cols = append(cols, column{"When (UTC)", 25, false, func(_ int, fd Finding, _ string) any { return styled{fd.Time, st.topTS} }})
	}
	cols = append(cols, column{"Finding", 62, true, func(_ int, fd Finding, _ string) any { return fd.Text }})
	if hasEvents {
		cols = append(cols, column{"Events it rests on", 38, true, func(_ int, fd Finding, _ string) any { return findingEvents(fd) }})
	}
	if hasAttack {
		cols = append(cols, column{"ATT&CK", 14, true, func(_ int, fd Finding, _ string) any { return strings.Join(fd.Attack, ", ") }})
	}
	// A sheet name has up to 31 characters and no space to wrap at.
	cols = append(cols, column{"Details", 32, true, func(_ int, fd Finding, sheet string) any {
		if len(fd.Sources) > 0 {
			return strings.TrimSpace(sheet + "\n(from " + strings.Join(fd.Sources, ", ") + ")")
		}
		return sheet
	}})
	if !hasTime && !hasEvents && !hasAttack {
		cols[len(cols)-2].width = 90
	}
	var ws []float64
	var wrap []bool
	var heads []string
	textCol := 0
	for i, c := range cols {
		ws, wrap, heads = append(ws, c.width), append(wrap, c.wrap), append(heads, c.head)
		if c.head == "Finding" {
			textCol = i
		}
	}
	g := w.newGrid(f, st, sheetFindings, ws, wrap)
	g.title("Findings", "Each finding in plain words, most serious first (high, medium, low, info), then in time order. The severities are defined in the Glossary; the events are on the Timeline.")
	g.header(heads...)
	head := g.row
	g.freezeHeader()
	if status, ok := w.statusLine(); !ok {
		// An incomplete answer says so in the first Findings row, above
		// every finding, so no reader takes what follows as the whole.
		vals := make([]any, len(cols))
		for c, col := range cols {
			switch col.head {
			case "#":
				vals[c] = styled{"!", st.statusBad}
			case "Severity":
				vals[c] = styled{"high", st.severity("high")}
			case "Finding":
				vals[c] = styled{status, st.statusBad}
			}
		}
		g.line(vals...)
	}
	for i, fd := range w.findings {
		sheet := ""
		if qi := w.queryIndex(fd.Query); qi >= 0 {
			sheet = w.sheet[qi][0]
		}
		vals := make([]any, len(cols))
		for c, col := range cols {
			vals[c] = col.value(i, fd, sheet)
		}
		g.line(vals...)
		if sheet != "" && g.err == nil {
			cell, _ := excelize.CoordinatesToCellName(len(cols), g.row)
			g.err = f.SetCellHyperLink(sheetFindings, cell, sheetRef(sheet)+"!A1", "Location")
		}
	}
	blank := make([]any, textCol)
	if len(w.findings) == 0 && len(w.b.Incomplete) == 0 {
		// "No findings" is said only of a complete answer.
		g.line(append(blank, "No findings.")...)
	}
	for _, ch := range w.b.Charts {
		g.row++
		// Each chart starts a page, so none is cut in two.
		if g.err == nil {
			g.err = f.InsertPageBreak(sheetFindings, "A"+strconv.Itoa(g.row))
		}
		title := w.chartTitle(ch)
		g.line(append(blank, styled{title, st.bold})...)
		msg, chart := w.chart(ch, title)
		if chart != nil {
			// The chart fits in the columns from the sentences on, so it
			// never prints on a page of its own to the right.
			chart.Dimension.Width = uint(min(900, printWidth(g.ws[textCol:])/0.75*0.95))
		}
		g.line(append(blank, msg)...)
		if chart == nil || g.err != nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(textCol+1, g.row+1)
		if err := f.AddChart(sheetFindings, cell, chart); err != nil {
			g.line(append(blank, "chart not drawn: "+err.Error())...)
			continue
		}
		g.row += 22
	}
	return g.done("write findings sheet", head, head)
}

// chartTitle says whose activity a chart shows.
func (w *writer) chartTitle(ch Chart) string {
	t := oneLine(ch.Title)
	if s := w.subject(); s != "" {
		t += " — " + s
	}
	return t + fmt.Sprintf(", %s to %s", stamp(w.b.Since), stamp(w.b.Until))
}

// chart builds an excelize chart over a query sheet, or says why it cannot.
func (w *writer) chart(ch Chart, title string) (string, *excelize.Chart) {
	qi := w.queryIndex(ch.Query)
	if qi < 0 {
		return "chart not drawn: no query named " + ch.Query + " in this report", nil
	}
	q := &w.b.Queries[qi]
	cat, val := -1, -1
	for i, c := range q.Columns {
		if c.Name == ch.CategoryColumn {
			cat = i
		}
		if c.Name == ch.ValueColumn {
			val = i
		}
	}
	if cat < 0 || val < 0 {
		return fmt.Sprintf("chart not drawn: query %s has no column %s or %s", ch.Query, ch.CategoryColumn, ch.ValueColumn), nil
	}
	if t := q.Columns[val].Type; t != engine.Integer && t != engine.Float {
		return fmt.Sprintf("chart not drawn: column %s of %s is not numeric", ch.ValueColumn, ch.Query), nil
	}
	n := min(len(q.Rows), ChartMaxRows)
	if n == 0 {
		return "chart not drawn: query " + ch.Query + " returned no rows", nil
	}
	sheet := sheetRef(w.sheet[qi][0])
	catCol, _ := excelize.ColumnNumberToName(cat + 1)
	valCol, _ := excelize.ColumnNumberToName(val + 1)
	kind := excelize.Bar
	if ch.Kind == "line" {
		kind = excelize.Line
	}
	valHead, catHead := heading(q.Columns[val]), heading(q.Columns[cat])
	msg := fmt.Sprintf("From sheet %s: %s by %s, the first %d of %s rows.", w.sheet[qi][0], strings.ToLower(valHead), strings.ToLower(catHead), n, groupThousands(int64(len(q.Rows))))
	numFmt := "#,##0"
	if strings.Contains(strings.ToLower(ch.ValueColumn), "bytes") {
		numFmt = bytesFormat
	}
	axisFont := *font(bodyPt, false, "000000")
	first, last := queryHeadRows+1, queryHeadRows+n
	// A line chart's categories are times: slanted, they stay on one line.
	rotation := 0
	if kind == excelize.Line {
		rotation = -45
	}
	return msg, &excelize.Chart{
		Type: kind,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("%s!$%s$%d", sheet, valCol, queryHeadRows),
			Categories: fmt.Sprintf("%s!$%s$%d:$%s$%d", sheet, catCol, first, catCol, last),
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", sheet, valCol, first, valCol, last),
		}},
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title, Font: font(12, true, "000000")}}},
		Legend: excelize.ChartLegend{Position: "none"},
		XAxis:  excelize.ChartAxis{Font: axisFont, ReverseOrder: kind == excelize.Bar, Alignment: excelize.Alignment{TextRotation: rotation}, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: catHead, Font: &axisFont}}}},
		YAxis: excelize.ChartAxis{Font: axisFont, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: numFmt},
			Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: valHead, Font: &axisFont}}}},
		Dimension: excelize.ChartDimension{Width: 900, Height: 420},
	}
}

// writeQueries lists every query as a form: what it is, where its rows
// are, how it ran, its parameters and its SQL line by line (each line
// wraps in its cell); then the column headings' engine names.
func (w *writer) writeQueries(f *excelize.File, st *styles) error {
	g := w.newGrid(f, st, sheetQueries, []float64{26, 92}, []bool{true, true})
	g.title("Queries", "Every query exactly as it ran: first one line each, and the column headings' engine names; then, in full, its parameters in placeholder order, its SQL, how long it took, the data it scanned and what it cost. The same SQL is in the queries folder. "+
		"PRINTED IN PART: the queries in full, below the column headings, do not print; they are on this sheet in the workbook, and their SQL in the queries folder.")
	kv := func(k string, v any) { g.line(styled{k, st.bold}, v) }
	g.section("The queries, one line each")
	for i, q := range w.b.Queries {
		state := strings.ToLower(q.Stats.State)
		switch {
		case q.Derived:
			state = "derived by the investigation"
		case state == "":
			state = "state unknown"
		}
		line := fmt.Sprintf("%s; %s %s on sheet %s (results file %s). What it lists: %s.", strings.ToUpper(state[:1])+state[1:],
			groupThousands(int64(len(q.Rows))), plural(len(q.Rows), "row", "rows"), strings.Join(w.sheet[i], ", "), w.csvs[i], strings.TrimSuffix(q.Summary, "."))
		if q.Err != "" {
			g.line(styled{fmt.Sprintf("%d. %s", i+1, q.Name), st.bold}, styled{line + " Error: " + q.Err, st.statusBad})
			continue
		}
		g.line(styled{fmt.Sprintf("%d. %s", i+1, q.Name), st.bold}, line)
	}
	w.queryHeadings(g)
	printed := g.row
	g.row++
	if g.err == nil {
		g.err = f.InsertPageBreak(sheetQueries, "A"+strconv.Itoa(g.row+1))
	}
	g.section("The queries in full")
	for i, q := range w.b.Queries {
		g.section(fmt.Sprintf("%d. %s", i+1, q.Name))
		kv("Summary", q.Summary)
		kv("Sheets", strings.Join(w.sheet[i], ", "))
		kv("Results file", w.csvs[i])
		if q.Derived {
			kv("SQL", "(derived by the investigation; no SQL)")
		} else {
			kv("SQL file", w.sqls[i])
		}
		kv("Execution ID", q.Stats.ExecutionID)
		kv("State", q.Stats.State)
		kv("Submitted (UTC)", q.Stats.Submitted)
		kv("Completed (UTC)", q.Stats.Completed)
		kv("Elapsed (seconds)", q.Stats.Elapsed.Seconds())
		kv("Bytes scanned", q.Stats.BytesScanned)
		kv("Cost (USD)", q.Stats.CostUSD)
		if q.Stats.ExecutionID != "" && q.Stats.EstimatedBytes >= 0 {
			kv("Estimated bytes (before the run)", q.Stats.EstimatedBytes)
		}
		kv("Rows", int64(len(q.Rows)))
		if q.Err != "" {
			kv("Error", styled{q.Err, st.statusBad})
		}
		for j, p := range q.Params {
			kv(label(j, "Parameters (in order)"), text{fmt.Sprintf("%d. %s = %s", j+1, p.Name, p.Value), w.sqls[i]})
		}
		if !q.Derived {
			for j, l := range strings.Split(strings.TrimRight(q.SQL, "\n"), "\n") {
				kv(label(j, "SQL as run"), text{l, w.sqls[i]})
			}
		}
	}
	if g.err == nil {
		g.err = setPrintArea(f, sheetQueries, 2, printed)
	}
	return g.done("write queries sheet", 0, 0)
}

// queryHeadings lists each human column heading with its engine names.
func (w *writer) queryHeadings(g *grid) {
	g.section("Column headings on the query sheets")
	g.header("Heading on the sheet", "Column name in the results files (CSV) and the SQL")
	seen := map[string][]string{}
	for _, q := range w.b.Queries {
		for _, c := range q.Columns {
			h := heading(c)
			if !contains(seen[h], c.Name) {
				seen[h] = append(seen[h], c.Name)
			}
		}
	}
	hs := make([]string, 0, len(seen))
	for h := range seen {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	for _, h := range hs {
		g.line(h, strings.Join(seen[h], ", "))
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (w *writer) writeCoverage(f *excelize.File, st *styles) error {
	c := w.b.Coverage
	g := w.newGrid(f, st, sheetCoverage, []float64{60, 44, 20, 14}, []bool{true, true, true, false})
	g.title("Coverage", "What the logs held and what was read: accounts, regions, days, files, and the data each query scanned.")
	kv := func(k string, v any) { g.line(styled{k, st.bold}, v) }
	var bytes int64
	var cost float64
	for _, q := range w.b.Queries {
		bytes += q.Stats.BytesScanned
		cost += q.Stats.CostUSD
	}
	kv("Accounts", int64(len(c.Accounts)))
	kv("Regions", int64(len(c.Regions)))
	kv("Days with logs", int64(len(c.Days)))
	kv("Days with no logs (in the period read: the window, and any baseline before it)", int64(len(c.MissingDays)))
	kv("Files read", int64(c.FilesRead))
	kv("Files pruned (outside the window, or not needed: see Sources)", int64(c.FilesPruned))
	kv("Files skipped (unreadable)", int64(len(c.Skipped)))
	kv("Source files hashed (SHA-256 and size in manifest.json)", int64(c.Files.Len()))
	kv("Events", c.Events)
	kv("Duplicate deliveries (same eventID, of the events loaded)", c.DuplicateEvents)
	kv("Events not needed by these queries (not loaded; see Sources)", c.EventsNotLoaded)
	kv("Bytes scanned (all queries)", bytes)
	kv("Cost (USD, all queries)", cost)
	list := func(title string, xs []string) {
		g.section(title)
		if len(xs) == 0 {
			g.line("(none)")
		}
		for _, x := range xs {
			g.line(x)
		}
	}
	g.section("Log integrity")
	if len(w.b.Integrity) == 0 {
		g.line(w.integrityText())
	}
	for _, l := range w.b.Integrity {
		g.line(l)
	}
	list("Sources", c.Sources)
	list("Accounts", c.Accounts)
	list("Regions", c.Regions)
	list("Days with no logs", c.MissingDays)
	g.section("Files skipped and why")
	g.header("File", "Reason")
	if len(c.Skipped) == 0 {
		g.line("(none)")
	}
	for _, s := range c.Skipped {
		g.line(s.Path, s.Reason)
	}
	if len(c.NotCloudTrail) > 0 {
		g.section("Files that are not CloudTrail logs (not read)")
		g.header("File", "Why")
		for _, s := range c.NotCloudTrail {
			g.line(s.Path, s.Reason)
		}
	}
	g.section("Data scanned per query")
	g.header("Query", "Execution ID", "Bytes scanned", "Cost (USD)")
	for _, q := range w.b.Queries {
		g.line(q.Name, q.Stats.ExecutionID, q.Stats.BytesScanned, q.Stats.CostUSD)
	}
	list("Days with logs", c.Days)
	return g.done("write coverage sheet", 0, 0)
}
