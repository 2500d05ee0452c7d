package reports

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctathena/ctathena/engine"
	"github.com/xuri/excelize/v2"
)

// maxSheetRows is Excel's row limit. A variable so tests can exercise the
// rollover to a next sheet without writing a million rows.
var maxSheetRows = excelize.TotalRows

// ChartMaxRows is how many rows of a query a chart draws (the first ones;
// the queries that feed charts are sorted, largest first).
const ChartMaxRows = 25

// maxColWidth caps a column's width (in characters) so one long user agent
// does not make a sheet unreadable; the whole value is still in the cell.
const maxColWidth = 60

// Fixed sheet names.
const (
	sheetCover    = "Cover"
	sheetFindings = "Findings"
	sheetQueries  = "Queries"
	sheetCoverage = "Coverage"
)

// tsFormat shows timestamps as dates and says they are UTC.
const tsFormat = `yyyy-mm-dd hh:mm:ss "UTC"`

type styles struct {
	header, ts, integer, float, wrap, bold, title int
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{}
	tsf := tsFormat
	floatf := "#,##0.########"
	for _, x := range []struct {
		dst *int
		st  *excelize.Style
	}{
		{&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}}},
		{&s.ts, &excelize.Style{CustomNumFmt: &tsf}},
		{&s.integer, &excelize.Style{NumFmt: 3}},
		{&s.float, &excelize.Style{CustomNumFmt: &floatf}},
		{&s.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.bold, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&s.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
	} {
		id, err := f.NewStyle(x.st)
		if err != nil {
			return nil, fmt.Errorf("create cell style: %w", err)
		}
		*x.dst = id
	}
	return s, nil
}

