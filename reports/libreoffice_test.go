package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/soffice"
)

// words normalises a sentence into the sequence of words a PDF shows.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// longBundle has a query long enough to print on several pages.
func longBundle() *Bundle {
	q := QueryRun{Name: "exfil/top_keys", Summary: "the most-read object keys", SQL: "SELECT 1",
		Columns: []engine.Column{{Name: "object_key", Type: engine.String}, {Name: "reads", Type: engine.Integer}, {Name: "bytes_out", Type: engine.Integer}}}
	for i := range 400 {
		q.Rows = append(q.Rows, []any{fmt.Sprintf("exports/2026/11/part-%05d.csv", i), int64(400 - i), int64(1_000_000 * (400 - i))})
	}
	return &Bundle{Command: "exfil --bucket payroll-exports", Case: "LONG-9", GeneratedAt: tGen, Since: tSince, Until: tUntil,
		Params: []Param{{"bucket", "payroll-exports"}}, Queries: []QueryRun{q}}
}

// TestLibreOfficePrintsDocuments converts the reports the tests make to PDF
// in one LibreOffice run and reads the pages as counsel would print them:
// page 1 holds the summary and the case id, no word prints under 8 pt,
// every page carries "page N of M" and the marking, and a long sheet's
// heading row repeats on its second page. It also converts the sample to
// CSV: the hostile text must come back as text. Without LibreOffice or
// pdftotext the test skips locally and fails in CI.
func TestLibreOfficePrintsDocuments(t *testing.T) {
	if testing.Short() {
		t.Skip("LibreOffice conversion is slow; skipped with -short")
	}
	soffice.Path(t)
	soffice.PDFToText(t)
	tmp := t.TempDir()
	bundles := map[string]*Bundle{
		"sample": sampleBundle(),
		"long":   longBundle(),
		"empty":  {Command: "hunt", GeneratedAt: tGen},
	}
	books := map[string]string{}
	var paths []string
	// The sample again on A4 (the others print on the program's default
	// paper, Letter in the C locale): the layout must hold on both.
	bundles["sample-a4"] = sampleBundle()
	for name, b := range bundles {
		dir := filepath.Join(tmp, name)
		if name == "sample-a4" {
			paperSize = 9
		}
		_, err := Write(dir, b)
		paperSize = 0
		if err != nil {
			t.Fatal(err)
		}
		// One folder for all books: each needs its own base name.
		p := filepath.Join(tmp, name+".xlsx")
		if err := os.Rename(filepath.Join(dir, ReportName), p); err != nil {
			t.Fatal(err)
		}
		books[name] = p
		paths = append(paths, p)
	}
	sort.Strings(paths)
	paths = append(paths, soffice.CalibrationBook(t, tmp, fontName, minPrintPt))
	out := filepath.Join(tmp, "pdf")
	t0 := time.Now()
	soffice.ConvertAll(t, paths, "pdf", out)
	t.Logf("LibreOffice converted %d workbooks in %v", len(paths), time.Since(t0).Round(time.Millisecond))

	minHeight := soffice.MinWordHeight(t, filepath.Join(out, "calibration.pdf"))
	t.Logf("an 8 pt word is %.2f pt high in pdftotext's boxes", minHeight)

	for name, b := range bundles {
		t.Run(name, func(t *testing.T) {
			pdf := filepath.Join(out, name+".pdf")
			pages := soffice.Pages(t, pdf)
			if len(pages) == 0 {
				t.Fatal("no pages")
			}
			if info, err := exec.Command("pdfinfo", pdf).Output(); err == nil && name == "sample-a4" && !strings.Contains(string(info), "(A4)") {
				t.Errorf("%s does not print on A4 paper:\n%s", name, info)
			}
			wr := &writer{b: b, findings: sortFindings(b.Findings)}
			soffice.CheckPages(t, name, pages, wr.marking(), minHeight)
			first := words(soffice.Text(pages[0]))
			if !strings.Contains(first, "Summary") || !strings.Contains(first, words(wr.caseLabel())) {
				t.Errorf("page 1 lacks the Summary or the case id %q:\n%s", wr.caseLabel(), first)
			}
			sentences := append(wr.summary(), "Status:", "Main caveat:")
			for _, s := range sentences {
				if !strings.Contains(first, words(s)) {
					t.Errorf("page 1 lacks the summary sentence %q", s)
				}
			}
			if name == "long" {
				// The footer names the sheet (&A): find its pages.
				var sheetPages []int
				for i, page := range pages {
					if strings.HasSuffix(words(soffice.Text(page)), "exfil.top_keys") {
						sheetPages = append(sheetPages, i)
					}
				}
				if len(sheetPages) < 2 {
					t.Fatalf("the 400-row sheet printed on %d pages", len(sheetPages))
				}
				second := words(soffice.Text(pages[sheetPages[1]]))
				for _, h := range []string{"Object key", "Reads", "Bytes out (downloaded)"} {
					if !strings.Contains(second, h) {
						t.Errorf("the second page of the long sheet lacks the heading %q:\n%.300s", h, second)
					}
				}
				if strings.Contains(second, "part-00000") || !strings.Contains(second, "part-") {
					t.Errorf("the second page of the long sheet does not continue the rows:\n%.300s", second)
				}
			}
		})
	}

	// The same sample as CSV: LibreOffice reads the attacker's text as
	// text, never as a formula.
	csvOut := filepath.Join(tmp, "csv")
	soffice.Convert(t, books["sample"], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", csvOut)
	ua, err := os.ReadFile(filepath.Join(csvOut, "sample-exfil.user_agents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"=HYPERLINK(""http://evil.example"",""x"")",0`, `+cmd|' /C calc'!A0,1`, `@SUM(A1),2`, `-2+3,3`,
		`bell\x07 and nul\x00 and esc\x1B,6`, "full value in results/exfil__user_agents.csv, data row 17",
	} {
		if !strings.Contains(string(ua), want) {
			t.Errorf("LibreOffice's view of the user agents sheet lacks %q", want)
		}
	}
}
