package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctathena/ctathena/engine"
	"github.com/klauspost/compress/flate"
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

// Fixed sheet names, in the order they appear (query sheets come between
// Evidence files and Queries).
const (
	sheetSummary     = "Summary"
	sheetFindings    = "Findings"
	sheetTimeline    = "Timeline"
	sheetLimitations = "Limitations"
	sheetGlossary    = "Glossary"
	sheetCover       = "Cover"
	sheetEvidence    = "Evidence files"
	sheetQueries     = "Queries"
	sheetCoverage    = "Coverage"
)

// fixedSheets are the sheets before the query sheets.
var fixedSheets = []string{sheetSummary, sheetFindings, sheetTimeline, sheetLimitations, sheetGlossary, sheetCover, sheetEvidence}

// tsFormat shows timestamps as dates and says they are UTC.
const tsFormat = `yyyy-mm-dd hh:mm:ss "UTC"`

// bytesFormat shows a byte count in decimal units (GB = 10^9 bytes).
const bytesFormat = `[>=1000000000]#,##0.0,,," GB";[>=1000000]#,##0.0,," MB";#,##0`

type styles struct {
	header, ts, integer, float, wrap, bold, title, section, top, topInt, topTS, sevHigh, sevMedium, sevLow, sevInfo, status, statusBad int
	// Left-aligned numbers and times for the small form-like sheets.
	leftInt, leftFloat, leftTS int
}

// fontName is the body font: Calibri, which LibreOffice replaces with the
// metric-compatible Carlito, so widths and line breaks match Excel's.
const fontName = "Calibri"

func font(size float64, bold bool, color string) *excelize.Font {
	return &excelize.Font{Family: fontName, Size: size, Bold: bold, Color: color}
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{}
	tsf := tsFormat
	floatf := "#,##0.########"
	top := &excelize.Alignment{Vertical: "top"}
	topWrap := &excelize.Alignment{Vertical: "top", WrapText: true}
	left := &excelize.Alignment{Vertical: "top", Horizontal: "left"}
	body := font(bodyPt, false, "000000")
	sev := func(color string) *excelize.Style {
		return &excelize.Style{Font: font(bodyPt, true, color), Alignment: top}
	}
	for _, x := range []struct {
		dst *int
		st  *excelize.Style
	}{
		{&s.header, &excelize.Style{Font: font(bodyPt, true, "000000"), Alignment: topWrap, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}}},
		{&s.ts, &excelize.Style{Font: body, CustomNumFmt: &tsf, Alignment: top}},
		{&s.integer, &excelize.Style{Font: body, NumFmt: 3, Alignment: top}},
		{&s.float, &excelize.Style{Font: body, CustomNumFmt: &floatf, Alignment: top}},
		{&s.wrap, &excelize.Style{Font: body, Alignment: topWrap}},
		{&s.bold, &excelize.Style{Font: font(bodyPt, true, "000000"), Alignment: topWrap}},
		{&s.title, &excelize.Style{Font: font(14, true, "000000"), Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&s.section, &excelize.Style{Font: font(12, true, "000000"), Alignment: &excelize.Alignment{Vertical: "bottom"},
			Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}}},
		{&s.top, &excelize.Style{Font: body, Alignment: top}},
		{&s.topInt, &excelize.Style{Font: body, NumFmt: 1, Alignment: left}},
		{&s.topTS, &excelize.Style{Font: body, CustomNumFmt: &tsf, Alignment: left}},
		{&s.leftInt, &excelize.Style{Font: body, NumFmt: 3, Alignment: left}},
		{&s.leftFloat, &excelize.Style{Font: body, CustomNumFmt: &floatf, Alignment: left}},
		{&s.leftTS, &excelize.Style{Font: body, CustomNumFmt: &tsf, Alignment: left}},
		{&s.sevHigh, sev("C00000")},
		{&s.sevMedium, sev("9C5700")},
		{&s.sevLow, sev("1F4E79")},
		{&s.sevInfo, sev("404040")},
		{&s.status, &excelize.Style{Font: font(bodyPt, true, "006100"), Alignment: topWrap}},
		{&s.statusBad, &excelize.Style{Font: font(bodyPt, true, "C00000"), Alignment: topWrap}},
	} {
		id, err := f.NewStyle(x.st)
		if err != nil {
			return nil, fmt.Errorf("create cell style: %w", err)
		}
		*x.dst = id
	}
	return s, nil
}

