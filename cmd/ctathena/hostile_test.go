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
	window := []string{"--since", "2026-11-05", "--until", "2026-11-08", "--logs", sample, "--quiet", "--case", "HOSTILE-1"}
	stratus, _ := filepath.Abs("../../testdata/stratus")
	bundles := map[string][]string{
		"exfil-1":  append([]string{"exfil", "--bucket", "payroll-exports"}, window...),
		"exfil-2":  append([]string{"exfil", "--bucket", "payroll-exports"}, window...),
		"identity": append([]string{"identity", "--access-key", "AKIAD9BL9URSY99LGGG2", "--pivot", "3", "--marking", "Attorney & client privileged"}, window...),
		"hunt":     {"hunt", "--logs", stratus, "--since", "2024-07-01", "--until", "2024-12-31", "--quiet", "--case", "HOSTILE-1"},
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

	for _, name := range []string{"exfil-1", "identity", "hunt"} {
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
	}
	printsAsDocuments(t, dir, map[string]string{"exfil-1": "Confidential", "identity": "Attorney & client privileged", "hunt": "Confidential"})
}

// printsAsDocuments converts the bundles' workbooks to PDF in one
// LibreOffice run and checks every page as counsel prints it: page 1 holds
// the Summary and the case id; every page has "page N of M" and the
// marking; no word prints under 8 pt.
func printsAsDocuments(t *testing.T, dir string, markings map[string]string) {
	t.Helper()
	books := t.TempDir()
	var paths []string
	for name := range markings {
		p := filepath.Join(books, name+".xlsx")
		data, err := os.ReadFile(filepath.Join(dir, name, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, soffice.CalibrationBook(t, books, "Calibri", 8))
	out := t.TempDir()
	soffice.ConvertAll(t, paths, "pdf", out)
	minHeight := soffice.MinWordHeight(t, filepath.Join(out, "calibration.pdf"))
	for name, marking := range markings {
		pages := soffice.Pages(t, filepath.Join(out, name+".pdf"))
		soffice.CheckPages(t, name, pages, marking, minHeight)
		checkPrintLayout(t, name, filepath.Join(books, name+".xlsx"), pages)
		if len(pages) > 0 {
			first := soffice.Text(pages[0])
			for _, want := range []string{"Summary", "Case HOSTILE-1", "Status:", "Main caveat:"} {
				if !strings.Contains(first, want) {
					t.Errorf("%s: page 1 lacks %q", name, want)
				}
			}
		}
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
