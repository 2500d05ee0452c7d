package main

import (
	"slices"
	"testing"

	"github.com/ctathena/ctathena/internal/soffice"
)

// sampleExfilMaxPages bounds the printed exfil report of the bundled
// sample. It has about 20 sheets: the Summary, Findings (10 findings, 4
// pages), the Timeline in brief (58 lines, 5 pages) and the other fixed
// sheets print in full in about 25 pages, and each query sheet prints at
// most its first rows, 3 pages. 60 leaves room for wording without letting
// a sheet print in full again: its 1,582 read events alone took 524 pages,
// and the Timeline of every event 115.
const sampleExfilMaxPages = 60

// checkPrintLayout checks how a report's sheets print (see
// soffice.CheckPrintedSheets); for the sample's exfil report also that it
// fits sampleExfilMaxPages and that the per-event sheets print in part.
func checkPrintLayout(t *testing.T, name, book string, pages [][]soffice.Word) {
	t.Helper()
	cut := soffice.CheckPrintedSheets(t, name, book, pages, 3)
	t.Logf("%s prints on %d pages; in part: %v", name, len(pages), cut)
	if name != "exfil-1" {
		return
	}
	if len(pages) > sampleExfilMaxPages {
		t.Errorf("%s prints on %d pages, more than %d", name, len(pages), sampleExfilMaxPages)
	}
	for _, s := range []string{"exfil.read_events", "Timeline", "Queries"} {
		if !slices.Contains(cut, s) {
			t.Errorf("%s: sheet %s prints in full; printed in part %v", name, s, cut)
		}
	}
}
