package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// How a sheet prints. The workbook is a document counsel prints on A4 or
// Letter, so every sheet gets a header and footer (case, title, page N of
// M, marking), repeats its heading row on every page, and is laid out so
// that no text prints below minPrintPt.
//
// Widths are in Excel's character units (the width of "0" in the 11 pt
// body font, about 5.3 pt printed at 100%, plus a few points of padding).
const (
	bodyPt       = 11.0 // the body font every sheet uses
	minPrintPt   = 8.0  // the smallest text may print
	ptPerChar    = 5.45 // measured on LibreOffice with Carlito: 5.42
	ptPerColumn  = 4.0
	marginInches = 0.5
	// The printable width on the narrower of the two papers in each
	// orientation: A4 portrait (8.27 in) and Letter landscape (11 in),
	// less the side margins.
	portraitPt  = (8.27 - 2*marginInches) * 72
	landscapePt = (11.0 - 2*marginInches) * 72
	// minScale keeps body text at or above minPrintPt, with a little room
	// for the difference between this estimate and the program's.
	minScale = (minPrintPt + 0.35) / bodyPt
)

// paperSize is the paper the workbook asks for: 0 leaves it to the
// program (Letter or A4 by locale); tests set 9 (A4) to print on both.
var paperSize = 0

// minScalePct is minScale in whole percent, rounded up.
const minScalePct uint = 77 // minScale = 75.9%

// printWidth is how wide columns of these widths print at 100%, in points.
func printWidth(ws []float64) float64 {
	var pt float64
	for _, w := range ws {
		pt += w*ptPerChar + ptPerColumn
	}
	return pt
}

// layout says how a sheet prints.
type layout struct {
	landscape bool
	// scale is the fixed print scale in percent (fit-to-width is not
	// used: a program may shrink a fitted sheet below minPrintPt on the
	// narrower paper).
	scale uint
}

// chooseLayout picks the orientation and scale for columns of widths ws,
// after shrinking the columns marked shrink (wrapped text) if even a
// landscape page at minScale cannot hold them. It returns the final widths.
func chooseLayout(ws []float64, shrink []bool) ([]float64, layout) {
	ws = append([]float64(nil), ws...)
	// The scale is a whole percent; keep 2% in hand for rounding in the
	// spreadsheet program.
	budget := landscapePt * 0.97 / (float64(minScalePct) / 100)
	for printWidth(ws) > budget {
		// Narrow the widest shrinkable column by one character at a time,
		// never below 14 characters (a 12-digit account id and its padding).
		best := -1
		for i, w := range ws {
			if i < len(shrink) && shrink[i] && w > 14 && (best < 0 || w > ws[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		ws[best]--
	}
	w := printWidth(ws)
	switch {
	case w <= portraitPt:
		return ws, layout{scale: 100}
	case w <= portraitPt*0.97/(float64(minScalePct)/100):
		return ws, layout{scale: uint(portraitPt * 0.97 / w * 100)}
	case w <= landscapePt*0.97:
		return ws, layout{landscape: true, scale: 100}
	default:
		// Wider than a landscape page at minScale even after shrinking:
		// print at minScale, and the columns continue on a page to the
		// right (pages go down first, then over).
		return ws, layout{landscape: true, scale: max(uint(landscapePt*0.97/w*100), minScalePct)}
	}
}

// pageSetup applies the layout, margins, header and footer and the
// repeated rows (1-based, inclusive; 0 for none) to a sheet.
func (w *writer) pageSetup(f *excelize.File, sheet string, l layout, repeatFrom, repeatTo int) error {
	orientation := "portrait"
	if l.landscape {
		orientation = "landscape"
	}
	scale := max(l.scale, minScalePct)
	order := "downThenOver"
	opts := &excelize.PageLayoutOptions{Orientation: &orientation, AdjustTo: &scale, PageOrder: &order}
	if paperSize != 0 {
		opts.Size = &paperSize
	}
	if err := f.SetPageLayout(sheet, opts); err != nil {
		return fmt.Errorf("print setup of %s: %w", sheet, err)
	}
	side, top, hf := marginInches, 0.8, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &top, Bottom: &top, Header: &hf, Footer: &hf}); err != nil {
		return fmt.Errorf("print margins of %s: %w", sheet, err)
	}
	no, yes := false, true
	// Excel keeps header and footer at their size (scaleWithDoc off);
	// LibreOffice scales them with the page anyway, so their font is
	// chosen to stay at or above minPrintPt at this sheet's scale.
	hfPt := max(10, int(math.Ceil((minPrintPt+0.5)*100/float64(scale))))
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		ScaleWithDoc: &no, AlignWithMargins: &yes,
		OddHeader: w.headerText(hfPt), OddFooter: w.footerText(hfPt),
	}); err != nil {
		return fmt.Errorf("header and footer of %s: %w", sheet, err)
	}
	if repeatFrom > 0 {
		if err := f.SetDefinedName(&excelize.DefinedName{
			Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("%s!$%d:$%d", sheetRef(sheet), repeatFrom, repeatTo), Scope: sheet,
		}); err != nil {
			return fmt.Errorf("repeat the heading rows of %s: %w", sheet, err)
		}
	}
	return nil
}

// hfFont is the header and footer font code for a size in points.
func hfFont(pt int) string { return `&"-,Regular"&` + strconv.Itoa(pt) }

