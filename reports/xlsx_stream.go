package reports

import (
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// streamRowsAbove is the size above which a grid sheet (the Timeline or
// the Timeline in brief) is written through excelize's stream writer: its
// cell API keeps every cell of the workbook in memory until the file is
// saved, about 3 KB of Go heap a row (over 300 MiB for the Timeline of a
// hunt whose rule matched 200,000 events; 15 MB for the brief of 4,912
// lines of a hunt on the 500k tree). The cells, styles, heights, merges,
// panes, used range and print setup are the same; smaller sheets keep the
// cell API, so their bytes do not change.
var streamRowsAbove = 1000

// gridStream is a streamed grid's writer. Rows wait in pending until the
// panes are known (the stream writer takes them only before its first
// row).
type gridStream struct {
	sw      *excelize.StreamWriter
	rows    rowSetter
	end     func() error
	pending []pendingRow
	started bool
}

type pendingRow struct {
	row    int
	cells  []any
	height float64
}

// newStreamGrid is newGrid for a sheet of about rows rows whose print
// titles are rows [repeatFrom, repeatTo]: the print setup and the used
// range are set before the stream writer takes the sheet over, as for
// query sheets.
func (w *writer) newStreamGrid(f *excelize.File, st *styles, sheet string, ws []float64, wrap []bool, rows, repeatFrom, repeatTo int) *grid {
	g := &grid{f: f, st: st, sheet: sheet, w: w, wrap: wrap}
	g.ws, g.l = chooseLayout(ws, wrap)
	g.err = w.pageSetup(f, sheet, g.l, repeatFrom, repeatTo)
	if g.err == nil {
		last, _ := excelize.CoordinatesToCellName(max(len(g.ws), 1), max(rows, 1))
		g.err = f.SetSheetDimension(sheet, "A1:"+last)
	}
	var sw *excelize.StreamWriter
	if g.err == nil {
		sw, g.err = f.NewStreamWriter(sheet)
	}
	for i, wd := range g.ws {
		if g.err != nil {
			break
		}
		g.err = sw.SetColWidth(i+1, i+1, wd)
	}
	g.s = &gridStream{sw: sw}
	if g.err == nil {
		g.s.rows, g.s.end, g.err = w.streamRows(sheet, sw)
	}
	return g
}

func (g *grid) streamLine(vals []any) {
	g.row++
	lines := 1
	cells := make([]any, len(vals))
	for i, v := range vals {
		style := 0
		if i < len(g.wrap) && g.wrap[i] {
			style = g.st.wrap
		}
		if val, sty, ok := g.typed(v, style); ok {
			cells[i] = excelize.Cell{StyleID: sty, Value: val}
		}
		if i < len(g.ws) {
			if n := linesOf(v, g.ws[i]); n > 1 && (i < len(g.wrap) && g.wrap[i] || isWrapStyle(g.st, v)) {
				lines = max(lines, n)
			}
		}
	}
	g.emit(cells, rowHeight(lines))
}

func (g *grid) streamSpan(v any, style int) {
	g.row++
	if g.err != nil {
		return
	}
	if style == 0 {
		style = g.st.wrap
	}
	var cells []any
	if val, sty, ok := g.typed(v, style); ok {
		cells = []any{excelize.Cell{StyleID: sty, Value: val}}
	}
	if len(g.ws) > 1 {
		first, _ := excelize.CoordinatesToCellName(1, g.row)
		last, _ := excelize.CoordinatesToCellName(len(g.ws), g.row)
		g.err = g.s.sw.MergeCell(first, last)
	}
	var total float64
	for _, wd := range g.ws {
		total += wd
	}
	g.emit(cells, rowHeight(linesOf(v, total)))
}

// rowHeight is the height grid.height sets for a row of lines lines; 0
// leaves the default.
func rowHeight(lines int) float64 {
	if lines > 1 {
		return min(float64(lines)*lineHeight, 409)
	}
	return 0
}

func (g *grid) emit(cells []any, height float64) {
	if g.err != nil {
		return
	}
	r := pendingRow{row: g.row, cells: cells, height: height}
	if !g.s.started {
		g.s.pending = append(g.s.pending, r)
		if len(g.s.pending) > 64 {
			g.streamStart(nil)
		}
		return
	}
	g.setRow(r)
}

func (g *grid) setRow(r pendingRow) {
	if g.err != nil {
		return
	}
	var opts []excelize.RowOpts
	if r.height > 0 {
		opts = append(opts, excelize.RowOpts{Height: r.height})
	}
	g.err = g.s.rows("A"+strconv.Itoa(r.row), r.cells, opts...)
}

// streamStart sets the panes (if any) and writes the rows that waited.
func (g *grid) streamStart(panes *excelize.Panes) {
	if g.s.started {
		return
	}
	g.s.started = true
	if panes != nil && g.err == nil {
		g.err = g.s.sw.SetPanes(panes)
	}
	for _, r := range g.s.pending {
		g.setRow(r)
	}
	g.s.pending = nil
}

func (g *grid) streamFreeze() {
	top := "A" + strconv.Itoa(g.row+1)
	g.streamStart(&excelize.Panes{Freeze: true, YSplit: g.row, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}})
}

func (g *grid) streamDone() error {
	g.streamStart(nil)
	if g.err != nil {
		return g.err
	}
	return g.s.end()
}

// typed is grid.set's typing for a streamed cell: the value as the cell
// holds it and its style; ok is false for no cell.
func (g *grid) typed(v any, style int) (any, int, bool) {
	var out any
	switch v := v.(type) {
	case nil:
		return nil, 0, false
	case styled:
		return g.typed(v.v, v.style)
	case text:
		out = cellText(v.s, func() string { return v.where })
	case string:
		out = cellText(v, func() string { return ManifestName })
	case int:
		return g.typed(int64(v), style)
	case int64:
		if v > maxExactInt || v < -maxExactInt {
			out = strconv.FormatInt(v, 10)
			break
		}
		out = v
		if style == 0 || style == g.st.wrap {
			style = g.st.leftInt
		}
	case float64:
		if !isFinite(v) {
			out = strconv.FormatFloat(v, 'g', -1, 64)
			break
		}
		out = v
		if style == 0 || style == g.st.wrap {
			style = g.st.leftFloat
		}
	case time.Time:
		if v.IsZero() {
			return nil, 0, false
		}
		v = v.UTC()
		if v.Before(excelDateMin) || v.After(excelDateMax) {
			out = v.Format(time.RFC3339Nano)
			break
		}
		out = v
		if style == 0 || style == g.st.wrap {
			style = g.st.leftTS
		}
	case bool:
		out = v
	default:
		s, _ := csvValue(v)
		out = cellText(s, func() string { return ManifestName })
	}
	if style == 0 {
		style = g.st.top
	}
	return out, style, true
}
