package reports

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func writeSample(t *testing.T) (string, *Written) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	w, err := Write(dir, sampleBundle())
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir, w
}

func openBook(t *testing.T, dir string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(dir, ReportName))
	if err != nil {
		t.Fatalf("open report: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestWriteLayout(t *testing.T) {
	dir, w := writeSample(t)
	want := []string{
		"SHA256SUMS", "manifest.json",
		"queries/exfil__policy_changes.sql", "queries/exfil__top_readers.sql", "queries/exfil__top_readers__2.sql",
		"queries/exfil__user_agents.sql", "report.xlsx",
		"results/exfil__policy_changes.csv", "results/exfil__top_readers.csv", "results/exfil__top_readers__2.csv",
		"results/exfil__user_agents.csv", "results/identity__pivot_edges.csv",
	}
	if strings.Join(w.Files, "\n") != strings.Join(want, "\n") {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(w.Files, "\n"), strings.Join(want, "\n"))
	}
	f := openBook(t, dir)
	sheets := f.GetSheetList()
	wantSheets := []string{"Summary", "Findings", "Timeline", "Activity", "Limitations", "Glossary", "Cover", "Evidence files",
		"exfil.top_readers", "exfil.user_agents", "exfil.policy_changes", "identity.pivot_edges", "exfil.top_readers~2", "Queries", "Coverage"}
	if strings.Join(sheets, "|") != strings.Join(wantSheets, "|") {
		t.Errorf("sheets %q, want %q", sheets, wantSheets)
	}
	// The derived table has no SQL file and the manifest says so.
	var m Manifest
	data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if q := m.Queries[3]; !q.Derived || q.Files.SQL != "" || q.Files.CSV != "results/identity__pivot_edges.csv" {
		t.Errorf("derived query in manifest: %+v", q)
	}
	if q := m.Queries[2]; q.Error == "" || q.State != "FAILED" {
		t.Errorf("failed query in manifest: %+v", q)
	}
	if m.SchemaVersion != ManifestSchemaVersion || m.Engine.Version != "DuckDB v1.3.2" || len(m.Files) != 10 {
		t.Errorf("manifest header: %+v, %d files", m, len(m.Files))
	}
}

func TestOutExists(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(dir, sampleBundle())
	if !errors.Is(err, ErrOutExists) {
		t.Fatalf("Write into non-empty folder: %v, want ErrOutExists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keep.txt")); string(b) != "mine" {
		t.Fatal("user file touched")
	}
	// An existing empty folder is fine.
	if _, err := Write(t.TempDir(), sampleBundle()); err != nil {
		t.Fatalf("Write into empty folder: %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	a, wa := writeSample(t)
	b, _ := writeSample(t)
	for _, p := range wa.Files {
		x, _ := os.ReadFile(filepath.Join(a, p))
		y, _ := os.ReadFile(filepath.Join(b, p))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two identical runs", p)
		}
	}
}

func TestCSVExact(t *testing.T) {
	dir, _ := writeSample(t)
	got, _ := os.ReadFile(filepath.Join(dir, "results/exfil__top_readers.csv"))
	want := "principal,bytes,first_seen,ratio,anonymous\n" +
		"arn:aws:iam::111122223333:user/mallory,3200000000,2026-11-02T03:04:05Z,0.25,false\n" +
		"arn:aws:iam::111122223333:role/etl,12345,2026-11-02T04:04:05Z,1.5e-07,true\n" +
		",9007199254740993,,,\n" +
		"\"\",-5,1800-01-01T00:00:00Z,3,\n"
	same(t, "top_readers.csv", string(got), want)
	got, _ = os.ReadFile(filepath.Join(dir, "results/exfil__user_agents.csv"))
	var sb strings.Builder
	sb.WriteString("useragent,n\n")
	quoted := map[int]string{
		0: `"=HYPERLINK(""http://evil.example"",""x"")"`, 4: "\"\tstarts with tab\"", 5: "\"\rstarts with CR\"", 11: "\"line1\r\nline2\"", 12: `""`,
		13: `" leading space"`, 14: `"quote ""inside"", comma"`, 15: `"\."`,
	}
	for i, h := range hostile {
		if q, ok := quoted[i]; ok {
			h = q
		}
		sb.WriteString(h + "," + itoa(i) + "\n")
	}
	sb.WriteString(longValue + ",99\n")
	same(t, "user_agents.csv", string(got), sb.String())
}

func itoa(i int) string { return strconv.Itoa(i) }

// same reports a mismatch without printing 40,000-character values.
func same(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-40)
	t.Errorf("%s differs at byte %d (len %d, want %d): got %q, want %q", what, i, len(got), len(want),
		got[lo:min(len(got), i+40)], want[lo:min(len(want), i+40)])
}

