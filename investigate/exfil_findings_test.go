package investigate

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// sampleExfil opens the sample as the CLI opens it for exfil (ExfilLoad)
// and returns a function that runs exfil with the given filters on it.
func sampleExfil(t *testing.T) func(t *testing.T, o ExfilOptions) *Outcome {
	t.Helper()
	_, w := exfilTruth(t)
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	base := 14 * 24 * time.Hour
	n, err := ExfilLoad(cat, ExfilOptions{Buckets: []string{"payroll-exports"}, Window: w, Baseline: base}, local.View)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := local.Open(context.Background(), local.Options{Dir: sampleDir, TempDir: t.TempDir(), From: w.Since.Add(-base), To: w.Until, Narrow: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cov, err := eng.Coverage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}}
	return func(t *testing.T, o ExfilOptions) *Outcome {
		t.Helper()
		o.Buckets, o.Window, o.Baseline, o.OrgAccounts = []string{"payroll-exports"}, w, base, cov.Accounts
		out, err := Exfil(context.Background(), env, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range out.Queries {
			if q.Err != "" {
				t.Fatalf("%s: %s", q.Name, q.Err)
			}
		}
		return out
	}
}

// TestExfilFindingsSample: on the bundled sample, the findings say what
// the attacker's bucket changes did, rate the responder's fix low, count
// reads and distinct objects apart, state the baseline's days, list worst
// first, and rest on eventIDs that are every event they count.
func TestExfilFindingsSample(t *testing.T) {
	tr, _ := exfilTruth(t)
	out := sampleExfil(t)(t, ExfilOptions{})
	fs := out.Findings
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if SeverityRank(a.Severity) > SeverityRank(b.Severity) ||
			(a.Severity == b.Severity && !b.Time.IsZero() && (a.Time.IsZero() || a.Time.After(b.Time))) {
			t.Errorf("findings %d and %d are not worst first, then by time: %s %s / %s %s", i-1, i, a.Severity, a.Time, b.Severity, b.Time)
		}
	}
	byQuery := map[string][]reports.Finding{}
	for _, f := range fs {
		byQuery[f.Query] = append(byQuery[f.Query], f)
		if len(f.EventIDs) == 0 {
			t.Errorf("finding without eventIDs: %s", f.Text)
		}
		if len(f.Events) != len(f.EventIDs) {
			t.Errorf("%d events for %d eventIDs: %s", len(f.Events), len(f.EventIDs), f.Text)
		}
		for i, e := range f.Events {
			if e.EventID != f.EventIDs[i] || e.Time.IsZero() || e.Action == "" || e.Result == "" {
				t.Errorf("event %d of %q: %+v", i, f.Text, e)
				break
			}
		}
	}

	// Bucket changes: what each did, at the severity the model gives.
	want := []struct {
		event, sev string
		words      []string
	}{
		{"PutBucketPolicy", SeverityHigh, []string{"account 999988887777 (outside the organization) may s3:GetObject and s3:ListBucket"}},
		{"PutBucketAcl", SeverityHigh, []string{"public-read", "everyone on the internet"}},
		{"DeleteBucketPublicAccessBlock", SeverityHigh, []string{"removed the public access block of bucket payroll-exports"}},
		{"PutBucketReplication", SeverityHigh, []string{"to bucket exfil-drop-999988887777 of account 999988887777, outside the organization: every object written to the bucket from then on is copied there"}},
		{"PutBucketLifecycle", SeverityHigh, []string{"every object is deleted 1 day after it is created"}},
		{"PutBucketPublicAccessBlock", SeverityLow, []string{"turned on the public access block", "restrictive change"}},
	}
	changes := byQuery["exfil/bucket_changes"]
	if len(changes) != len(tr.Exfil.BucketChanges) {
		t.Errorf("%d bucket-change findings, truth %d", len(changes), len(tr.Exfil.BucketChanges))
	}
	for _, w := range want {
		found := false
		for _, f := range changes {
			if !strings.Contains(f.Text, "("+w.event+",") {
				continue
			}
			found = true
			if f.Severity != w.sev {
				t.Errorf("%s rated %s, want %s: %s", w.event, f.Severity, w.sev, f.Text)
			}
			for _, s := range w.words {
				if !strings.Contains(f.Text, s) {
					t.Errorf("%s finding lacks %q: %s", w.event, s, f.Text)
				}
			}
			for _, x := range tr.Exfil.BucketChanges {
				if x.EventName == w.event && x.EventID != f.EventIDs[0] {
					t.Errorf("%s rests on %v, truth %s", w.event, f.EventIDs, x.EventID)
				}
			}
		}
		if !found {
			t.Errorf("no finding for %s", w.event)
		}
	}

	// Counts name what they count; bytes in human units and exact.
	total := byQuery["exfil/read_events"]
	if len(total) != 1 || !strings.Contains(total[0].Text, "3 principals made 1,579 reads of 1,200 distinct objects (1.6 GB; 1,641,606,566 bytes)") {
		t.Errorf("total: %+v", total)
	}
	if n := int64(len(total[0].EventIDs)); n != tr.Exfil.Objects+int64(len(tr.Exfil.FailedReads)) {
		t.Errorf("the total rests on %d events, truth %d reads and %d failed", n, tr.Exfil.Objects, len(tr.Exfil.FailedReads))
	}
	var svc *reports.Finding
	for i, f := range fs {
		if strings.HasPrefix(f.Text, "Principal "+tr.Exfil.LeakedPrincipal+" ") {
			svc = &fs[i]
		}
	}
	if svc == nil {
		t.Fatal("no finding for the leaked principal")
	}
	for _, s := range []string{
		"made 1,514 reads of 1,200 distinct objects (1.6 GB; 1,575,786,271 bytes)",
		// the internal job apart from the attacker's addresses
		"from 2 external addresses 192.0.2.45 and 198.51.100.23 (1,500 reads) and internal address 10.0.12.7 (private network or VPC endpoint; 14 reads)",
		// the baseline divides by the 4 days with logs, and says so
		"its baseline is 4.5 reads a day: 18 reads over the 4 days with logs in the 14 days before the window (2026-11-01 to 2026-11-04; the other 10 days have no logs)",
	} {
		if !strings.Contains(svc.Text, s) {
			t.Errorf("leaked principal's finding lacks %q:\n%s", s, svc.Text)
		}
	}
	if svc.Severity != SeverityHigh || len(svc.EventIDs) != 1514 {
		t.Errorf("leaked principal: %s, %d eventIDs", svc.Severity, len(svc.EventIDs))
	}
	// "read nothing" is said only of days that have logs.
	for _, f := range fs {
		if strings.Contains(f.Text, "read nothing") && !strings.Contains(f.Text, "over the 4 days with logs") {
			t.Errorf("absence claimed beyond the days with logs: %s", f.Text)
		}
	}
}

