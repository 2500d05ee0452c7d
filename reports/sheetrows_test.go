package reports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/xuri/excelize/v2"
)

// spillCases are rows of every kind of value the report streams, with row
// heights, as the sheet writers pass them (texts through cellText).
func spillCases() [][]any {
	var rows [][]any
	for _, h := range hostile {
		s := cellText(h, func() string { return "x" })
		rows = append(rows, []any{s, excelize.Cell{StyleID: 3, Value: s}, nil, "after a gap"})
	}
	texts := []string{"_x005F_", "_x005F_x0041_", "a_x00e9_b", "_X0041_", "_x12G4_", "__x0041_", "&amp; <b> 'q' \"dq\"",
		"tab\tinside", "cr\rinside", "lf\ninside", "trailing space ", "é ü 日本 🙂", "\u2028\u2029", "\x7f", longValue[:maxCellChars]}
	for _, s := range texts {
		rows = append(rows, []any{s})
	}
	floats := []float64{0, -0.0, 0.1 + 0.2, 1.5e-7, 1e21, 123456789012345678, 1234567890123456.7, -98765.4321, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 3.0}
	for _, v := range floats {
		rows = append(rows, []any{excelize.Cell{StyleID: 5, Value: v}})
	}
	for _, v := range []int64{0, -5, 12_345, 9_007_199_254_740_992, math.MinInt64, math.MaxInt64} {
		rows = append(rows, []any{excelize.Cell{StyleID: 4, Value: v}})
	}
	times := []time.Time{tEvent, tEvent.Add(123456789 * time.Nanosecond), time.Date(1900, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1899, 12, 31, 0, 0, 0, 1, time.UTC), time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2188, 6, 1, 12, 0, 0, 0, time.UTC), time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 2, 3, 4, 5, 0, time.FixedZone("UTC+5", 5*3600))}
	for _, v := range times {
		rows = append(rows, []any{excelize.Cell{StyleID: 6, Value: v}})
	}
	rows = append(rows, []any{true, false, excelize.Cell{StyleID: 2, Value: true}, excelize.Cell{StyleID: 2}}, []any{}, []any{nil, nil},
		[]any{&excelize.Cell{StyleID: 3, Value: "by pointer"}, &excelize.Cell{StyleID: 4, Value: int64(7)}})
	wide := make([]any, 30)
	for i := range wide {
		wide[i] = fmt.Sprint(i)
	}
	return append(rows, wide)
}

// sheetDataOf returns what lies between <sheetData> and </sheetData> in the
// first worksheet of a saved workbook.
func sheetDataOf(t *testing.T, book []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		s := string(data)
		i, j := strings.Index(s, "<sheetData>"), strings.Index(s, "</sheetData>")
		if i < 0 || j < i {
			t.Fatalf("no sheetData in %s", s)
		}
		return s[i+len("<sheetData>") : j]
	}
	t.Fatal("no sheet1.xml")
	return ""
}

// TestSpilledRowsAsExcelize: rows written to the temporary file are the
// bytes excelize's stream writer writes for the same rows and heights.
func TestSpilledRowsAsExcelize(t *testing.T) {
	rows := spillCases()
	height := func(i int) []excelize.RowOpts {
		if i%3 == 0 {
			return []excelize.RowOpts{{Height: float64(i%7) * 7.5}}
		}
		return nil
	}
	save := func(f *excelize.File) []byte {
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	// excelize's own stream writer.
	ref := excelize.NewFile()
	defer ref.Close()
	sw, err := ref.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := sw.SetRow("A"+itoa(i+1), r, height(i)...); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := sheetDataOf(t, save(ref))

	// The spilled rows, spliced into a frame the stream writer wrote.
	got := excelize.NewFile()
	defer got.Close()
	sheetRowsOf := func() *sheetRows {
		s, err := newSheetRows()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.close)
		return s
	}
	rs := sheetRowsOf()
	frame, err := got.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rs.sheet("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := p.SetRow("A"+itoa(i+1), r, height(i)...); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
	}
	if err := p.done(); err != nil {
		t.Fatal(err)
	}
	if err := frame.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	sz, err := newSpliceZip(zip.NewWriter(&buf), rs, got)
	if err != nil {
		t.Fatal(err)
	}
	got.SetZipWriter(func(io.Writer) excelize.ZipWriter { return sz })
	if err := got.Write(io.Discard); err != nil {
		t.Fatal(err)
	}
	have := sheetDataOf(t, buf.Bytes())
	if have != want {
		i := 0
		for i < len(have) && i < len(want) && have[i] == want[i] {
			i++
		}
		t.Fatalf("spilled rows differ from excelize's at byte %d:\n got …%.300s\nwant …%.300s", i, have[max(0, i-100):], want[max(0, i-100):])
	}
	if len(want) < 10000 {
		t.Fatalf("only %d bytes of rows compared", len(want))
	}
}