// headerText: case id left, report title centre, marking right.
func (w *writer) headerText(pt int) string {
	f := hfFont(pt)
	return clipHF("&L" + f + hfEscape(w.caseLabel()) + "&C" + f + hfEscape(w.reportTitle()) + "&R" + f + "&B" + hfEscape(w.marking()))
}

// footerText: marking left, page N of M centre, sheet name right.
func (w *writer) footerText(pt int) string {
	f := hfFont(pt)
	return clipHF("&L" + f + "&B" + hfEscape(w.marking()) + "&B&C" + f + "page &P of &N&R" + f + "&A")
}

// hfEscape makes user text literal in a header or footer: & starts a code.
func hfEscape(s string) string { return strings.ReplaceAll(oneLine(s), "&", "&&") }

// clipHF keeps a header or footer within Excel's 255 characters.
func clipHF(s string) string {
	if utf8.RuneCountInString(s) <= 255 {
		return s
	}
	r := []rune(s)[:255]
	// Never end inside a code.
	for len(r) > 0 && r[len(r)-1] == '&' {
		r = r[:len(r)-1]
	}
	return string(r)
}

func (w *writer) marking() string {
	if m := oneLine(w.b.Marking); m != "" {
		return m
	}
	return DefaultMarking
}

// DefaultMarking is printed on every page when the bundle names none.
const DefaultMarking = "Confidential"

func (w *writer) caseLabel() string {
	if c := oneLine(w.b.Case); c != "" {
		return "Case " + c
	}
	return "No case id given"
}

// reportTitle names the report: "ctathena evidence report — CASE".
func (w *writer) reportTitle() string {
	t := "ctathena evidence report"
	if c := oneLine(w.b.Case); c != "" {
		t += " — " + c
	}
	return t
}

// What prints of a long or wide sheet. The workbook keeps every row and
// column; the printed document is what counsel reads, so a query sheet
// prints its first rows (the catalog's queries put the largest or earliest
// first) and the columns that fit across one page, and says so on the
// printed page itself, naming the results file that holds the rest.
const (
	// printRowsMax and printLinesMax bound a query sheet's printed rows:
	// about two pages.
	printRowsMax  = 50
	printLinesMax = 70
	// timelinePrintRows: a Timeline longer than this prints only its
	// heading and a note; the Timeline in brief prints instead.
	timelinePrintRows = 120
)

// printPlan is how much of a sheet prints: its first rows data rows (below
// the heading rows) and its first cols columns.
type printPlan struct {
	rows, cols int
	// omitted are the headings of the columns that do not print.
	omitted []string
}

// cut reports whether the plan leaves anything of the sheet unprinted.
func (p printPlan) cut(rows, cols int) bool { return p.rows < rows || p.cols < cols }

// printableCols is how many of the columns of widths ws fit across one
// page of layout l (at least one).
func printableCols(ws []float64, l layout) int {
	avail := portraitPt
	if l.landscape {
		avail = landscapePt
	}
	avail = avail * 0.97 * 100 / float64(max(l.scale, minScalePct))
	n := 0
	for n < len(ws) && printWidth(ws[:n+1]) <= avail+0.01 {
		n++
	}
	return max(n, 1)
}

// planQueryPrint chooses what of rows [from, to) of q prints.
func planQueryPrint(q *QueryRun, ws []float64, wrap []bool, l layout, from, to int) printPlan {
	p := printPlan{cols: min(printableCols(ws, l), len(q.Columns))}
	for _, c := range q.Columns[p.cols:] {
		p.omitted = append(p.omitted, heading(c))
	}
	lines := 0
	for r := from; r < to && p.rows < printRowsMax; r++ {
		n := 1
		for i, v := range q.Rows[r] {
			if s, ok := v.(string); ok && i < len(ws) && i < len(wrap) && wrap[i] && len(s) > int(ws[i]) {
				n = max(n, min(wrappedLines(s, int(ws[i])), queryWrapLines))
			}
		}
		if p.rows > 0 && lines+n > printLinesMax {
			break
		}
		lines += n
		p.rows++
	}
	return p
}

// queryPrintNote says, on the printed page, what of a query sheet is not
// printed and where it is; "" when the sheet prints in full.
func queryPrintNote(p printPlan, rows, cols int, csv string) string {
	if !p.cut(rows, cols) {
		return ""
	}
	var what []string
	if p.rows < rows {
		what = append(what, fmt.Sprintf("the first %s of its %s rows", groupThousands(int64(p.rows)), groupThousands(int64(rows))))
	} else {
		what = append(what, "every row")
	}
	if p.cols < cols {
		what = append(what, fmt.Sprintf("the first %d of its %d columns (not printed: %s)", p.cols, cols, strings.Join(p.omitted, "; ")))
	}
	return "PRINTED IN PART: this sheet prints " + strings.Join(what, " and ") +
		". Every row and column is on this sheet in the workbook and in " + csv + "."
}

// setPrintArea limits what of sheet prints to rows 1 to lastRow and
// columns 1 to lastCol.
func setPrintArea(f *excelize.File, sheet string, lastCol, lastRow int) error {
	col, err := excelize.ColumnNumberToName(max(lastCol, 1))
	if err != nil {
		return fmt.Errorf("print area of %s: %w", sheet, err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("%s!$A$1:$%s$%d", sheetRef(sheet), col, max(lastRow, 1)), Scope: sheet,
	}); err != nil {
		return fmt.Errorf("print area of %s: %w", sheet, err)
	}
	return nil
}
