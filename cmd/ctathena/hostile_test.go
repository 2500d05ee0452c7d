package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/internal/soffice"
	"github.com/xuri/excelize/v2"
)

// TestHostileLogsKeepTheReportValid runs exfil and identity over the bundled
// sample, whose logs carry attacker-controlled text (a =HYPERLINK user
// agent, a 40,000-character user agent, tabs, quotes, non-ASCII), and checks
// what counsel receives: no formula anywhere, the hostile text kept as text,
// the long value clipped with its marker, the same CSV bytes on a second
// run, and a workbook a real spreadsheet program opens.
func TestHostileLogsKeepTheReportValid(t *testing.T) {
	sample, _ := filepath.Abs("../../testdata/sample")
	dir := t.TempDir()
	t.Setenv("CTATHENA_TMPDIR", dir)
	window := []string{"--since", "2026-11-05", "--until", "2026-11-08", "--logs", sample, "--quiet"}
	bundles := map[string][]string{
		"exfil-1":  append([]string{"exfil", "--bucket", "payroll-exports"}, window...),
		"exfil-2":  append([]string{"exfil", "--bucket", "payroll-exports"}, window...),
		"identity": append([]string{"identity", "--access-key", "AKIAD9BL9URSY99LGGG2", "--pivot", "3"}, window...),
	}
	for name, args := range bundles {
		out := filepath.Join(dir, name)
		if code, _, errs := runMain(t, append(args, "--out", out)...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, errs)
		}
	}

	// The same inputs give the same CSV and SQL bytes.
	for _, sub := range []string{"results", "queries"} {
		files, _ := filepath.Glob(filepath.Join(dir, "exfil-1", sub, "*"))
		if len(files) == 0 {
			t.Fatalf("no %s files", sub)
		}
		for _, f := range files {
			a, _ := os.ReadFile(f)
			b, err := os.ReadFile(filepath.Join(dir, "exfil-2", sub, filepath.Base(f)))
			// Execution ids, like times, belong to a run.
			a, b = dropLines(a, "-- execution_id:"), dropLines(b, "-- execution_id:")
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s/%s differs between two identical runs", sub, filepath.Base(f))
			}
		}
	}

	for _, name := range []string{"exfil-1", "identity"} {
		book := filepath.Join(dir, name, "report.xlsx")
		f, err := excelize.OpenFile(book)
		if err != nil {
			t.Fatalf("%s: excelize cannot open the report: %v", name, err)
		}
		var hyperlinkAsText, clipped bool
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, sheet, err)
			}
			for r, row := range rows {
				for c, v := range row {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
						t.Errorf("%s/%s!%s holds a formula: %q", name, sheet, cell, formula)
					}
					if strings.HasPrefix(v, `=HYPERLINK(`) {
						hyperlinkAsText = true
					}
					if strings.Contains(v, "[clipped: ") {
						clipped = true
					}
				}
			}
		}
		f.Close()
		if name == "exfil-1" && (!hyperlinkAsText || !clipped) {
			t.Errorf("%s: hostile user agent kept as text %v, 40,000-character value clipped with a marker %v", name, hyperlinkAsText, clipped)
		}
		csv, _ := os.ReadFile(filepath.Join(dir, name, "results", "exfil__top_readers.csv"))
		if name == "exfil-1" && !bytes.Contains(csv, []byte(strings.Repeat("AAAAAAAAAA", 4000))) {
			t.Errorf("the CSV does not keep the 40,000-character user agent whole")
		}
		libreOfficeOpens(t, book)
	}
}

// libreOfficeOpens converts a workbook to PDF with LibreOffice headless.
func libreOfficeOpens(t *testing.T, book string) {
	t.Helper()
	out := t.TempDir()
	soffice.Convert(t, book, "pdf", out)
	if st, err := os.Stat(filepath.Join(out, "report.pdf")); err != nil || st.Size() == 0 {
		t.Fatalf("LibreOffice wrote no PDF for %s", book)
	}
}

func dropLines(b []byte, prefix string) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte(prefix)) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