func (st *styles) severity(s string) int {
	switch strings.ToLower(s) {
	case "high":
		return st.sevHigh
	case "medium":
		return st.sevMedium
	case "low":
		return st.sevLow
	}
	return st.sevInfo
}

// writeWorkbook builds report.xlsx. evidence are the CSV and SQL files
// already written, whose hashes the Evidence files sheet shows.
func (w *writer) writeWorkbook(out io.Writer, evidence []ManifestFile) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	w.findings = sortFindings(w.b.Findings)
	if spillRows {
		if w.rows, err = newSheetRows(); err != nil {
			return err
		}
		defer func() { w.rows.close(); w.rows = nil }()
	}
	if err := f.SetSheetName("Sheet1", fixedSheets[0]); err != nil {
		return fmt.Errorf("name the first sheet: %w", err)
	}
	brief := needsBrief(w.timelineRows())
	w.tl = nil // not kept while the query sheets are written
	for _, name := range fixedSheets[1:] {
		if name == sheetTimeline && brief {
			if _, err := f.NewSheet(sheetTimelineBrief); err != nil {
				return fmt.Errorf("add sheet %s: %w", sheetTimelineBrief, err)
			}
		}
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
		if name == sheetTimeline && hasActivity(w.findings) {
			if _, err := f.NewSheet(sheetActivity); err != nil {
				return fmt.Errorf("add sheet %s: %w", sheetActivity, err)
			}
		}
	}
	// The Cover is the active sheet. Set now, while the sheets are empty:
	// excelize marks the tab on every sheet it holds, reading back any
	// sheet already streamed, and a query sheet of 200,000 rows read back
	// costs hundreds of MiB. Sheets added later open unselected anyway.
	f.SetActiveSheet(0)
	namer := newSheetNamer(append(append([]string(nil), fixedSheets...), sheetActivity, sheetTimelineBrief, sheetQueries, sheetCoverage)...)
	per := maxSheetRows - queryHeadRows
	for i := range w.b.Queries {
		q := &w.b.Queries[i]
		widths, shrink := columnWidths(q)
		widths, l := chooseLayout(widths, shrink)
		parts := (len(q.Rows) + per - 1) / per
		if parts == 0 {
			parts = 1
		}
		for p := 1; p <= parts; p++ {
			name := namer.name(q.Name, p)
			w.sheet[i] = append(w.sheet[i], name)
			from := (p - 1) * per
			to := min(from+per, len(q.Rows))
			if err := w.writeQuerySheet(f, st, name, i, p, parts, from, to, widths, shrink, l); err != nil {
				return fmt.Errorf("write sheet %q for %s: %w", name, q.Name, err)
			}
		}
	}
	for _, name := range []string{sheetQueries, sheetCoverage} {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
	}
	defer func() { w.tl = nil }()
	for _, step := range []func(*excelize.File, *styles) error{
		w.writeSummary,
		w.writeFindings,
		w.writeTimelineBrief,
		w.writeTimeline,
		w.writeActivity,
		w.writeLimitations,
		w.writeGlossary,
		w.writeCover,
		func(f *excelize.File, st *styles) error { return w.writeEvidence(f, st, evidence) },
		w.writeQueries,
		w.writeCoverage,
	} {
		if err := step(f, st); err != nil {
			return err
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:    w.reportTitle(),
		Subject:  oneLine(w.b.Command),
		Keywords: w.marking(),
		Creator:  "ctathena " + oneLine(w.b.ToolVersion),
		Created:  w.b.GeneratedAt.UTC().Format(time.RFC3339),
		// Modified too, or excelize stamps the wall clock and the bytes
		// would differ between identical runs.
		Modified: w.b.GeneratedAt.UTC().Format(time.RFC3339),
	}); err != nil {
		return fmt.Errorf("set document properties: %w", err)
	}
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
	// One compressor for every part, reset for each (the zip writer closes
	// a part's compressor before it starts the next): a new one is 1.2 MB,
	// 134 MB of garbage for the 112 parts of a hunt's workbook, with 3.5 MB
	// of them still in the Go heap at the report's peak (500k tree).
	// klauspost's deflate, not the standard library's: BenchmarkSheet1M's
	// workbook took 29.7-29.9 s of CPU against 32.2-35.3 s (two runs each,
	// alternating), 187 MiB against 189.
	var fw *flate.Writer
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		if fw == nil {
			var err error
			fw, err = flate.NewWriter(w, flate.BestSpeed)
			return fw, err
		}
		fw.Reset(w)
		return fw, nil
	})
	sz, err := newSpliceZip(zw, w.rows, f)
	if err != nil {
		return fmt.Errorf("save workbook: %w", err)
	}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return sz })
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

