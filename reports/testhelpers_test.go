package reports

import (
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
)

var (
	tGen   = time.Date(2026, 11, 5, 14, 3, 0, 0, time.UTC)
	tSince = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tUntil = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	tEvent = time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
)

// hostile are values an attacker can put in a user agent, key or error.
var hostile = []string{
	`=HYPERLINK("http://evil.example","x")`,
	`+cmd|' /C calc'!A0`,
	`@SUM(A1)`,
	`-2+3`,
	"\tstarts with tab",
	"\rstarts with CR",
	"bell\x07 and nul\x00 and esc\x1b",
	"non-char \uFFFE\uFFFF here",
	"bad utf8 \xff\xfe end",
	"lone surrogate \xed\xa0\x80 end",
	"_x0007_ looks like an escape",
	"line1\r\nline2",
	"",
	" leading space",
	`quote "inside", comma`,
	`\.`,
}

var longValue = strings.Repeat("A", 39990) + "0123456789" // 40,000 chars

func sampleBundle() *Bundle {
	readers := QueryRun{
		Name:    "exfil/top_readers",
		Summary: "principals and source IPs that read the bucket, by bytes out",
		SQL:     "SELECT principal, bytes FROM cloudtrail WHERE bucket = ? AND eventtime >= ? AND eventtime < ?",
		Params:  []Param{{"bucket", "payroll-exports"}, {"since", "2026-11-01T00:00:00Z"}, {"until", "2026-11-05T00:00:00Z"}},
		Columns: []engine.Column{
			{Name: "principal", Type: engine.String},
			{Name: "bytes", Type: engine.Integer},
			{Name: "first_seen", Type: engine.Timestamp},
			{Name: "ratio", Type: engine.Float},
			{Name: "anonymous", Type: engine.Boolean},
		},
		Rows: [][]any{
			{"arn:aws:iam::111122223333:user/mallory", int64(3_200_000_000), tEvent, 0.25, false},
			{"arn:aws:iam::111122223333:role/etl", int64(12_345), tEvent.Add(time.Hour), 1.5e-7, true},
			{nil, int64(9_007_199_254_740_993), nil, nil, nil},
			{"", int64(-5), time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), 3.0, nil},
		},
		Stats: engine.Stats{ExecutionID: "local-1", State: "SUCCEEDED", Submitted: tGen.Add(-time.Minute),
			Completed: tGen.Add(-59 * time.Second), Elapsed: 1500 * time.Millisecond, BytesScanned: 1 << 20},
	}
	ua := QueryRun{
		Name:    "exfil/user_agents",
		Summary: "user agents seen",
		SQL:     "SELECT useragent FROM cloudtrail WHERE day >= ?",
		Params:  []Param{{"day", "2026/10/31"}},
		Columns: []engine.Column{{Name: "useragent", Type: engine.String}, {Name: "n", Type: engine.Integer}},
		Stats:   engine.Stats{ExecutionID: "local-2", State: "SUCCEEDED"},
	}
	for i, h := range hostile {
		ua.Rows = append(ua.Rows, []any{h, int64(i)})
	}
	ua.Rows = append(ua.Rows, []any{longValue, int64(99)})
	failed := QueryRun{
		Name: "exfil/policy_changes", Summary: "bucket policy changes", SQL: "SELECT 1",
		Err: "start query exfil/policy_changes: AccessDenied", Stats: engine.Stats{State: "FAILED"},
	}
	edges := QueryRun{
		Name: "identity/pivot_edges", Summary: "identities and IPs linked", Derived: true,
		Columns: []engine.Column{{Name: "from", Type: engine.String}, {Name: "to", Type: engine.String}},
		Rows:    [][]any{{"AKIAEXAMPLE", "203.0.113.9"}},
	}
	again := readers
	again.Params = []Param{{"bucket", "other-bucket"}, {"since", "x"}, {"until", "y"}}
	return &Bundle{
		Command: "exfil --bucket payroll-exports", Case: "IR-2026-042", Examiner: "J. Doe",
		GeneratedAt: tGen, ToolVersion: "v0.1.0", ToolCommit: "abc1234",
		Engine: "local", EngineVersion: "DuckDB v1.3.2",
		Sources: []string{"/evidence/logs"}, Since: tSince, Until: tUntil,
		Params: []Param{{"bucket", "payroll-exports"}, {"since", "2026-11-01"}},
		Coverage: engine.Coverage{
			Sources: []string{"/evidence/logs"}, Accounts: []string{"111122223333"}, Regions: []string{"us-east-1"},
			Days: []string{"2026/11/01", "2026/11/02"}, MissingDays: []string{"2026/11/03"},
			FilesRead: 12, FilesPruned: 3, Skipped: []engine.SkippedFile{{Path: "bad=.json.gz", Reason: "gzip: invalid header"}},
			Events: 1000, DuplicateEvents: 4,
		},
		Findings: []Finding{
			// Out of order on purpose: the report sorts by severity, then time.
			{Severity: "info", Text: `=HYPERLINK("http://evil.example","x") is a user agent`, Query: "exfil/user_agents"},
			{Severity: "medium", Text: "principal etl read 2 objects from an address it never used before", Query: "exfil/top_readers",
				Time: tEvent.Add(2 * time.Hour), EventIDs: []string{"ev-etl-1", "ev-etl-2"},
				Events: []Event{{Time: tEvent.Add(2 * time.Hour), EventID: "ev-etl-1", Actor: "arn:aws:iam::111122223333:role/etl",
					SourceIP: "203.0.113.9", Action: "read object (GetObject)", Target: "payroll-exports/a.csv", Result: "succeeded"}}},
			{Severity: "high", Text: "principal mallory read 48,213 objects, 3.2 GB, from 2 IP addresses in the window", Query: "exfil/top_readers",
				Time: tEvent, Attack: []string{"TA0010", "T1530"},
				Events: []Event{
					{Time: tEvent.Add(time.Hour), EventID: "ev-m-2", Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7",
						Action: "read object (GetObject)", Target: "payroll-exports/b.csv", Result: "succeeded"},
					{Time: tEvent, EventID: "ev-m-1", Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7",
						Action: "read object (GetObject)", Target: "payroll-exports/a.csv", Result: "succeeded"},
					// Shared with the next finding: listed once, supporting both.
					{Time: tEvent.Add(-time.Hour), EventID: "ev-policy", Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7",
						Action: "replaced the bucket policy (PutBucketPolicy)", Target: "payroll-exports", Result: "succeeded"},
				}},
			{Severity: "high", Text: "the bucket policy of payroll-exports now lets account 999988887777 read every object", Query: "exfil/top_readers",
				Time: tEvent.Add(-time.Hour), EventIDs: []string{"ev-policy", "ev-only-id"},
				Events: []Event{{Time: tEvent.Add(-time.Hour), EventID: "ev-policy", Actor: "arn:aws:iam::111122223333:user/mallory", SourceIP: "198.51.100.7",
					Action: "replaced the bucket policy (PutBucketPolicy)", Target: "payroll-exports", Result: "succeeded"}}},
		},
		Marking: "Privileged & Confidential",
		Invocation: Invocation{CommandLine: []string{"ctathena", "exfil", "--bucket", "payroll-exports"}, Host: "ir-laptop", User: "jdoe",
			Start: tGen.Add(-2 * time.Minute), End: tGen},
		Charts: []Chart{
			{Title: "Bytes by principal", Query: "exfil/top_readers", CategoryColumn: "principal", ValueColumn: "bytes", Kind: "bar"},
			{Title: "Missing", Query: "nope", CategoryColumn: "a", ValueColumn: "b", Kind: "line"},
		},
		Notes:   []string{"pivot stopped after 20 queries (budget)"},
		Credits: []string{"TrailDiscover catalog, CC BY 4.0"},
		Queries: []QueryRun{readers, ua, failed, edges, again},
	}
}