// TestSpilledTextReadsBack: text excelize escapes ambiguously (patterns
// sharing underscores, an escaped surrogate, which excelize drops) reads
// back from spilled rows as written.
func TestSpilledTextReadsBack(t *testing.T) {
	texts := []string{"_x0041_x0042_", "a_xD800_b", "_x005F_x005F_", "x_x0041__x0042_y", "_x0041_x0042_x0043_", "plain"}
	q := QueryRun{Name: "t/texts", SQL: "SELECT 1", Columns: []engine.Column{{Name: "s", Type: engine.String}}}
	for _, s := range texts {
		q.Rows = append(q.Rows, []any{s})
	}
	x := writeOpened(t, &Bundle{Command: "hunt", GeneratedAt: tGen, Queries: []QueryRun{q}})
	for i, s := range texts {
		cell := "A" + itoa(queryHeadRows+1+i)
		if v, _ := x.GetCellValue("t.texts", cell); v != s {
			t.Errorf("%s reads back %q, want %q", cell, v, s)
		}
	}
}

// TestSpillRefusesWhatItCannotWrite: a value the spilled rows do not
// support, or rows out of order, fail instead of being dropped.
func TestSpillRefusesWhatItCannotWrite(t *testing.T) {
	rs, err := newSheetRows()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.close()
	p, err := rs.sheet("S")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cell string
		vals []any
		opts []excelize.RowOpts
	}{
		{"A1", []any{int32(5)}, nil},
		{"A2", []any{excelize.Cell{Value: tEvent}}, nil},
		{"A3", []any{excelize.Cell{Formula: "SUM(A1)"}}, nil},
		{"A4", []any{strings.Repeat("x", maxCellChars+1)}, nil},
		{"A5", []any{"x"}, []excelize.RowOpts{{Hidden: true}}},
		{"B6", []any{"x"}, nil},
	} {
		p.err = nil
		if err := p.SetRow(c.cell, c.vals, c.opts...); err == nil {
			t.Errorf("SetRow(%s, %#v) did not fail", c.cell, c.vals)
		}
	}
	p.err = nil
	if err := p.SetRow("A10", []any{"x"}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetRow("A10", []any{"x"}); err == nil {
		t.Error("a repeated row number did not fail")
	}
}

