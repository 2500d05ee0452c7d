package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// wideBundle has a query of 17 columns and 300 rows, as a hunt's event
// sheets have: too wide for a page and too long to print whole.
func wideBundle() *Bundle {
	q := QueryRun{Name: "hunt/wide_events", Summary: "events with every detail", SQL: "SELECT 1"}
	names := []string{"eventtime", "eventname", "eventsource", "principal", "account", "region", "source_ip", "useragent",
		"errorcode", "errormessage", "target", "request_parameters", "response_elements", "eventid", "attack_tactics", "attack_techniques", "readonly"}
	for _, n := range names {
		typ := engine.String
		switch n {
		case "eventtime":
			typ = engine.Timestamp
		case "readonly":
			typ = engine.Boolean
		}
		q.Columns = append(q.Columns, engine.Column{Name: n, Type: typ})
	}
	for i := range 300 {
		row := []any{tEvent.Add(time.Duration(i) * time.Minute)}
		for _, n := range names[1 : len(names)-1] {
			row = append(row, fmt.Sprintf("%s value %d of a typical length", n, i))
		}
		q.Rows = append(q.Rows, append(row, i%2 == 0))
	}
	return &Bundle{Command: "hunt", Case: "WIDE-3", GeneratedAt: tGen, Since: tSince, Until: tUntil, Queries: []QueryRun{q}}
}

// longTimelineBundle has a high finding resting on 300 reads by one
// principal and a low one on 20 sign-in failures: too many events for the
// Timeline to print whole.
func longTimelineBundle() *Bundle {
	high := Finding{Severity: "high", Text: "principal mallory read 300 objects", Time: tEvent}
	for i := range 300 {
		high.Events = append(high.Events, Event{Time: tEvent.Add(time.Duration(i) * time.Second), EventID: fmt.Sprintf("ev-read-%03d", i),
			Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7", Action: "read object (GetObject)",
			Target: fmt.Sprintf("payroll-exports/exports/part-%03d.csv", i), Result: "succeeded"})
	}
	// One act in the middle of the run breaks it in two.
	high.Events[150].Action, high.Events[150].Target = "replaced the bucket policy (PutBucketPolicy)", "payroll-exports"
	low := Finding{Severity: "low", Text: "20 failed sign-ins", Time: tEvent}
	for i := range 20 {
		low.Events = append(low.Events, Event{Time: tEvent.Add(time.Duration(i) * time.Hour), EventID: fmt.Sprintf("ev-signin-%02d", i),
			Actor: "arn:aws:iam::111122223333:user/alice", SourceIP: fmt.Sprintf("203.0.113.%d", i), Action: "tried to sign in (ConsoleLogin)", Result: "Failed authentication"})
	}
	return &Bundle{Command: "exfil --bucket payroll-exports", Case: "TIMELINE-4", GeneratedAt: tGen, Since: tSince, Until: tUntil,
		Findings: []Finding{low, high}}
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
		"sample":   sampleBundle(),
		"long":     longBundle(),
		"empty":    {Command: "hunt", GeneratedAt: tGen},
		"wide":     wideBundle(),
		"timeline": longTimelineBundle(),
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
			// No query sheet prints more than 3 pages (its first rows), no
			// page is a right-hand spill, and a sheet printed in part says so.
			cut := soffice.CheckPrintedSheets(t, name, books[name], pages, 3)
			// The Queries sheet prints one line per query, never the SQL.
			cut = slices.DeleteFunc(cut, func(s string) bool { return s == sheetQueries })
			sort.Strings(cut)
			switch name {
			case "long", "wide":
				sheet := map[string]string{"long": "exfil.top_keys", "wide": "hunt.wide_events"}[name]
				if strings.Join(cut, ",") != sheet {
					t.Errorf("sheets printed in part %v, want %s", cut, sheet)
				}
				bySheet := soffice.PagesBySheet(pages, []string{sheet})
				first := words(soffice.Text(pages[bySheet[sheet][0]]))
				csv := map[string]string{"long": "results/exfil__top_keys.csv", "wide": "results/hunt__wide_events.csv"}[name]
				if !strings.Contains(first, "PRINTED IN PART: this sheet prints the first ") || !strings.Contains(first, "in the workbook and in "+csv) {
					t.Errorf("the first page of %s does not say which rows print and where the rest are:\n%.600s", sheet, first)
				}
				if name == "wide" && !strings.Contains(first, "(not printed: ") {
					t.Errorf("the first page of %s does not name the columns that do not print:\n%.600s", sheet, first)
				}
			case "timeline":
				if strings.Join(cut, ",") != sheetTimeline {
					t.Errorf("sheets printed in part %v, want the Timeline", cut)
				}
				bySheet := soffice.PagesBySheet(pages, []string{sheetTimeline, sheetTimelineBrief})
				if n := len(bySheet[sheetTimeline]); n != 1 {
					t.Errorf("the 320-event Timeline prints on %d pages, want its heading on 1", n)
				}
				brief := bySheet[sheetTimelineBrief]
				if len(brief) != 1 {
					t.Fatalf("the Timeline in brief prints on %d pages, want 1", len(brief))
				}
				text := words(soffice.Text(pages[brief[0]]))
				// Alice's first failure (row 2) falls amid Mallory's reads and
				// does not break their run; the policy change (row 152) does.
				for _, want := range []string{"1 ... 151", "150 distinct targets, all under payroll-exports/exports/", "152 ", "153 to 301",
					"149 distinct targets", "replaced the bucket policy (PutBucketPolicy)", "one line per finding", "2 ... 320", "20 addresses",
					"tried to sign in (ConsoleLogin)"} {
					if !strings.Contains(text, want) {
						t.Errorf("the Timeline in brief lacks %q:\n%s", want, text)
					}
				}
			default:
				if len(cut) != 0 {
					t.Errorf("sheets printed in part %v, want none", cut)
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
