package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTimeline: every event any finding rests on is on the Timeline once,
// in time order, with the findings it supports; ids without details come
// last, as id-only rows.
func TestTimeline(t *testing.T) {
	dir, _ := writeSample(t)
	f := openBook(t, dir)
	rows, err := f.GetRows(sheetTimeline)
	if err != nil {
		t.Fatal(err)
	}
	head := -1
	for i, r := range rows {
		if len(r) > 0 && r[0] == "#" {
			head = i
			break
		}
	}
	if head < 0 {
		t.Fatalf("no heading row on the Timeline:\n%v", rows)
	}
	col := map[string]int{}
	for i, h := range rows[head] {
		col[h] = i
	}
	cell := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return r[i]
		}
		return ""
	}
	var ids []string
	var last time.Time
	seen := map[string]string{}
	for _, r := range rows[head+1:] {
		id := cell(r, "Event ID")
		ids = append(ids, id)
		seen[id] = cell(r, "Finding")
		ts := cell(r, "Time (UTC)")
		if ts == "" {
			last = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // id-only rows close the list
			continue
		}
		tm, err := time.Parse("2006-01-02 15:04:05 UTC", ts)
		if err != nil {
			t.Fatalf("row %q: time %q: %v", id, ts, err)
		}
		if tm.Before(last) {
			t.Errorf("event %s at %s comes after one at %s: not in time order", id, tm, last)
		}
		last = tm
	}
	want := []string{"ev-policy", "ev-m-1", "ev-m-2", "ev-etl-1", "ev-etl-2", "ev-only-id"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("timeline events %v, want %v", ids, want)
	}
	// Every finding's events are present, each naming the finding (numbers
	// as on the Findings sheet: severity first, then time).
	b := sampleBundle()
	for n, fd := range sortFindings(b.Findings) {
		ref := "#" + itoa(n+1)
		for _, id := range append(append([]string(nil), fd.EventIDs...), eventIDs(fd.Events)...) {
			refs, ok := seen[id]
			if !ok {
				t.Errorf("finding %s rests on %s, which is not on the Timeline", ref, id)
			} else if !strings.Contains(", "+refs+",", " "+ref+",") {
				t.Errorf("event %s names findings %q, not %s", id, refs, ref)
			}
		}
	}
	if got := seen["ev-policy"]; got != "#1, #2" {
		t.Errorf("the shared event names findings %q, want #1, #2", got)
	}
}

func eventIDs(es []Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.EventID)
	}
	return out
}

// TestFindingsSorted: high, medium, low, info, then by time.
func TestFindingsSorted(t *testing.T) {
	dir, w := writeSample(t)
	var sev []string
	for _, f := range w.Manifest.Findings {
		sev = append(sev, f.Severity)
	}
	if strings.Join(sev, ",") != "high,high,medium,info" {
		t.Errorf("severities in order %v", sev)
	}
	if !strings.HasPrefix(w.Manifest.Findings[0].Text, "the bucket policy") {
		t.Errorf("the earlier high finding is not first: %q", w.Manifest.Findings[0].Text)
	}
	findings := sheetText(t, dir, sheetFindings)
	if strings.Index(findings, "the bucket policy") > strings.Index(findings, "principal mallory read") ||
		strings.Index(findings, "principal mallory read") > strings.Index(findings, "principal etl read") {
		t.Errorf("the Findings sheet is not in severity and time order:\n%s", findings)
	}
}

