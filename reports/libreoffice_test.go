package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/soffice"
	"github.com/xuri/excelize/v2"
)

// pdfWord is one word of a PDF page as pdftotext -bbox reports it.
type pdfWord struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

var (
	pageRE = regexp.MustCompile(`<page width="[0-9.]+" height="[0-9.]+">`)
	wordRE = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

// pdfPages reads every word of every page of a PDF.
func pdfPages(t *testing.T, pdf string) [][]pdfWord {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bbox.html")
	if msg, err := exec.Command(soffice.PDFToText(t), "-bbox", pdf, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftotext -bbox %s: %v\n%s", pdf, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]pdfWord
	parts := pageRE.Split(string(data), -1)
	for _, part := range parts[1:] {
		var words []pdfWord
		for _, m := range wordRE.FindAllStringSubmatch(part, -1) {
			f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
			words = append(words, pdfWord{text: htmlUnescape(m[5]), xMin: f(m[1]), yMin: f(m[2]), xMax: f(m[3]), yMax: f(m[4])})
		}
		pages = append(pages, words)
	}
	return pages
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'").Replace(s)
}

func pageText(words []pdfWord) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w.text
	}
	return strings.Join(parts, " ")
}

// words normalises a sentence into the sequence of words a PDF shows.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// calibrationBook is a one-sheet workbook whose text is exactly minPrintPt
// at 100%: the height pdftotext gives its words is the smallest a report's
// words may have (word boxes are taller than the font size, by the font's
// own ascent and descent).
func calibrationBook(t *testing.T, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	st, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: fontName, Size: minPrintPt}})
	if err != nil {
		t.Fatal(err)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: fontName, Size: minPrintPt, Bold: true}})
	for i, s := range []string{"calibration text at eight points", "Principal arn:aws:iam::111122223333:user/x 2026-11-05 00:00 UTC"} {
		cell := "A" + strconv.Itoa(i+1)
		f.SetCellStr("Sheet1", cell, s)
		f.SetCellStyle("Sheet1", cell, cell, []int{st, bold}[i])
	}
	p := filepath.Join(dir, "calibration.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

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
	for name, b := range bundles {
		dir := filepath.Join(tmp, name)
		if _, err := Write(dir, b); err != nil {
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
	paths = append(paths, calibrationBook(t, tmp))
	out := filepath.Join(tmp, "pdf")
	t0 := time.Now()
	soffice.ConvertAll(t, paths, "pdf", out)
	t.Logf("LibreOffice converted %d workbooks in %v", len(paths), time.Since(t0).Round(time.Millisecond))

	cal := pdfPages(t, filepath.Join(out, "calibration.pdf"))
	if len(cal) != 1 || len(cal[0]) < 5 {
		t.Fatalf("calibration PDF: %d pages", len(cal))
	}
	minHeight := 1e9
	for _, w := range cal[0] {
		minHeight = min(minHeight, w.yMax-w.yMin)
	}
	t.Logf("an 8 pt word is %.2f pt high in pdftotext's boxes", minHeight)

	for name, b := range bundles {
		t.Run(name, func(t *testing.T) {
			pages := pdfPages(t, filepath.Join(out, name+".pdf"))
			if len(pages) == 0 {
				t.Fatal("no pages")
			}
			wr := &writer{b: b, findings: sortFindings(b.Findings)}
			marking := wr.marking()
			first := words(pageText(pages[0]))
			if !strings.Contains(first, "Summary") || !strings.Contains(first, words(wr.caseLabel())) {
				t.Errorf("page 1 lacks the Summary or the case id %q:\n%s", wr.caseLabel(), first)
			}
			sentences := append(wr.summary(), "Status:", "Main caveat:")
			for _, s := range sentences {
				if !strings.Contains(first, words(s)) {
					t.Errorf("page 1 lacks the summary sentence %q", s)
				}
			}
			small := 0
			for i, page := range pages {
				text := words(pageText(page))
				if want := fmt.Sprintf("page %d of %d", i+1, len(pages)); !strings.Contains(text, want) {
					t.Errorf("page %d lacks %q", i+1, want)
				}
				if !strings.Contains(text, words(marking)) {
					t.Errorf("page %d lacks the marking %q", i+1, marking)
				}
				for _, w := range page {
					if h := w.yMax - w.yMin; h < minHeight*0.97 && small < 10 {
						small++
						t.Errorf("page %d: %q prints %.2f pt high, under 8 pt (an 8 pt word is %.2f)", i+1, w.text, h, minHeight)
					}
				}
			}
			if name == "long" {
				// The footer names the sheet (&A): find its pages.
				var sheetPages []int
				for i, page := range pages {
					if strings.HasSuffix(words(pageText(page)), "exfil.top_keys") {
						sheetPages = append(sheetPages, i)
					}
				}
				if len(sheetPages) < 2 {
					t.Fatalf("the 400-row sheet printed on %d pages", len(sheetPages))
				}
				second := words(pageText(pages[sheetPages[1]]))
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