// writeWorkbook builds report.xlsx. evidence are the CSV and SQL files
// already written, whose hashes go on the cover.
func (w *writer) writeWorkbook(out io.Writer, evidence []ManifestFile) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetCover); err != nil {
		return fmt.Errorf("name cover sheet: %w", err)
	}
	if _, err := f.NewSheet(sheetFindings); err != nil {
		return fmt.Errorf("add findings sheet: %w", err)
	}
	namer := newSheetNamer(sheetCover, sheetFindings, sheetQueries, sheetCoverage)
	per := maxSheetRows - 1
	for i := range w.b.Queries {
		q := &w.b.Queries[i]
		widths := columnWidths(q)
		parts := (len(q.Rows) + per - 1) / per
		if parts == 0 {
			parts = 1
		}
		for p := 1; p <= parts; p++ {
			name := namer.name(q.Name, p)
			w.sheet[i] = append(w.sheet[i], name)
			from := (p - 1) * per
			to := min(from+per, len(q.Rows))
			if err := w.writeQuerySheet(f, st, name, i, from, to, widths); err != nil {
				return fmt.Errorf("write sheet %q for %s: %w", name, q.Name, err)
			}
		}
	}
	for _, name := range []string{sheetQueries, sheetCoverage} {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
	}
	for _, step := range []func(*excelize.File, *styles) error{
		func(f *excelize.File, st *styles) error { return w.writeCover(f, st, evidence) },
		w.writeFindings,
		w.writeQueries,
		w.writeCoverage,
	} {
		if err := step(f, st); err != nil {
			return err
		}
	}
	// Every sheet prints one page wide, as many pages long as it needs.
	for _, name := range []string{sheetCover, sheetFindings, sheetQueries, sheetCoverage} {
		orientation := "portrait"
		if name == sheetQueries || name == sheetFindings {
			orientation = "landscape"
		}
		if err := printOnePageWide(f, name, orientation); err != nil {
			return err
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:   "ctathena evidence report" + strings.TrimSpace(" "+oneLine(w.b.Case)),
		Creator: "ctathena " + oneLine(w.b.ToolVersion),
		Created: w.b.GeneratedAt.UTC().Format(time.RFC3339),
		// Modified too, or excelize stamps the wall clock and the bytes
		// would differ between identical runs.
		Modified: w.b.GeneratedAt.UTC().Format(time.RFC3339),
	}); err != nil {
		return fmt.Errorf("set document properties: %w", err)
	}
	f.SetActiveSheet(0)
	tmp, err := os.CreateTemp("", "ctathena-report-*.xlsx")
	if err != nil {
		return fmt.Errorf("save workbook: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	// excelize's Write assembles the whole zip in a bytes.Buffer (hundreds
	// of MiB for a million-row sheet) at its default, slow compression.
	// Handing it our own zip writer on a temporary file keeps memory flat
	// and lets us pick the fast deflate level; the buffer it passes stays
	// empty.
	zw := zip.NewWriter(tmp)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if err := f.Write(io.Discard); err != nil {
		return fmt.Errorf("save workbook: %w", err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("save workbook: %w", err)
	}
	return canonicalZip(tmp, size, out)
}

func oneLine(s string) string {
	return cellText(strings.Join(strings.Fields(s), " "), func() string { return ManifestName })
}

// columnWidths sizes each column to its longest value (capped), from the
// header and every row.
func columnWidths(q *QueryRun) []float64 {
	ws := make([]int, len(q.Columns))
	for i, c := range q.Columns {
		ws[i] = utf8.RuneCountInString(c.Name) + 3 // room for the filter button
	}
	for _, row := range q.Rows {
		for i, v := range row {
			if i >= len(ws) || ws[i] >= maxColWidth {
				continue
			}
			n := 0
			switch v := v.(type) {
			case string:
				if len(v) >= maxColWidth*4 {
					n = maxColWidth
				} else {
					n = utf8.RuneCountInString(v)
				}
			case int64:
				n = len(groupThousands(v))
			case float64:
				n = len(strconv.FormatFloat(v, 'g', -1, 64)) + 2
			case time.Time:
				n = 24
			case bool:
				n = 5
			}
			ws[i] = max(ws[i], n)
		}
	}
	out := make([]float64, len(ws))
	for i, n := range ws {
		out[i] = float64(min(max(n+1, 8), maxColWidth))
	}
	return out
}

// writeQuerySheet streams rows [from, to) of query qi into sheet name.
func (w *writer) writeQuerySheet(f *excelize.File, st *styles, name string, qi, from, to int, widths []float64) error {
	q := &w.b.Queries[qi]
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	ncol := len(q.Columns)
	if ncol > 0 {
		last, _ := excelize.CoordinatesToCellName(ncol, max(to-from+1, 2))
		// Set before the stream writer takes the sheet over: it writes the
		// worksheet's autoFilter element as it stood then.
		if err := f.AutoFilter(name, "A1:"+last, nil); err != nil {
			return fmt.Errorf("set autofilter: %w", err)
		}
	}
	// Also while the sheet is empty, and after AutoFilter, which replaces
	// the sheet properties: the stream writer carries these parts through.
	if err := printOnePageWide(f, name, "landscape"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("set column width: %w", err)
		}
	}
	if ncol == 0 {
		msg := "no columns"
		if q.Err != "" {
			msg = "FAILED: " + q.Err
		}
		if err := sw.SetRow("A1", []any{excelize.Cell{Value: cellText(msg, func() string { return ManifestName })}}); err != nil {
			return err
		}
		return sw.Flush()
	}
	buf := make([]any, ncol)
	for i, c := range q.Columns {
		buf[i] = excelize.Cell{StyleID: st.header, Value: cellText(c.Name, func() string { return w.csvs[qi] + " header" })}
	}
	if err := sw.SetRow("A1", buf); err != nil {
		return err
	}
	for r := from; r < to; r++ {
		row := q.Rows[r]
		for i := range buf {
			buf[i] = nil
			if i < len(row) {
				buf[i] = w.cellValue(st, qi, r, i, row[i])
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(r-from+2), buf); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// cellValue types one result value for a query sheet. Text is always an
// inline string cell (never a formula, whatever it starts with).
func (w *writer) cellValue(st *styles, qi, r, c int, orig any) any {
	switch v := orig.(type) {
	case nil:
		return nil
	case string:
		// The common case: nothing to escape or clip, so hand back the
		// value already boxed instead of allocating a new interface.
		if len(v) <= maxCellChars && !needsEscape(v) {
			return orig
		}
		return w.queryText(qi, r, c, v)
	case int64:
		if v > maxExactInt || v < -maxExactInt {
			return strconv.FormatInt(v, 10)
		}
		return excelize.Cell{StyleID: st.integer, Value: v}
	case int:
		return w.cellValue(st, qi, r, c, int64(v))
	case float64:
		if !isFinite(v) {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		return excelize.Cell{StyleID: st.float, Value: v}
	case bool:
		return v
	case time.Time:
		v = v.UTC()
		if v.Before(excelDateMin) || v.After(excelDateMax) {
			return v.Format(time.RFC3339Nano)
		}
		return excelize.Cell{StyleID: st.ts, Value: v}
	default:
		s, _ := csvValue(v)
		return w.queryText(qi, r, c, s)
	}
}

func (w *writer) queryText(qi, r, c int, s string) string {
	return cellText(s, func() string {
		col := ""
		if c < len(w.b.Queries[qi].Columns) {
			col = ", column " + w.b.Queries[qi].Columns[c].Name
		}
		return fmt.Sprintf("%s, data row %s%s", w.csvs[qi], groupThousands(int64(r+1)), col)
	})
}

// grid writes a small sheet row by row through the ordinary cell API, with
// every value typed and every text escaped and clipped like query cells.
type grid struct {
	f     *excelize.File
	st    *styles
	sheet string
	row   int
	err   error
}

// text is a value whose full form, if clipped, lives in where.
type text struct{ s, where string }

// styled is a value with an explicit style.
type styled struct {
	v     any
	style int
}

func (g *grid) line(vals ...any) {
	g.row++
	for i, v := range vals {
		if g.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, g.row)
		g.err = g.set(cell, v, 0)
	}
}

func (g *grid) set(cell string, v any, style int) error {
	f, sh := g.f, g.sheet
	var err error
	switch v := v.(type) {
	case nil:
		return nil
	case styled:
		return g.set(cell, v.v, v.style)
	case text:
		err = f.SetCellStr(sh, cell, cellText(v.s, func() string { return v.where }))
	case string:
		err = f.SetCellStr(sh, cell, cellText(v, func() string { return ManifestName }))
	case int:
		return g.set(cell, int64(v), style)
	case int64:
		if v > maxExactInt || v < -maxExactInt {
			err = f.SetCellStr(sh, cell, strconv.FormatInt(v, 10))
			break
		}
		err = f.SetCellInt(sh, cell, v)
		if style == 0 {
			style = g.st.integer
		}
	case float64:
		if !isFinite(v) {
			err = f.SetCellStr(sh, cell, strconv.FormatFloat(v, 'g', -1, 64))
			break
		}
		err = f.SetCellFloat(sh, cell, v, -1, 64)
		if style == 0 {
			style = g.st.float
		}
	case time.Time:
		if v.IsZero() {
			return nil
		}
		v = v.UTC()
		if v.Before(excelDateMin) || v.After(excelDateMax) {
			err = f.SetCellStr(sh, cell, v.Format(time.RFC3339Nano))
			break
		}
		err = f.SetCellValue(sh, cell, v)
		if style == 0 {
			style = g.st.ts
		}
	case bool:
		err = f.SetCellBool(sh, cell, v)
	default:
		s, _ := csvValue(v)
		err = f.SetCellStr(sh, cell, cellText(s, func() string { return ManifestName }))
	}
	if err == nil && style != 0 {
		err = f.SetCellStyle(sh, cell, cell, style)
	}
	return err
}

func (g *grid) header(vals ...string) {
	row := make([]any, len(vals))
	for i, v := range vals {
		row[i] = styled{v, g.st.header}
	}
	g.line(row...)
}

func (g *grid) widths(ws ...float64) {
	for i, w := range ws {
		if g.err != nil {
			return
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		g.err = g.f.SetColWidth(g.sheet, col, col, w)
	}
}

func (g *grid) freezeHeader() {
	if g.err == nil {
		g.err = g.f.SetPanes(g.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	}
}

func (w *writer) writeCover(f *excelize.File, st *styles, evidence []ManifestFile) error {
	b := w.b
	g := &grid{f: f, st: st, sheet: sheetCover}
	g.widths(36, 70, 70)
	g.line(styled{"ctathena evidence report", st.title})
	g.line()
	kv := func(k string, v any) { g.line(styled{k, st.bold}, v) }
	kv("Status", styled{b.Status(), st.wrap})
	kv("Case", b.Case)
	kv("Examiner", b.Examiner)
	kv("Command", b.Command)
	kv("Generated at (UTC)", b.GeneratedAt)
	kv("Tool version", b.ToolVersion)
	kv("Tool commit", b.ToolCommit)
	kv("Engine", b.Engine)
	kv("Engine version", b.EngineVersion)
	kv("Window since (UTC)", b.Since)
	kv("Window until (UTC)", b.Until)
	for i, s := range b.Sources {
		kv(label(i, "Source"), s)
	}
	g.line()
	g.line(styled{"Parameters", st.title})
	if len(b.Params) == 0 {
		kv("(none)", "")
	}
	for _, p := range b.Params {
		kv(p.Name, p.Value)
	}
	g.line()
	g.line(styled{"Coverage", st.title})
	c := b.Coverage
	kv("Accounts", int64(len(c.Accounts)))
	kv("Regions", int64(len(c.Regions)))
	kv("Days with logs", int64(len(c.Days)))
	kv("Days with no logs", int64(len(c.MissingDays)))
	kv("Files read", int64(c.FilesRead))
	kv("Files pruned (outside the window, or not needed: see Sources)", int64(c.FilesPruned))
	kv("Files skipped (unreadable)", int64(len(c.Skipped)))
	kv("Events", c.Events)
	kv("Duplicate deliveries (of the events loaded)", c.DuplicateEvents)
	if c.EventsNotLoaded > 0 {
		kv("Events not needed by these queries (not loaded)", c.EventsNotLoaded)
	}
	g.line("Details are on the Coverage sheet.")
	if len(b.Integrity) > 0 {
		g.line()
		g.line(styled{"Log integrity", st.title})
		for _, n := range b.Integrity {
			g.line(nil, n)
		}
	}
	if len(b.Notes) > 0 {
		g.line()
		g.line(styled{"Notes", st.title})
		for _, n := range b.Notes {
			g.line(nil, n)
		}
	}
	if len(b.Credits) > 0 {
		g.line()
		g.line(styled{"Credits", st.title})
		for _, n := range b.Credits {
			g.line(nil, n)
		}
	}
	g.line()
	g.line(styled{"Evidence files (SHA-256)", st.title})
	g.line("The hashes of report.xlsx and manifest.json are in SHA256SUMS; `ctathena verify` checks all of them.")
	g.header("File", "SHA-256", "Bytes")
	for _, e := range evidence {
		g.line(e.Path, e.SHA256, e.Bytes)
	}
	return wrapErr("write cover sheet", g.err)
}

func label(i int, s string) string {
	if i == 0 {
		return s
	}
	return ""
}

func wrapErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// sheetRef quotes a sheet name for a formula reference.
func sheetRef(name string) string { return "'" + strings.ReplaceAll(name, "'", "''") + "'" }

func (w *writer) writeFindings(f *excelize.File, st *styles) error {
	g := &grid{f: f, st: st, sheet: sheetFindings}
	g.widths(6, 10, 100, 32, 32)
	g.header("#", "Severity", "Finding", "Source query", "Sheet")
	g.freezeHeader()
	findings := w.b.Findings
	if len(w.b.Incomplete) > 0 {
		findings = append([]Finding{{Severity: "high", Text: w.b.Status()}}, findings...)
	}
	for i, fd := range findings {
		sheet := ""
		if qi := w.queryIndex(fd.Query); qi >= 0 {
			sheet = w.sheet[qi][0]
		}
		g.line(int64(i+1), fd.Severity, styled{fd.Text, st.wrap}, fd.Query, sheet)
		// Spreadsheet programs do not grow a row for wrapped text written by
		// a library; size it for the lines the sentence needs at this width.
		if lines := wrappedLines(fd.Text, 100); lines > 1 && g.err == nil {
			g.err = f.SetRowHeight(sheetFindings, g.row, float64(lines)*15)
		}
		if sheet != "" && g.err == nil {
			cell, _ := excelize.CoordinatesToCellName(5, g.row)
			g.err = f.SetCellHyperLink(sheetFindings, cell, sheetRef(sheet)+"!A1", "Location")
		}
	}
	if len(w.b.Findings) == 0 && len(w.b.Incomplete) == 0 {
		g.line(nil, nil, "No findings.")
	}
	for _, ch := range w.b.Charts {
		g.line()
		g.line(nil, nil, styled{oneLine(ch.Title), st.bold})
		msg, chart := w.chart(ch)
		g.line(nil, nil, msg)
		if chart == nil || g.err != nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(3, g.row+1)
		if err := f.AddChart(sheetFindings, cell, chart); err != nil {
			g.line(nil, nil, "chart not drawn: "+err.Error())
			continue
		}
		g.row += 20
	}
	return wrapErr("write findings sheet", g.err)
}

func (w *writer) queryIndex(name string) int {
	if name == "" {
		return -1
	}
	for i, q := range w.b.Queries {
		if q.Name == name {
			return i
		}
	}
	return -1
}

// chart builds an excelize chart over a query sheet, or says why it cannot.
func (w *writer) chart(ch Chart) (string, *excelize.Chart) {
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
	msg := fmt.Sprintf("From sheet %s: %s by %s, first %d of %d rows.", w.sheet[qi][0], ch.ValueColumn, ch.CategoryColumn, n, len(q.Rows))
	return msg, &excelize.Chart{
		Type: kind,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("%s!$%s$1", sheet, valCol),
			Categories: fmt.Sprintf("%s!$%s$2:$%s$%d", sheet, catCol, catCol, n+1),
			Values:     fmt.Sprintf("%s!$%s$2:$%s$%d", sheet, valCol, valCol, n+1),
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: oneLine(ch.Title)}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 800, Height: 380},
	}
}

func (w *writer) writeQueries(f *excelize.File, st *styles) error {
	g := &grid{f: f, st: st, sheet: sheetQueries}
	g.widths(28, 40, 24, 36, 36, 80, 40, 38, 12, 22, 22, 12, 16, 12, 10, 40, 18)
	g.header("Name", "Summary", "Sheets", "SQL file", "CSV file", "SQL as run", "Parameters (in placeholder order)",
		"Execution ID", "State", "Submitted (UTC)", "Completed (UTC)", "Elapsed (s)", "Bytes scanned", "Cost (USD)", "Rows", "Error",
		"Estimated bytes (before the run)")
	g.freezeHeader()
	for i, q := range w.b.Queries {
		var ps []string
		for _, p := range q.Params {
			ps = append(ps, p.Name+" = "+p.Value)
		}
		sql := q.SQL
		where := w.sqls[i]
		if q.Derived {
			sql, where = "(derived by the investigation; no SQL)", ManifestName
		}
		g.line(q.Name, q.Summary, strings.Join(w.sheet[i], ", "), w.sqls[i], w.csvs[i],
			styled{text{sql, where}, st.wrap}, styled{text{strings.Join(ps, "\n"), where}, st.wrap},
			q.Stats.ExecutionID, q.Stats.State, q.Stats.Submitted, q.Stats.Completed,
			q.Stats.Elapsed.Seconds(), q.Stats.BytesScanned, q.Stats.CostUSD, int64(len(q.Rows)), q.Err, q.Stats.EstimatedBytes)
	}
	return wrapErr("write queries sheet", g.err)
}

func (w *writer) writeCoverage(f *excelize.File, st *styles) error {
	c := w.b.Coverage
	g := &grid{f: f, st: st, sheet: sheetCoverage}
	g.widths(40, 60, 20, 14)
	section := func(title string) { g.line(); g.line(styled{title, st.title}) }
	g.line(styled{"Coverage", st.title})
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
	kv("Events", c.Events)
	kv("Duplicate deliveries (same eventID, of the events loaded)", c.DuplicateEvents)
	kv("Events not needed by these queries (not loaded; see Sources)", c.EventsNotLoaded)
	kv("Bytes scanned (all queries)", bytes)
	kv("Cost (USD, all queries)", cost)
	list := func(title string, xs []string) {
		section(title)
		if len(xs) == 0 {
			g.line("(none)")
		}
		for _, x := range xs {
			g.line(x)
		}
	}
	list("Sources", c.Sources)
	list("Accounts", c.Accounts)
	list("Regions", c.Regions)
	list("Days with no logs", c.MissingDays)
	if len(w.b.Integrity) > 0 {
		list("Log integrity (CloudTrail digests)", w.b.Integrity)
	}
	section("Files skipped and why")
	g.header("File", "Reason")
	if len(c.Skipped) == 0 {
		g.line("(none)")
	}
	for _, s := range c.Skipped {
		g.line(s.Path, s.Reason)
	}
	if len(c.NotCloudTrail) > 0 {
		section("Files that are not CloudTrail logs (not read)")
		g.header("File", "Why")
		for _, s := range c.NotCloudTrail {
			g.line(s.Path, s.Reason)
		}
	}
	section("Data scanned per query")
	g.header("Query", "Execution ID", "Bytes scanned", "Cost (USD)")
	for _, q := range w.b.Queries {
		g.line(q.Name, q.Stats.ExecutionID, q.Stats.BytesScanned, q.Stats.CostUSD)
	}
	list("Days with logs", c.Days)
	return wrapErr("write coverage sheet", g.err)
}

// printOnePageWide makes a sheet print one page wide.
func printOnePageWide(f *excelize.File, name, orientation string) error {
	one, zero, fit := 1, 0, true
	if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("print setup of %s: %w", name, err)
	}
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Orientation: &orientation, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return fmt.Errorf("print setup of %s: %w", name, err)
	}
	return nil
}

// wrappedLines estimates how many lines text takes in a column of width
// characters, breaking at spaces.
func wrappedLines(text string, width int) int {
	lines, col := 1, 0
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		switch {
		case col == 0:
			col = n
		case col+1+n <= width:
			col += 1 + n
		default:
			lines++
			col = n
		}
		for col > width {
			lines++
			col -= width
		}
	}
	return min(lines, 400/15)
}