// TestSummary: three to eight sentences on the first sheet, with the
// figures, the window, the status and the main caveat.
func TestSummary(t *testing.T) {
	for name, mod := range map[string]func(*Bundle){
		"incomplete": func(*Bundle) {},
		"complete": func(b *Bundle) {
			b.Queries = b.Queries[:2]
			b.Coverage.Skipped = nil
			b.Coverage.MissingDays = nil
			b.Integrity = []string{"42 log files validated against their digest files"}
		},
		"given": func(b *Bundle) { b.Summary = []string{"Mallory copied the payroll exports.", "Nothing else happened."} },
		// A bundle with almost nothing in it still gets its sentences.
		"bare": func(b *Bundle) { *b = Bundle{Case: "IR-2026-042", GeneratedAt: tGen} },
	} {
		t.Run(name, func(t *testing.T) {
			b := sampleBundle()
			mod(b)
			dir := filepath.Join(t.TempDir(), "b")
			if _, err := Write(dir, b); err != nil {
				t.Fatal(err)
			}
			f := openBook(t, dir)
			if f.GetSheetList()[0] != sheetSummary {
				t.Fatalf("first sheet %q", f.GetSheetList()[0])
			}
			text := sheetText(t, dir, sheetSummary)
			wr := &writer{b: b, findings: sortFindings(b.Findings)}
			ss := wr.summary()
			if n := len(ss) + 2; n < 3 || n > 8 {
				t.Errorf("%d summary sentences (with status and caveat), want 3 to 8: %q", n, ss)
			}
			for _, s := range ss {
				if !strings.Contains(text, s) {
					t.Errorf("Summary lacks %q", s)
				}
			}
			want := []string{"IR-2026-042", "Main caveat: "}
			switch name {
			case "incomplete":
				want = append(want, "Status: INCOMPLETE: query exfil/policy_changes failed", "48,213 objects, 3.2 GB",
					"from 2026-11-01 00:00 UTC to 2026-11-05 00:00 UTC", "4 findings (2 high, 1 medium, 1 info severity)")
			case "complete":
				want = append(want, "Status: COMPLETE")
			case "given":
				want = append(want, "Mallory copied the payroll exports.", "Status: INCOMPLETE")
			case "bare":
				want = append(want, "This investigation report examined the CloudTrail logs", "no findings", "Status: COMPLETE")
			}
			for _, s := range want {
				if !strings.Contains(text, s) {
					t.Errorf("Summary lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

// TestLimitationsAndGlossary: data events per bucket, the fixed limits, and
// every term counsel needs.
func TestLimitationsAndGlossary(t *testing.T) {
	b := sampleBundle()
	b.Buckets = []BucketEvents{{Name: "payroll-exports", Counted: true, DataEvents: 0}, {Name: "hr-archive", Counted: true, DataEvents: 12, How: "reads"}}
	b.Limitations = []string{"the sample is synthetic"}
	dir := filepath.Join(t.TempDir(), "b")
	if _, err := Write(dir, b); err != nil {
		t.Fatal(err)
	}
	lim := sheetText(t, dir, sheetLimitations)
	for _, want := range []string{
		"No S3 data event for bucket payroll-exports appears in the window", "the absence of reads here is not evidence that nothing was read",
		"12 data events for bucket hr-archive appear in the window (reads), so S3 data events appear enabled",
		"about 5 minutes", "UTC", "1 GB = 10^9 bytes", "4 duplicate deliveries", "VPC Flow Logs", "S3 server access logs", "inside servers",
		"log integrity not checked", "the sample is synthetic", "1 log file could not be read",
	} {
		if !strings.Contains(lim, want) {
			t.Errorf("Limitations lacks %q", want)
		}
	}
	gl := sheetText(t, dir, sheetGlossary)
	for _, want := range []string{"Principal", "ARN", "Access key", "Session", "Management event", "Data event",
		"Severity: high", "Severity: medium", "Severity: low", "Severity: info", "ATT&CK"} {
		if !strings.Contains(gl, want+"\t") {
			t.Errorf("Glossary lacks %q", want)
		}
	}
}

// TestManifestInvocation: the chain of custody is in the manifest.
func TestManifestInvocation(t *testing.T) {
	dir, _ := writeSample(t)
	var m Manifest
	data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	inv := m.Invocation
	if strings.Join(inv.CommandLine, " ") != "ctathena exfil --bucket payroll-exports" || inv.Host != "ir-laptop" || inv.User != "jdoe" ||
		inv.Examiner != "J. Doe" || inv.ToolVersion != "v0.1.0" || inv.ToolCommit != "abc1234" ||
		!time.Time(inv.Start).Equal(tGen.Add(-2*time.Minute)) || !time.Time(inv.End).Equal(tGen) {
		t.Errorf("invocation %+v", inv)
	}
	if m.Marking != "Privileged & Confidential" || m.Status.Complete || len(m.Status.Incomplete) == 0 {
		t.Errorf("marking %q, status %+v", m.Marking, m.Status)
	}
	if f := m.Findings[1]; f.Number != 2 || strings.Join(f.EventIDs, ",") != "ev-m-2,ev-m-1,ev-policy" || strings.Join(f.Attack, ",") != "TA0010,T1530" {
		t.Errorf("finding 2 in the manifest: %+v", f)
	}
}

// TestActivity: the Timeline's events per hour by kind of action, charted.
func TestActivity(t *testing.T) {
	dir, _ := writeSample(t)
	text := sheetText(t, dir, sheetActivity)
	for _, want := range []string{
		"Hour (UTC)\tRead or list\tCreate or change\tDelete or remove\tFailed attempts\n",
		"2026-11-02 02:00\t0\t1\t0\t0\n", // the bucket policy replaced
		"2026-11-02 03:00\t1\t0\t0\t0\n", // mallory's first read
		"2026-11-02 05:00\t1\t0\t0\t0\n", // etl's read
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Activity lacks %q:\n%s", want, text)
		}
	}
	if k := actionKind(Event{Action: "detached the policy (DetachRolePolicy)", Result: "succeeded"}); k != 2 {
		t.Errorf("DetachRolePolicy is kind %d", k)
	}
	if k := actionKind(Event{Action: "read object (GetObject)", Result: "AccessDenied"}); k != 3 {
		t.Errorf("a refused read is kind %d", k)
	}
}

// TestPrintAreas: what of each sheet prints. The Queries sheet prints its
// one line per query and the headings, and stops before the queries in
// full; a short query sheet prints whole; a Timeline too long to print has
// the Timeline in brief before it and prints only its heading.
func TestPrintAreas(t *testing.T) {
	dir, _ := writeSample(t)
	f := openBook(t, dir)
	areas := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Area" {
			areas[dn.Scope] = dn.RefersTo
		}
	}
	rows, err := f.GetRows(sheetQueries)
	if err != nil {
		t.Fatal(err)
	}
	full := -1
	for i, r := range rows {
		if len(r) > 0 && r[0] == "The queries in full" {
			full = i + 1
		}
	}
	// Two blank rows (and a page break) separate the headings from the
	// queries in full.
	want := fmt.Sprintf("'Queries'!$A$1:$B$%d", full-3)
	if full < 0 || areas[sheetQueries] != want {
		t.Errorf("Queries print area %q, want %q (the queries in full start at row %d)", areas[sheetQueries], want, full)
	}
	queries := sheetText(t, dir, sheetQueries)
	for _, s := range []string{"1. exfil/top_readers\tSucceeded; 4 rows on sheet exfil.top_readers (results file results/exfil__top_readers.csv). What it lists: principals",
		"3. exfil/policy_changes\tFailed; 0 rows", "Error: start query exfil/policy_changes: AccessDenied", "4. identity/pivot_edges\tDerived by the investigation; 1 row"} {
		if !strings.Contains(queries, s) {
			t.Errorf("the Queries sheet's one line each lacks %q", s)
		}
	}
	if a, ok := areas["exfil.top_readers"]; ok {
		t.Errorf("a 4-row query sheet prints in part: %s", a)
	}
	if _, ok := areas[sheetTimeline]; ok {
		t.Errorf("a 6-event Timeline prints in part")
	}

	b := longTimelineBundle()
	dir = filepath.Join(t.TempDir(), "long")
	if _, err := Write(dir, b); err != nil {
		t.Fatal(err)
	}
	f = openBook(t, dir)
	sheets := strings.Join(f.GetSheetList(), ",")
	if !strings.Contains(sheets, sheetFindings+","+sheetTimelineBrief+","+sheetTimeline+",") {
		t.Errorf("sheets %s: the Timeline in brief is not just before the Timeline", sheets)
	}
	area := ""
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Area" && dn.Scope == sheetTimeline {
			area = dn.RefersTo
		}
	}
	if area != "'Timeline'!$A$1:$I$3" {
		t.Errorf("Timeline print area %q, want its title, description and heading", area)
	}
	brief := sheetText(t, dir, sheetTimelineBrief)
	for _, s := range []string{"1 ... 151\t", "\t149\t", "2 ... 320\t", "\t20\t", "20 addresses"} {
		if !strings.Contains(brief, s) {
			t.Errorf("Timeline in brief lacks %q:\n%s", s, brief)
		}
	}
	if !strings.Contains(sheetText(t, dir, sheetSummary), "(printed shortened, as the Timeline in brief)") {
		t.Errorf("the Summary does not say the Timeline prints shortened")
	}
}