func TestSQLFile(t *testing.T) {
	dir, _ := writeSample(t)
	got, _ := os.ReadFile(filepath.Join(dir, "queries/exfil__top_readers.sql"))
	want := "-- name: exfil/top_readers\n" +
		"-- summary: principals and source IPs that read the bucket, by bytes out\n" +
		"-- param bucket = payroll-exports   (placeholder 1)\n" +
		"-- param since = 2026-11-01T00:00:00Z   (placeholder 2)\n" +
		"-- param until = 2026-11-05T00:00:00Z   (placeholder 3)\n" +
		"-- execution_id: local-1\n" +
		"SELECT principal, bytes FROM cloudtrail WHERE bucket = ? AND eventtime >= ? AND eventtime < ?\n"
	if string(got) != want {
		t.Errorf("sql file:\n%s\nwant\n%s", got, want)
	}
	var buf bytes.Buffer
	q := &QueryRun{Name: "x", SQL: "SELECT ?", Params: []Param{{"p", "a\nSELECT evil"}}}
	if err := writeSQL(&buf, q); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `-- param p = "a\nSELECT evil"`) {
		t.Errorf("multi-line param not quoted:\n%s", buf.String())
	}
}

func TestQuerySheetTypes(t *testing.T) {
	dir, _ := writeSample(t)
	f := openBook(t, dir)
	sh := "exfil.top_readers"
	panes, err := f.GetPanes(sh)
	if err != nil || !panes.Freeze || panes.YSplit != queryHeadRows {
		t.Errorf("panes %+v %v, want frozen header", panes, err)
	}
	names, _ := f.GetDefinedName(), 0
	found := false
	for _, n := range names {
		if n.Name == "_xlnm._FilterDatabase" && n.Scope == sh && n.RefersTo == "'exfil.top_readers'!$A$3:$E$7" {
			found = true
		}
	}
	if !found {
		t.Errorf("no autofilter over A3:E7 on %s: %+v", sh, names)
	}
	cases := []struct {
		cell, value string
		typ         excelize.CellType
		numFmt      string
	}{
		{"A1", "Exfil: top readers", excelize.CellTypeInlineString, ""},
		{"A3", "Principal (who)", excelize.CellTypeInlineString, ""}, // the CSV keeps "principal"
		{"A4", "arn:aws:iam::111122223333:user/mallory", excelize.CellTypeInlineString, ""},
		{"B4", "3,200,000,000", excelize.CellTypeUnset, "#,##0"},
		{"C4", "2026-11-02 03:04:05 UTC", excelize.CellTypeUnset, tsFormat},
		{"D4", "0.25", excelize.CellTypeUnset, "#,##0.########"},
		{"E4", "FALSE", excelize.CellTypeBool, ""},
		{"B6", "9007199254740993", excelize.CellTypeInlineString, ""}, // beyond float64 precision: text
		{"C7", "1800-01-01T00:00:00Z", excelize.CellTypeInlineString, ""},
		{"A7", "", excelize.CellTypeInlineString, ""},
	}
	for _, c := range cases {
		v, _ := f.GetCellValue(sh, c.cell)
		typ, _ := f.GetCellType(sh, c.cell)
		if v != c.value || typ != c.typ {
			t.Errorf("%s = %q type %v, want %q type %v", c.cell, v, typ, c.value, c.typ)
		}
		if c.numFmt != "" {
			sid, _ := f.GetCellStyle(sh, c.cell)
			st, _ := f.GetStyle(sid)
			got := ""
			if st.CustomNumFmt != nil {
				got = *st.CustomNumFmt
			} else if st.NumFmt == 3 {
				got = "#,##0"
			}
			if got != c.numFmt {
				t.Errorf("%s number format %q, want %q", c.cell, got, c.numFmt)
			}
		}
	}
	// The used range is recorded (excelize leaves A1 otherwise).
	for sheet, want := range map[string]string{sh: "A1:E7", "Evidence files": "A1:C12"} {
		if d, err := f.GetSheetDimension(sheet); err != nil || d != want {
			t.Errorf("%s dimension %q (%v), want %s", sheet, d, err, want)
		}
	}
	if v, _ := f.GetCellValue(sh, "A6"); v != "" {
		t.Errorf("NULL cell A6 = %q", v)
	}
}

