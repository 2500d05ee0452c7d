package reports

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestStreamedTimelineMatchesCellAPI: a Timeline and a Timeline in brief
// too big for the cell API are streamed, and hold the same values, styles,
// row heights, merges, panes, used range and print titles as the cell API
// writes.
func TestStreamedTimelineMatchesCellAPI(t *testing.T) {
	b := sampleBundle()
	f := Finding{Severity: "high", Query: "exfil/top_readers", Text: "many events"}
	// Not "_x0007_ …": the cell API stores it in the shared strings
	// unescaped, so it reads back as U+0007, while the stream writer's
	// inline string reads back as written.
	var values []string
	for _, h := range hostile {
		if !strings.Contains(h, "_x") {
			values = append(values, h)
		}
	}
	// More events than the Timeline prints, so it has a brief too.
	for i := range timelinePrintRows + 30 {
		ev := Event{Time: tEvent.Add(time.Duration(i) * time.Second), EventID: fmt.Sprintf("ev-%04d", i),
			Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7", Action: "called GetObject",
			Target: "payroll-exports/" + values[i%len(values)], Result: "succeeded"}
		if i%7 == 0 {
			ev.Target = longValue[:200] // wraps onto several lines
		}
		if i%5 == 0 {
			ev.SourceIP = "203.0.113.5" // breaks the brief's runs
		}
		f.Events = append(f.Events, ev)
	}
	f.EventIDs = []string{"only-an-id"}
	b.Findings = append(b.Findings, f)
	// A low finding: the brief's section of minor events.
	b.Findings = append(b.Findings, Finding{Severity: "low", Text: "a minor one", Events: []Event{{Time: tEvent, EventID: "ev-low", Action: "called ListBuckets"}}})

	open := func(threshold int) *excelize.File {
		t.Helper()
		old := streamRowsAbove
		streamRowsAbove = threshold
		defer func() { streamRowsAbove = old }()
		return writeOpened(t, b)
	}
	cellAPI, streamed := open(1<<30), open(10)
	for _, sheet := range []string{sheetTimeline, sheetTimelineBrief} {
		t.Run(sheet, func(t *testing.T) { sameStreamedSheet(t, cellAPI, streamed, sheet) })
	}
}

func sameStreamedSheet(t *testing.T, cellAPI, streamed *excelize.File, sheet string) {
	want, err := cellAPI.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	got, err := streamed.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 20 || len(got) != len(want) {
		t.Fatalf("streamed Timeline has %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
	for r := 1; r <= len(want); r++ {
		hw, _ := cellAPI.GetRowHeight(sheet, r)
		hg, _ := streamed.GetRowHeight(sheet, r)
		if hw != hg {
			t.Errorf("row %d: height %v, want %v", r, hg, hw)
		}
		for c := 1; c <= len(want[2]); c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			sw, _ := cellAPI.GetCellStyle(sheet, cell)
			sg, _ := streamed.GetCellStyle(sheet, cell)
			vw, _ := cellAPI.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			vg, _ := streamed.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if vw != "" && sw != sg {
				t.Errorf("%s: style %d, want %d", cell, sg, sw)
			}
			if vw != vg {
				t.Errorf("%s: raw value %q, want %q", cell, vg, vw)
			}
		}
	}
	mw, _ := cellAPI.GetMergeCells(sheet)
	mg, _ := streamed.GetMergeCells(sheet)
	if len(mw) != len(mg) || len(mw) == 0 || mw[0].GetStartAxis() != mg[0].GetStartAxis() || mw[0].GetEndAxis() != mg[0].GetEndAxis() {
		t.Errorf("merges %v, want %v", mg, mw)
	}
	if dw, dg := dimension(cellAPI, sheet), dimension(streamed, sheet); dw != dg {
		t.Errorf("used range %s, want %s", dg, dw)
	}
	pw, _ := cellAPI.GetPanes(sheet)
	pg, _ := streamed.GetPanes(sheet)
	if !pw.Freeze || !reflect.DeepEqual(pw, pg) {
		t.Errorf("panes %+v, want %+v", pg, pw)
	}
	for _, x := range []*excelize.File{cellAPI, streamed} {
		if i := x.GetActiveSheetIndex(); i != 0 || x.GetSheetName(0) != fixedSheets[0] {
			t.Errorf("active sheet %d (%s), want the %s", i, x.GetSheetName(i), fixedSheets[0])
		}
		found := false
		for _, dn := range x.GetDefinedName() {
			if dn.Name == "_xlnm.Print_Titles" && dn.Scope == sheet && dn.RefersTo == sheetRef(sheet)+"!$3:$3" {
				found = true
			}
		}
		if !found {
			t.Errorf("no print titles $3:$3 on %s: %+v", sheet, x.GetDefinedName())
		}
		l, err := x.GetPageLayout(sheet)
		if err != nil || l.Orientation == nil {
			t.Errorf("no page layout: %+v %v", l, err)
		}
	}
}

func dimension(x *excelize.File, sheet string) string {
	d, err := x.GetSheetDimension(sheet)
	if err != nil {
		return err.Error()
	}
	return d
}

// TestTimelineCappedAtSheetRows: more events than a sheet has rows fill
// the sheet and its last row says how many are left and where they are.
func TestTimelineCappedAtSheetRows(t *testing.T) {
	b := sampleBundle()
	f := Finding{Severity: "high", Query: "exfil/top_readers", Text: "many events"}
	for i := range 40 {
		f.Events = append(f.Events, Event{Time: tEvent.Add(time.Duration(i) * time.Second), EventID: fmt.Sprintf("ev-%04d", i), Action: "called GetObject"})
	}
	b.Findings = append(b.Findings, f)
	oldRows, oldStream := timelineRows, streamRowsAbove
	timelineRows, streamRowsAbove = 20, 10
	defer func() { timelineRows, streamRowsAbove = oldRows, oldStream }()
	x := writeOpened(t, b)
	rows, err := x.GetRows(sheetTimeline)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 20 {
		t.Fatalf("%d rows, want 20", len(rows))
	}
	last := strings.Join(rows[19], " ")
	if !strings.Contains(last, "This sheet holds the earliest 16 of the") || !strings.Contains(last, "manifest.json") {
		t.Errorf("last row %q does not say what was left off", last)
	}
}

// writeOpened writes b as a bundle in a temporary folder and opens its
// workbook (closed when the test ends).
func writeOpened(t *testing.T, b *Bundle) *excelize.File {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if _, err := Write(dir, b); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, ReportName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}