// TestExfilBaselineWithoutLogs: a baseline whose days have no logs says
// so, and never that the principal read nothing.
func TestExfilBaselineWithoutLogs(t *testing.T) {
	w := Window{Since: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)}
	o := ExfilOptions{Buckets: []string{"b"}, Window: w, Baseline: 3 * 24 * time.Hour}
	runs := []reports.QueryRun{
		{Name: "exfil/read_events", Columns: cols("event_time", "event_id", "principal", "account", "source_ip", "vpc_endpoint", "bucket", "object_key", "bytes_out", "error_code"),
			Rows: [][]any{{w.Since.Add(time.Hour), "e1", "arn:aws:iam::111122223333:user/a", "111122223333", "192.0.2.1", nil, "b", "k", int64(10), nil}}},
		{Name: "exfil/baseline", Columns: cols("principal", "baseline_objects", "baseline_active_days")},
		{Name: "exfil/baseline_days", Columns: cols("day_utc", "object_reads_logged")},
		{Name: "exfil/outside_readers", Columns: cols("principal")},
	}
	var text string
	for _, f := range exfilFindings(o, runs) {
		if strings.HasPrefix(f.Text, "Principal ") {
			text = f.Text
		}
	}
	if !strings.Contains(text, "the baseline has no logs: none of the 3 days before the window (2026-11-02 to 2026-11-04) has logs") || strings.Contains(text, "read nothing") {
		t.Errorf("%s", text)
	}
}

func cols(names ...string) []engine.Column {
	out := make([]engine.Column, len(names))
	for i, n := range names {
		out[i].Name = n
	}
	return out
}