func TestHostileTextStaysText(t *testing.T) {
	dir, _ := writeSample(t)
	f := openBook(t, dir)
	sh := "exfil.user_agents"
	want := map[int]string{
		6: `bell\x07 and nul\x00 and esc\x1B`,
		7: `non-char \uFFFE\uFFFF here`,
		8: `bad utf8 \xFF\xFE end`,
		9: `lone surrogate \xED\xA0\x80 end`,
	}
	for i, h := range hostile {
		cell := "A" + itoa(i+queryHeadRows+1)
		exp := h
		if w, ok := want[i]; ok {
			exp = w
		}
		v, _ := f.GetCellValue(sh, cell)
		same(t, cell, v, exp)
		typ, _ := f.GetCellType(sh, cell)
		if typ != excelize.CellTypeInlineString {
			t.Errorf("%s (%q) has type %v, want inline string", cell, h, typ)
		}
	}
	clipped, _ := f.GetCellValue(sh, "A"+itoa(len(hostile)+queryHeadRows+1))
	marker := "…[clipped: 40,000 chars; full value in results/exfil__user_agents.csv, data row 17, column useragent]"
	if !strings.HasSuffix(clipped, marker) || !strings.HasPrefix(clipped, "AAAA") || utf16Len(clipped) != maxCellChars {
		t.Errorf("clipped cell: %d chars, ends %q", utf16Len(clipped), clipped[max(0, len(clipped)-120):])
	}
	assertNoFormulas(t, dir, f)
	// The Findings sheet carries the attacker's text as text too.
	// (row 8: title, description, status, heading, then the findings
	// sorted by severity and time; the info finding is the last).
	v, _ := f.GetCellValue("Findings", "D8")
	if v != `=HYPERLINK("http://evil.example","x") is a user agent` {
		t.Errorf("finding text %q", v)
	}
}

var formulaTag = regexp.MustCompile(`<(\w+:)?f[ >/]`)

// assertNoFormulas checks every cell of every sheet through excelize and
// the raw XML of every part, so no formula can hide anywhere.
func assertNoFormulas(t *testing.T, dir string, f *excelize.File) {
	t.Helper()
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(sh, cell); fm != "" {
					t.Errorf("%s!%s holds formula %q", sh, cell, fm)
				}
			}
		}
	}
	zr, err := zip.OpenReader(filepath.Join(dir, ReportName))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, _ := zf.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		if formulaTag.Match(b.Bytes()) {
			t.Errorf("%s contains a formula element", zf.Name)
		}
	}
}

func TestRollover(t *testing.T) {
	old := maxSheetRows
	maxSheetRows = queryHeadRows + 4 // title, description, heading + 4 data rows per sheet
	defer func() { maxSheetRows = old }()
	b := sampleBundle()
	q := &b.Queries[1] // 17 rows of user agents
	dir := filepath.Join(t.TempDir(), "b")
	w, err := Write(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	f := openBook(t, dir)
	wantSheets := []string{"exfil.user_agents", "exfil.user_agents (2)", "exfil.user_agents (3)", "exfil.user_agents (4)", "exfil.user_agents (5)"}
	if got := w.Manifest.Queries[1].Sheets; strings.Join(got, "|") != strings.Join(wantSheets, "|") {
		t.Fatalf("sheets %q, want %q", got, wantSheets)
	}
	total := 0
	for i, sh := range wantSheets {
		rows, _ := f.GetRows(sh)
		if len(rows) < queryHeadRows || rows[queryHeadRows-1][0] != "User agent (client software)" {
			t.Errorf("%s has no header", sh)
			continue
		}
		total += len(rows) - queryHeadRows
		first, _ := f.GetCellValue(sh, "B4")
		want := i * 4
		if want >= len(hostile) {
			want = 99
		}
		if first != itoa(want) {
			t.Errorf("%s starts at n=%s, want %d", sh, first, want)
		}
	}
	if total != len(q.Rows) {
		t.Errorf("rows over all sheets %d, want %d", total, len(q.Rows))
	}
}

func TestSheetNames(t *testing.T) {
	n := newSheetNamer(sheetCover, sheetFindings, sheetQueries, sheetCoverage)
	got := []string{
		n.name("exfil/top_readers", 1),
		n.name("hunt/evasion_[stop]:logging*?\\x'y", 1),
		n.name("identity/a_very_long_query_name_that_goes_on_and_on", 1),
		n.name("identity/a_very_long_query_name_that_goes_on_and_on", 1),
		n.name("identity/a_very_long_query_name_that_goes_on_and_on", 2),
		n.name("COVER", 1),
		n.name("", 1),
	}
	want := []string{
		"exfil.top_readers",
		"hunt.evasion__stop__logging___x",
		"identity.a_very_long_query_name",
		"identity.a_very_long_query_na~2",
		"identity.a_very_long_query_ (2)",
		"COVER~2",
		"query",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, got[i], want[i])
		}
		if len([]rune(got[i])) > 31 {
			t.Errorf("%q longer than 31", got[i])
		}
	}
	bases := fileBases([]string{"exfil/top", "exfil/top", "../../etc/passwd", "Exfil/Top"})
	if strings.Join(bases, " ") != "exfil__top exfil__top__2 ________etc__passwd Exfil__Top__3" {
		t.Errorf("file bases %q", bases)
	}
}