// queryHeadRows are the rows above a query sheet's data: its title, its
// one-line description, and the column headings.
const queryHeadRows = 3

// queryWrapLines caps how many lines a wrapped query cell shows when
// printed; the whole value is in the cell and in the CSV.
const queryWrapLines = 6

// columnWidths sizes each column to its heading and longest value (capped),
// and says which columns hold text that may wrap (and so may be narrowed
// to fit a page).
func columnWidths(q *QueryRun) ([]float64, []bool) {
	ws := make([]int, len(q.Columns))
	wrap := make([]bool, len(q.Columns))
	for i, c := range q.Columns {
		// A heading wraps onto two lines before it widens its column.
		h := utf8.RuneCountInString(heading(c))
		ws[i] = max(min(h, (h+1)/2+2), 8) + 2 // room for the filter button
		wrap[i] = c.Type == engine.String || c.Type == ""
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
	return out, wrap
}

// writeQuerySheet streams rows [from, to) of query qi into sheet name, under
// a title, a description and the human column headings.
func (w *writer) writeQuerySheet(f *excelize.File, st *styles, name string, qi, part, parts, from, to int, widths []float64, wrap []bool, l layout) error {
	q := &w.b.Queries[qi]
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	ncol := len(q.Columns)
	if ncol > 0 {
		first, _ := excelize.CoordinatesToCellName(1, queryHeadRows)
		last, _ := excelize.CoordinatesToCellName(ncol, max(to-from+queryHeadRows, queryHeadRows+1))
		// Set before the stream writer takes the sheet over: it writes the
		// worksheet's autoFilter element as it stood then.
		if err := f.AutoFilter(name, first+":"+last, nil); err != nil {
			return fmt.Errorf("set autofilter: %w", err)
		}
	}
	// Also while the sheet is empty, and after AutoFilter, which replaces
	// the sheet properties: the stream writer carries these parts through
	// (the used range too, which it would otherwise leave at A1).
	if err := w.pageSetup(f, name, l, queryHeadRows, queryHeadRows); err != nil {
		return err
	}
	dim, _ := excelize.CoordinatesToCellName(max(ncol, 1), to-from+queryHeadRows)
	if err := f.SetSheetDimension(name, "A1:"+dim); err != nil {
		return fmt.Errorf("set sheet dimension: %w", err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	top := "A" + strconv.Itoa(queryHeadRows+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: queryHeadRows, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("set column width: %w", err)
		}
	}
	rs, end, err := w.streamRows(name, sw)
	if err != nil {
		return err
	}
	where := func() string { return ManifestName }
	title := queryTitle(q.Name)
	if parts > 1 {
		title += fmt.Sprintf(" (part %d of %d)", part, parts)
	}
	desc := q.Summary
	if desc != "" {
		desc = strings.ToUpper(desc[:1]) + desc[1:] + ". "
	}
	desc += fmt.Sprintf("%s rows (query %s; all of them in %s). Times are UTC.", groupThousands(int64(len(q.Rows))), q.Name, w.csvs[qi])
	if parts > 1 {
		desc += fmt.Sprintf(" This sheet holds data rows %s to %s.", groupThousands(int64(from+1)), groupThousands(int64(to)))
	}
	plan := planQueryPrint(q, widths, wrap, l, from, to)
	if note := queryPrintNote(plan, to-from, ncol, w.csvs[qi]); note != "" && ncol > 0 {
		desc += " " + note
		if err := setPrintArea(f, name, plan.cols, queryHeadRows+plan.rows); err != nil {
			return err
		}
	}
	if err := rs("A1", []any{excelize.Cell{StyleID: st.title, Value: cellText(title, where)}}, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	// The description spans the sheet's columns and wraps there: text
	// running past the last column would print on pages of its own.
	// (Over the printed columns only, or its end would not print.)
	span := min(len(widths), max(plan.cols, 1))
	var total float64
	for _, wd := range widths[:span] {
		total += wd
	}
	descLines := 1
	if span > 1 {
		descLines = min(wrappedLines(desc, int(total)-2), 12)
		last, _ := excelize.CoordinatesToCellName(span, 2)
		if err := sw.MergeCell("A2", last); err != nil {
			return err
		}
	}
	if err := rs("A2", []any{excelize.Cell{StyleID: st.wrap, Value: cellText(desc, where)}}, excelize.RowOpts{Height: float64(descLines) * lineHeight}); err != nil {
		return err
	}
	if ncol == 0 {
		msg := "no columns"
		if q.Err != "" {
			msg = "FAILED: " + q.Err
		}
		if err := rs("A3", []any{excelize.Cell{StyleID: st.bold, Value: cellText(msg, where)}}); err != nil {
			return err
		}
		return end()
	}
	buf := make([]any, ncol)
	headLines := 1
	for i, c := range q.Columns {
		h := heading(c)
		headLines = max(headLines, wrappedLines(h, int(widths[i])-2))
		buf[i] = excelize.Cell{StyleID: st.header, Value: cellText(h, func() string { return w.csvs[qi] + " header" })}
	}
	if err := rs("A"+strconv.Itoa(queryHeadRows), buf, excelize.RowOpts{Height: float64(min(headLines, 3)) * lineHeight}); err != nil {
		return err
	}
	// Styled cells are set in slots reused from row to row, and values are
	// passed on as the rows hold them, already boxed: a new excelize.Cell
	// or interface for each cell was 0.9 GB of garbage for a sheet of
	// 1,000,000 rows x 15 columns (BenchmarkSheet1M), and the collector's
	// headroom above the rows grew with it.
	slots := make([]excelize.Cell, ncol)
	var height [1]excelize.RowOpts
	for r := from; r < to; r++ {
		row := q.Rows[r]
		lines := 1
		for i := range buf {
			buf[i] = nil
			if i >= len(row) {
				continue
			}
			buf[i] = w.cellValue(st, qi, r, i, row[i], &slots[i])
			// Text longer than its column wraps, top-aligned, on a row
			// tall enough for a few lines.
			if s, ok := row[i].(string); ok && wrap[i] && len(s) > int(widths[i]) {
				if n := wrappedLines(s, int(widths[i])); n > 1 {
					lines = max(lines, min(n, queryWrapLines))
					slots[i] = excelize.Cell{StyleID: st.wrap, Value: buf[i]}
					buf[i] = &slots[i]
				}
			}
		}
		opts := height[:0]
		if lines > 1 {
			height[0] = excelize.RowOpts{Height: float64(lines) * lineHeight}
			opts = height[:]
			// A tall row: every cell at the top, beside the wrapped text
			// (plain text cells carry no style, to keep big sheets fast).
			for i, v := range buf {
				switch v.(type) {
				case string, bool:
					slots[i] = excelize.Cell{StyleID: st.top, Value: v}
					buf[i] = &slots[i]
				}
			}
		}
		if err := rs("A"+strconv.Itoa(r-from+queryHeadRows+1), buf, opts...); err != nil {
			return err
		}
	}
	return end()
}

// lineHeight is the height of one line of 11 pt text, in points.
const lineHeight = 15.0

// cellValue types one result value for a query sheet. Text is always an
// inline string cell (never a formula, whatever it starts with). A value
// that needs a style is set in slot and returned as &slot; values are
// handed back as boxed in orig where they can be, instead of allocating a
// new interface.
func (w *writer) cellValue(st *styles, qi, r, c int, orig any, slot *excelize.Cell) any {
	switch v := orig.(type) {
	case nil:
		return nil
	case string:
		if len(v) <= maxCellChars && !needsEscape(v) {
			return orig
		}
		return w.queryText(qi, r, c, v)
	case int64:
		if v > maxExactInt || v < -maxExactInt {
			return strconv.FormatInt(v, 10)
		}
		*slot = excelize.Cell{StyleID: st.integer, Value: orig}
		return slot
	case int:
		return w.cellValue(st, qi, r, c, int64(v), slot)
	case float64:
		if !isFinite(v) {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		*slot = excelize.Cell{StyleID: st.float, Value: orig}
		return slot
	case bool:
		return orig
	case time.Time:
		u := v.UTC()
		if u.Before(excelDateMin) || u.After(excelDateMax) {
			return u.Format(time.RFC3339Nano)
		}
		if v.Location() != time.UTC {
			orig = u
		}
		*slot = excelize.Cell{StyleID: st.ts, Value: orig}
		return slot
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
// Columns marked wrap wrap their text, and each row is made tall enough for
// the lines its text needs at the sheet's final widths (spreadsheet
// programs do not grow a row for wrapped text a library wrote).
type grid struct {
	f     *excelize.File
	st    *styles
	sheet string
	row   int
	err   error
	ws    []float64
	wrap  []bool
	l     layout
	w     *writer
	// s is set when the sheet is streamed (see newStreamGrid).
	s *gridStream
}

// newGrid sets up sheet with columns of widths ws (those marked wrap may
// be narrowed to fit the page).
func (w *writer) newGrid(f *excelize.File, st *styles, sheet string, ws []float64, wrap []bool) *grid {
	g := &grid{f: f, st: st, sheet: sheet, w: w, wrap: wrap}
	g.ws, g.l = chooseLayout(ws, wrap)
	for i, wd := range g.ws {
		if g.err != nil {
			break
		}
		c, _ := excelize.ColumnNumberToName(i + 1)
		g.err = f.SetColWidth(sheet, c, c, wd)
	}
	return g
}

// done applies the print setup, repeating rows [from, to] (0: none).
func (g *grid) done(what string, from, to int) error {
	if g.s != nil {
		return wrapErr(what, g.streamDone())
	}
	if g.err == nil {
		g.err = g.w.pageSetup(g.f, g.sheet, g.l, from, to)
	}
	if g.err == nil {
		last, _ := excelize.CoordinatesToCellName(max(len(g.ws), 1), max(g.row, 1))
		g.err = g.f.SetSheetDimension(g.sheet, "A1:"+last)
	}
	return wrapErr(what, g.err)
}

// text is a value whose full form, if clipped, lives in where.
type text struct{ s, where string }

// styled is a value with an explicit style.
type styled struct {
	v     any
	style int
}

func (g *grid) line(vals ...any) {
	if g.s != nil {
		g.streamLine(vals)
		return
	}
	g.row++
	lines := 1
	for i, v := range vals {
		if g.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, g.row)
		style := 0
		if i < len(g.wrap) && g.wrap[i] {
			style = g.st.wrap
		}
		g.err = g.set(cell, v, style)
		if i < len(g.ws) {
			if n := linesOf(v, g.ws[i]); n > 1 && (i < len(g.wrap) && g.wrap[i] || isWrapStyle(g.st, v)) {
				lines = max(lines, n)
			}
		}
	}
	g.height(lines)
}

// span writes v across every column of the row, wrapped.
func (g *grid) span(v any, style int) {
	if g.s != nil {
		g.streamSpan(v, style)
		return
	}
	g.row++
	if g.err != nil {
		return
	}
	first, _ := excelize.CoordinatesToCellName(1, g.row)
	last, _ := excelize.CoordinatesToCellName(len(g.ws), g.row)
	if style == 0 {
		style = g.st.wrap
	}
	if g.err = g.set(first, v, style); g.err != nil {
		return
	}
	if len(g.ws) > 1 {
		g.err = g.f.MergeCell(g.sheet, first, last)
	}
	var total float64
	for _, wd := range g.ws {
		total += wd
	}
	g.height(linesOf(v, total))
}

func (g *grid) height(lines int) {
	if lines > 1 && g.err == nil {
		g.err = g.f.SetRowHeight(g.sheet, g.row, min(float64(lines)*lineHeight, 409))
	}
}

func isWrapStyle(st *styles, v any) bool {
	if s, ok := v.(styled); ok {
		return s.style == st.wrap || s.style == st.bold || s.style == st.status || s.style == st.statusBad || s.style == st.header
	}
	return false
}

// linesOf estimates the printed lines of a text value in a column of width
// characters.
func linesOf(v any, width float64) int {
	switch v := v.(type) {
	case styled:
		return linesOf(v.v, width)
	case text:
		return wrappedLines(v.s, int(width)-1)
	case string:
		return wrappedLines(v, int(width)-1)
	}
	return 1
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
		if style == 0 || style == g.st.wrap {
			style = g.st.leftInt
		}
	case float64:
		if !isFinite(v) {
			err = f.SetCellStr(sh, cell, strconv.FormatFloat(v, 'g', -1, 64))
			break
		}
		err = f.SetCellFloat(sh, cell, v, -1, 64)
		if style == 0 || style == g.st.wrap {
			style = g.st.leftFloat
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
		if style == 0 || style == g.st.wrap {
			style = g.st.leftTS
		}
	case bool:
		err = f.SetCellBool(sh, cell, v)
	default:
		s, _ := csvValue(v)
		err = f.SetCellStr(sh, cell, cellText(s, func() string { return ManifestName }))
	}
	if style == 0 {
		style = g.st.top
	}
	if err == nil {
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

// section starts a titled part of a sheet, after a blank row.
func (g *grid) section(title string) {
	if g.row > 0 {
		g.row++
	}
	if g.s != nil {
		g.row++
		g.emit([]any{excelize.Cell{StyleID: g.st.section, Value: cellText(title, func() string { return ManifestName })}}, 22)
		return
	}
	g.line(styled{title, g.st.section})
	if g.err == nil {
		g.err = g.f.SetRowHeight(g.sheet, g.row, 22)
	}
}

func (g *grid) freezeHeader() {
	if g.s != nil {
		g.streamFreeze()
		return
	}
	if g.err == nil {
		top := "A" + strconv.Itoa(g.row+1)
		g.err = g.f.SetPanes(g.sheet, &excelize.Panes{Freeze: true, YSplit: g.row, TopLeftCell: top, ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}})
	}
}

// title writes the sheet's title row and a one-line description.
func (g *grid) title(title, desc string) {
	if g.s != nil {
		g.row++
		g.emit([]any{excelize.Cell{StyleID: g.st.title, Value: cellText(title, func() string { return ManifestName })}}, 20)
	} else {
		g.line(styled{title, g.st.title})
		if g.err == nil {
			g.err = g.f.SetRowHeight(g.sheet, g.row, 20)
		}
	}
	if desc != "" {
		g.span(desc, 0)
	}
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

// wrappedLines estimates how many lines text takes in a column of width
// characters, breaking at spaces (and at line breaks in the text).
func wrappedLines(text string, width int) int {
	// Widths are in digit widths; proportional text averages narrower.
	width = max(width*110/100, 4)
	lines := 0
	// The Seq forms do not allocate: Split and Fields were 0.46 GB of
	// garbage for the wrapped cells of BenchmarkSheet1M.
	for para := range strings.SplitSeq(text, "\n") {
		lines++
		col := 0
		for word := range strings.FieldsSeq(para) {
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
		if lines > 400 {
			break
		}
	}
	return min(lines, 409/int(lineHeight))
}