// TestSpilledWorkbookSameAsStreamWriter: with the rows spilled, every
// workbook the tests make is the same, byte for byte, as when excelize's
// stream writer holds them, and reads back the same cell by cell (values,
// types, styles, heights, merges, panes, print setup, defined names).
func TestSpilledWorkbookSameAsStreamWriter(t *testing.T) {
	timeline := sampleBundle()
	f := Finding{Severity: "high", Query: "exfil/top_readers", Text: "many events"}
	for i := range 40 {
		f.Events = append(f.Events, Event{Time: tEvent.Add(time.Duration(i) * time.Second), EventID: fmt.Sprintf("ev-%04d", i),
			Actor: "arn:aws:iam::111122223333:user/mallory", Action: "called GetObject", Target: hostile[i%len(hostile)]})
	}
	timeline.Findings = append(timeline.Findings, f)
	bundles := map[string]*Bundle{"sample": sampleBundle(), "long": longBundle(), "wide": wideBundle(),
		"timeline": longTimelineBundle(), "streamed-timeline": timeline, "empty": {Command: "hunt", GeneratedAt: tGen}}
	oldStream, oldMax := streamRowsAbove, maxSheetRows
	streamRowsAbove, maxSheetRows = 10, 150 // stream the Timelines; roll the long queries over
	defer func() { streamRowsAbove, maxSheetRows, spillRows = oldStream, oldMax, true }()
	for name, b := range bundles {
		t.Run(name, func(t *testing.T) {
			books := map[bool]string{}
			for _, spill := range []bool{false, true} {
				spillRows = spill
				dir := filepath.Join(t.TempDir(), "bundle")
				if _, err := Write(dir, b); err != nil {
					t.Fatal(err)
				}
				books[spill] = filepath.Join(dir, ReportName)
			}
			spillRows = true
			a, _ := os.ReadFile(books[false])
			c, _ := os.ReadFile(books[true])
			if !bytes.Equal(a, c) {
				t.Errorf("report.xlsx differs with the rows spilled (%d bytes, %d without)", len(c), len(a))
			}
			sameBooks(t, books[false], books[true])
		})
	}
}

// sameBooks compares two workbooks as excelize reads them.
func sameBooks(t *testing.T, wantPath, gotPath string) {
	t.Helper()
	open := func(p string) *excelize.File {
		x, err := excelize.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}
	want, got := open(wantPath), open(gotPath)
	if w, g := want.GetSheetList(), got.GetSheetList(); !reflect.DeepEqual(w, g) {
		t.Fatalf("sheets %q, want %q", g, w)
	}
	if w, g := want.GetDefinedName(), got.GetDefinedName(); !reflect.DeepEqual(w, g) {
		t.Errorf("defined names %+v, want %+v", g, w)
	}
	cells := 0
	for _, sh := range want.GetSheetList() {
		wr, err := want.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		gr, err := got.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(wr) != len(gr) {
			t.Errorf("%s: %d rows, want %d", sh, len(gr), len(wr))
			continue
		}
		for r := range wr {
			hw, _ := want.GetRowHeight(sh, r+1)
			hg, _ := got.GetRowHeight(sh, r+1)
			if hw != hg {
				t.Errorf("%s row %d: height %v, want %v", sh, r+1, hg, hw)
			}
			for c := range max(len(wr[r]), len(gr[r])) {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				for _, read := range []func(*excelize.File) (any, error){
					func(x *excelize.File) (any, error) { return x.GetCellValue(sh, cell) },
					func(x *excelize.File) (any, error) {
						return x.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
					},
					func(x *excelize.File) (any, error) { return x.GetCellType(sh, cell) },
					func(x *excelize.File) (any, error) { return x.GetCellStyle(sh, cell) },
				} {
					w, errW := read(want)
					g, errG := read(got)
					if !reflect.DeepEqual(w, g) || (errW == nil) != (errG == nil) {
						t.Errorf("%s!%s: %v (%v), want %v (%v)", sh, cell, g, errG, w, errW)
					}
				}
				cells++
			}
		}
		for _, read := range []func(*excelize.File) (any, error){
			func(x *excelize.File) (any, error) { return x.GetMergeCells(sh) },
			func(x *excelize.File) (any, error) { return x.GetPanes(sh) },
			func(x *excelize.File) (any, error) { return x.GetPageLayout(sh) },
			func(x *excelize.File) (any, error) { return x.GetPageMargins(sh) },
			func(x *excelize.File) (any, error) { return x.GetHeaderFooter(sh) },
			func(x *excelize.File) (any, error) { return x.GetSheetProps(sh) },
			func(x *excelize.File) (any, error) { return x.GetSheetDimension(sh) },
			func(x *excelize.File) (any, error) { return x.GetColWidth(sh, "A") },
			func(x *excelize.File) (any, error) { return x.GetColWidth(sh, "C") },
		} {
			w, _ := read(want)
			g, _ := read(got)
			if !reflect.DeepEqual(w, g) {
				t.Errorf("%s: %+v, want %+v", sh, g, w)
			}
		}
	}
	if cells == 0 {
		t.Fatal("no cell compared")
	}
}