// TestExfilFiltersApplyToEveryFinding: with each filter, every finding of
// exfil rests only on events that match it, or says that it is not
// filtered by it; and a principal's count is the same in every finding and
// sheet.
func TestExfilFiltersApplyToEveryFinding(t *testing.T) {
	partner := "arn:aws:iam::999988887777:user/partner-sync"
	cases := []struct {
		name  string
		o     ExfilOptions
		match func(e reports.Event) bool
	}{
		{"principal", ExfilOptions{Principal: partner}, func(e reports.Event) bool { return e.Actor == partner }},
		{"ipv6 address nobody used", ExfilOptions{IP: "2001:db8::1"}, func(e reports.Event) bool { return e.SourceIP == "2001:db8::1" }},
		{"ip", ExfilOptions{IP: "198.51.100.23"}, func(e reports.Event) bool { return e.SourceIP == "198.51.100.23" }},
		{"cidr", ExfilOptions{IP: "198.18.0.0/15"}, func(e reports.Event) bool {
			a, err := netip.ParseAddr(e.SourceIP)
			return err == nil && netip.MustParsePrefix("198.18.0.0/15").Contains(a)
		}},
		{"key prefix", ExfilOptions{KeyPrefix: "exports/2026-01/"}, func(e reports.Event) bool {
			return strings.HasPrefix(e.Target, "payroll-exports/exports/2026-01/") || !strings.HasPrefix(e.Action, "read") && !strings.HasPrefix(e.Action, "tried to read")
		}},
	}
	run := sampleExfil(t)
	countRe := regexp.MustCompile(`^(?:Principal (\S+)|An anonymous).* made ([0-9,]+) reads of ([0-9,]+) distinct objects`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := run(t, c.o)
			for _, f := range out.Findings {
				for _, e := range f.Events {
					if !c.match(e) {
						t.Errorf("finding rests on an event the filter excludes (%+v): %s", e, f.Text)
						break
					}
				}
				if !strings.Contains(f.Text, "Only ") && !strings.Contains(f.Text, "does not apply") {
					t.Errorf("finding does not say which filter it honours: %s", f.Text)
				}
				if c.o.KeyPrefix != "" && f.Query == "exfil/bucket_changes" && !strings.Contains(f.Text, "--key-prefix does not apply") {
					t.Errorf("a bucket-wide change does not say the key prefix does not apply: %s", f.Text)
				}
			}
			if c.o.IP == "2001:db8::1" {
				for _, f := range out.Findings {
					if strings.Contains(f.Text, "partner-sync") || strings.Contains(f.Text, "40 reads") {
						t.Errorf("--ip 2001:db8::1 reports another address's reads: %s", f.Text)
					}
				}
				for _, q := range out.Queries {
					if q.Name != "exfil/baseline_days" && len(q.Rows) > 0 {
						t.Errorf("%s has %d rows under --ip 2001:db8::1", q.Name, len(q.Rows))
					}
				}
			}
			// One count per principal: the finding's, the sheets' and the events'.
			top := find(out.Queries, "exfil/top_readers")
			rr := newRowReader(colNames(top.Columns))
			sheet := map[string]int64{}
			for _, row := range top.Rows {
				sheet[rr.str(row, "principal")] += int64(rr.num(row, "reads"))
			}
			for _, f := range out.Findings {
				m := countRe.FindStringSubmatch(f.Text)
				if m == nil {
					continue
				}
				p := m[1]
				if p == "" {
					p = "anonymous"
				}
				n := parseComma(m[2])
				var ok int64
				for _, e := range f.Events {
					if e.Result == "succeeded" {
						ok++
					}
				}
				if n != sheet[p] || n != ok {
					t.Errorf("%s: finding says %d reads, top_readers %d, its events %d", p, n, sheet[p], ok)
				}
			}
		})
	}
}

func parseComma(s string) int64 {
	var n int64
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n = n*10 + int64(c-'0')
		}
	}
	return n
}

