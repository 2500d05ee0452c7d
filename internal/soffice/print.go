package soffice

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// PagesBySheet groups a report's printed pages by the sheet each comes
// from: the report's footer ends with the sheet name (&A). A page whose
// sheet is not among sheets is left out.
func PagesBySheet(pages [][]Word, sheets []string) map[string][]int {
	out := map[string][]int{}
	for i, page := range pages {
		text := strings.Join(strings.Fields(Text(page)), " ")
		best := ""
		for _, s := range sheets {
			if strings.HasSuffix(text, " "+strings.Join(strings.Fields(s), " ")) && len(s) > len(best) {
				best = s
			}
		}
		if best != "" {
			out[best] = append(out[best], i)
		}
	}
	return out
}

// PrintNote is how a report says on a printed page that the page does not
// show the whole sheet.
const PrintNote = "PRINTED IN PART"

// CheckPrintedSheets checks how the sheets of a report print, against its
// workbook book:
//   - every page of a query sheet (a sheet whose name has a dot: "exfil.top_keys")
//     shows the sheet's first column heading (cell A3), so no page is a
//     right-hand spill of the columns that did not fit;
//   - a sheet whose print area leaves part of it out says so
//     (PrintNote) on its first printed page;
//   - every query sheet prints on at most maxPages pages (0: no bound).
//
// It returns the sheets that print in part.
func CheckPrintedSheets(t testing.TB, name, book string, pages [][]Word, maxPages int) []string {
	t.Helper()
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	bySheet := PagesBySheet(pages, sheets)
	var cut []string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Area" && dn.Scope != "" && dn.Scope != "Workbook" {
			cut = append(cut, dn.Scope)
		}
	}
	for _, s := range cut {
		ps := bySheet[s]
		if len(ps) == 0 {
			t.Errorf("%s: sheet %s prints in part but no page of it printed", name, s)
			continue
		}
		if text := strings.Join(strings.Fields(Text(pages[ps[0]])), " "); !strings.Contains(text, PrintNote) {
			t.Errorf("%s: sheet %s prints in part, and its first page does not say so (%q):\n%.400s", name, s, PrintNote, text)
		}
	}
	for _, s := range sheets {
		ps := bySheet[s]
		if !strings.Contains(s, ".") {
			continue
		}
		if maxPages > 0 && len(ps) > maxPages {
			t.Errorf("%s: sheet %s prints on %d pages, more than %d", name, s, len(ps), maxPages)
		}
		// Row 3 holds the column headings; a sheet of one column (a
		// failed query's message) cannot spill to the right.
		head, _ := f.GetCellValue(s, "A3")
		head = strings.Join(strings.Fields(head), " ")
		if next, _ := f.GetCellValue(s, "B3"); head == "" || next == "" {
			continue
		}
		for _, p := range ps {
			if text := strings.Join(strings.Fields(Text(pages[p])), " "); !strings.Contains(text, head) {
				t.Errorf("%s: page %d of sheet %s lacks the first column's heading %q: it prints columns to the right of another page", name, p+1, s, head)
			}
		}
	}
	return cut
}