// TestExfilBucketChangeRoutineAndFailed: CloudTrail's own policy on its log
// bucket is routine and low; a failed attempt is rated below what it
// tried; the finding rests on its event.
func TestExfilBucketChangeRoutineAndFailed(t *testing.T) {
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	policy := `{"bucketName":"org-cloudtrail","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::org-cloudtrail"},{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::org-cloudtrail/AWSLogs/111122223333/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}}`
	run := reports.QueryRun{Name: "exfil/bucket_changes",
		Columns: cols("event_time", "event_name", "bucket", "principal", "source_ip", "error_code", "request_parameters", "account", "region", "event_id"),
		Rows: [][]any{
			{at, "PutBucketPolicy", "org-cloudtrail", "arn:aws:sts::111122223333:assumed-role/terraform/ci", "192.0.2.10", nil, policy, "111122223333", "us-east-1", "e-ct"},
			{at.Add(time.Minute), "PutBucketAcl", "org-cloudtrail", "arn:aws:iam::111122223333:user/x", "192.0.2.11", "AccessDenied", `{"bucketName":"org-cloudtrail","x-amz-acl":["public-read"]}`, "111122223333", "us-east-1", "e-acl"},
		}}
	fs := bucketChangeFindings(ExfilOptions{OrgAccounts: []string{"111122223333"}}, &run)
	if len(fs) != 2 {
		t.Fatalf("%d findings", len(fs))
	}
	if fs[0].Severity != SeverityLow || !strings.Contains(fs[0].Text, "routine policy for CloudTrail's log delivery") || !strings.Contains(fs[0].Text, "AWS service's own routine change") {
		t.Errorf("CloudTrail's policy: %s %s", fs[0].Severity, fs[0].Text)
	}
	if fs[1].Severity != SeverityMedium || !strings.Contains(fs[1].Text, "tried to set the ACL of bucket org-cloudtrail to public-read") || fs[1].Events[0].Result != "AccessDenied" {
		t.Errorf("failed ACL: %s %s %+v", fs[1].Severity, fs[1].Text, fs[1].Events)
	}
	if fs[0].EventIDs[0] != "e-ct" || fs[1].EventIDs[0] != "e-acl" {
		t.Errorf("eventIDs %v %v", fs[0].EventIDs, fs[1].EventIDs)
	}
}

// TestExfilWithoutReadEvents: when the per-event query fails, the totals
// still come from the aggregate queries, the finding says why it has no
// eventIDs, and the failure is a finding of its own.
func TestExfilWithoutReadEvents(t *testing.T) {
	w := Window{Since: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)}
	runs := []reports.QueryRun{
		{Name: "exfil/read_events", Err: "boom"},
		{Name: "exfil/top_readers", Columns: cols("principal", "source_ip", "reads", "bytes_out", "failed_reads"),
			Rows: [][]any{{"p1", "192.0.2.1", int64(3), int64(3000), int64(1)}, {"p1", "10.0.0.1", int64(2), int64(2000), int64(0)}}},
		{Name: "exfil/top_keys", Columns: cols("object_key", "reads"), Rows: [][]any{{"a", int64(4)}, {"b", int64(1)}}},
	}
	fs := exfilFindings(ExfilOptions{Buckets: []string{"b"}, Window: w}, runs)
	all := ""
	for _, f := range fs {
		all += f.Severity + " " + f.Text + "\n"
	}
	for _, want := range []string{"1 principal made 5 reads of 2 distinct objects (5.0 KB; 5,000 bytes) from b, and 1 read failed", "carry no eventIDs", "high Query exfil/read_events failed"} {
		if !strings.Contains(all, want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
}

// TestExfilEveryOutsideReaderIsAFinding: past the ten biggest readers
// inside the organization, an outside reader still gets its own finding.
func TestExfilEveryOutsideReaderIsAFinding(t *testing.T) {
	w := Window{Since: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)}
	re := reports.QueryRun{Name: "exfil/read_events", Columns: cols("event_time", "event_id", "principal", "account", "source_ip", "bucket", "object_key", "bytes_out")}
	for i := 0; i < 12; i++ {
		re.Rows = append(re.Rows, []any{w.Since.Add(time.Hour), fmt.Sprintf("e%d", i), fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", i), "111122223333", "10.0.0.1", "b", "k", int64(1000 + i)})
	}
	re.Rows = append(re.Rows, []any{w.Since.Add(2 * time.Hour), "ex", "arn:aws:iam::999988887777:user/x", "999988887777", "203.0.113.1", "b", "k", int64(1)})
	runs := []reports.QueryRun{re, {Name: "exfil/outside_readers", Columns: cols("principal"), Rows: [][]any{{"arn:aws:iam::999988887777:user/x"}}}}
	fs := exfilFindings(ExfilOptions{Buckets: []string{"b"}, Window: w, OrgAccounts: []string{"111122223333"}}, runs)
	if fs[0].Severity != SeverityHigh || !strings.Contains(fs[0].Text, "user/x of account 999988887777, outside the organization") {
		t.Errorf("first finding: %s %s", fs[0].Severity, fs[0].Text)
	}
	found := false
	for _, f := range fs {
		if strings.Contains(f.Text, "2 more principals inside the organization") {
			found = true
		}
	}
	if !found {
		t.Errorf("the readers past ten are not counted")
	}
}
