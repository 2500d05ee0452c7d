package local

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func narrowFilter(from, to, before string) *recordFilter {
	return &recordFilter{from: from, to: to, before: before,
		keep: map[string]map[string]bool{"s3.amazonaws.com": {"GetObject": true}}}
}

func TestSplitRecordsNarrow(t *testing.T) {
	pre := []byte(`{"p":1`)
	const before = "2026-11-05T00:00:00Z"
	cases := []struct {
		name string
		rec  string
		keep bool
	}{
		{"get before", `{"eventTime":"2026-11-04T23:59:59Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}`, true},
		{"get before, other key order", `{"eventName":"GetObject","x":{"eventName":"PutObject"},"eventSource":"s3.amazonaws.com","eventTime":"2026-11-01T00:00:00Z"}`, true},
		{"failed get before", `{"eventTime":"2026-11-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied"}`, true},
		{"put before", `{"eventTime":"2026-11-04T23:59:59Z","eventSource":"s3.amazonaws.com","eventName":"PutObject"}`, false},
		{"other source before", `{"eventTime":"2026-11-04T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"GetObject"}`, false},
		{"no eventName before", `{"eventTime":"2026-11-04T00:00:00Z","eventSource":"s3.amazonaws.com"}`, false},
		{"null eventName before", `{"eventTime":"2026-11-04T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":null}`, false},
		{"no eventSource before", `{"eventTime":"2026-11-04T00:00:00Z","eventName":"GetObject"}`, false},
		{"nested names only before", `{"eventTime":"2026-11-04T00:00:00Z","r":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}`, false},
		{"escaped name before", `{"eventTime":"2026-11-04T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"Get\u004fbject"}`, true},
		{"console login at Before", `{"eventTime":"2026-11-05T00:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"}`, true},
		{"no eventName after", `{"eventTime":"2026-11-06T00:00:00Z"}`, true},
		{"put after", `{"eventTime":"2026-11-06T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject"}`, true},
	}
	for _, c := range cases {
		doc := `{"Records":[` + c.rec + `]}`
		out, n, reason := splitChecked(nil, []byte(doc), pre, narrowFilter("", "", before))
		if reason != "" {
			t.Fatalf("%s: %s", c.name, reason)
		}
		if got := n == 1; got != c.keep || (n == 1) != (len(out) > 0) {
			t.Errorf("%s: kept %d records (%q), want kept=%v", c.name, n, out, c.keep)
		}
		// Without narrowing every one is kept.
		if _, n, _ := splitChecked(nil, []byte(doc), pre, &recordFilter{}); n != 1 {
			t.Errorf("%s: unnarrowed kept %d", c.name, n)
		}
	}
	// The window still applies: a kept kind outside [from, to) is dropped,
	// and a record without eventTime is dropped by a bounded window only.
	doc := `{"Records":[{"eventTime":"2026-10-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"},` +
		`{"eventSource":"iam.amazonaws.com","eventName":"CreateUser"},` +
		`{"eventTime":"2026-11-02T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"},` +
		`{"eventTime":"2026-11-02T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}]}`
	if _, n, _ := splitChecked(nil, []byte(doc), pre, narrowFilter("2026-10-20T00:00:00Z", "2026-11-10T00:00:00Z", before)); n != 1 {
		t.Errorf("windowed and narrowed: kept %d, want 1", n)
	}
	if _, n, _ := splitChecked(nil, []byte(doc), pre, narrowFilter("", "", before)); n != 3 {
		t.Errorf("narrowed, unbounded: kept %d, want 3 (the record without eventTime is not narrowed)", n)
	}
}

// narrowTree writes one layout file per day, 2026-11-01 .. 2026-11-06, each
// with a GetObject, a PutObject, a ConsoleLogin and a record without
// eventName, all at noon, plus one record at midnight exactly.
func narrowTree(t *testing.T, gz bool) string {
	dir := t.TempDir()
	for d := 1; d <= 6; d++ {
		at := fmt.Sprintf("2026-11-%02dT12:00:00Z", d)
		recs := []string{
			`{"eventVersion":"1.08","eventTime":"` + at + `","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"g` + fmt.Sprint(d) + `","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
			`{"eventVersion":"1.08","eventTime":"` + at + `","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventID":"p` + fmt.Sprint(d) + `","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
			`{"eventVersion":"1.08","eventTime":"` + at + `","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"c` + fmt.Sprint(d) + `","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
			`{"eventVersion":"1.08","eventTime":"` + at + `","eventSource":"s3.amazonaws.com","eventID":"n` + fmt.Sprint(d) + `","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
			`{"eventVersion":"1.08","eventTime":"` + fmt.Sprintf("2026-11-%02dT00:00:00Z", d) + `","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"m` + fmt.Sprint(d) + `","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
		}
		doc := []byte(`{"Records":[` + strings.Join(recs, ",\n") + `]}`)
		sub := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "11", fmt.Sprintf("%02d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(sub, fmt.Sprintf("111122223333_CloudTrail_us-east-1_202611%02dT1200Z_x.json", d))
		if gz {
			name += ".gz"
			f, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			zw := gzip.NewWriter(f)
			zw.Write(doc)
			zw.Close()
			f.Close()
		} else if err := os.WriteFile(name, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOpenNarrow: both load paths (streamed, and big files read by DuckDB
// directly) keep the same events, every file counts as read, and the
// coverage says what was narrowed.
func TestOpenNarrow(t *testing.T) {
	dir := narrowTree(t, true)
	from, to, before := day("2026-11-01T00:00:00Z"), day("2026-11-07T00:00:00Z"), day("2026-11-05T00:00:00Z")
	nw := &Narrow{Before: before, Keep: map[string][]string{"s3.amazonaws.com": {"GetObject"}}, Why: "exfil baseline"}
	for _, direct := range []bool{false, true} {
		o := Options{Dir: dir, From: from, To: to, Narrow: nw}
		if direct {
			o.transcodeAbove = 1 // every file takes the per-record path
		}
		e := open(t, o)
		res := run(t, e, `SELECT eventid FROM `+View+` ORDER BY eventtime, CASE substr(eventid, 1, 1) WHEN 'g' THEN 0 WHEN 'p' THEN 1 WHEN 'c' THEN 2 ELSE 3 END`)
		var got []string
		for _, r := range res.Rows {
			got = append(got, r[0].(string))
		}
		// Midnight of the 5th is exactly Before: kept whatever it is.
		wantOrder := "g1 g2 g3 g4 m5 g5 p5 c5 n5 m6 g6 p6 c6 n6"
		if strings.Join(got, " ") != wantOrder {
			t.Errorf("direct=%v: loaded %v, want %s", direct, got, wantOrder)
		}
		cov, _ := e.Coverage(context.Background())
		if cov.FilesRead != 6 || len(cov.Skipped) != 0 || cov.Events != 14 || cov.EventsNotLoaded != 16 {
			t.Errorf("direct=%v: coverage %+v", direct, cov)
		}
		line := "before 2026-11-05T00:00:00Z only s3.amazonaws.com GetObject events were loaded (exfil baseline)"
		if len(cov.Sources) != 2 || cov.Sources[1] != line {
			t.Errorf("direct=%v: sources %q, want the folder and %q", direct, cov.Sources, line)
		}
		if len(cov.Days) != 6 {
			t.Errorf("direct=%v: days %v", direct, cov.Days)
		}
	}
	// Without Narrow, or with Before at or before From, everything loads
	// and Sources names no narrowing (from the 5th on, the 4th's file is
	// named as delivered before the window and not opened).
	for _, o := range []Options{{Dir: dir, From: from, To: to}, {Dir: dir, From: before, To: to, Narrow: nw}} {
		e := open(t, o)
		cov, _ := e.Coverage(context.Background())
		wantEvents := int64(30)
		if !o.From.Equal(from) {
			wantEvents = 10
		}
		if cov.Events != wantEvents || strings.Contains(strings.Join(cov.Sources, "|"), "were loaded") {
			t.Errorf("from %s narrow=%v: %d events, sources %q", o.From, o.Narrow != nil, cov.Events, cov.Sources)
		}
	}
}

// TestOpenNarrowSources: Events keeps one eventSource over the whole
// window on both load paths; in a plain folder the partitions of the
// events left out still reach Coverage, and every event is loaded or
// counted as not loaded.
func TestOpenNarrowSources(t *testing.T) {
	dir := t.TempDir()
	recs := []string{
		`{"eventTime":"2026-11-06T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"a","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
		`{"eventTime":"2026-11-06T11:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"b","recipientAccountId":"444455556666","awsRegion":"eu-west-1"}`,
		`{"eventTime":"2026-11-07T11:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"c","recipientAccountId":"444455556666","awsRegion":"eu-west-1"}`,
		`{"eventTime":"2026-11-04T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventID":"d","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
		`{"eventTime":"2026-11-04T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e","recipientAccountId":"111122223333","awsRegion":"us-east-1"}`,
		`{"eventTime":"2026-11-09T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"f","recipientAccountId":"777788889999","awsRegion":"ap-south-1"}`,
	}
	if err := os.WriteFile(filepath.Join(dir, "trail.json"), []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	nw := &Narrow{Events: map[string][]string{"s3.amazonaws.com": nil}, Before: day("2026-11-05T00:00:00Z"),
		Keep: map[string][]string{"s3.amazonaws.com": {"GetObject"}}, Why: "exfil reads only these"}
	for _, direct := range []bool{false, true} {
		o := Options{Dir: dir, From: day("2026-11-01T00:00:00Z"), To: day("2026-11-08T00:00:00Z"), Narrow: nw}
		if direct {
			o.transcodeAbove = 1
		}
		e := open(t, o)
		res := run(t, e, `SELECT eventid FROM `+View+` ORDER BY eventid`)
		var got []string
		for _, r := range res.Rows {
			got = append(got, r[0].(string))
		}
		if strings.Join(got, " ") != "a e" {
			t.Errorf("direct=%v: loaded %v, want a e", direct, got)
		}
		cov, _ := e.Coverage(context.Background())
		// f is outside the window: neither loaded nor counted.
		if cov.Events != 2 || cov.EventsNotLoaded != 3 {
			t.Errorf("direct=%v: events %d, not loaded %d; want 2 and 3", direct, cov.Events, cov.EventsNotLoaded)
		}
		if strings.Join(cov.Accounts, " ") != "111122223333 444455556666" || strings.Join(cov.Regions, " ") != "eu-west-1 us-east-1" ||
			strings.Join(cov.Days, " ") != "2026/11/04 2026/11/06 2026/11/07" {
			t.Errorf("direct=%v: partitions %v %v %v", direct, cov.Accounts, cov.Regions, cov.Days)
		}
		line := "only s3.amazonaws.com events were loaded; before 2026-11-05T00:00:00Z only s3.amazonaws.com GetObject events were loaded (exfil reads only these)"
		if len(cov.Sources) != 2 || cov.Sources[1] != line {
			t.Errorf("direct=%v: sources %q, want the folder and %q", direct, cov.Sources, line)
		}
	}
}

// TestOpenPartitionRule: files delivered before the day before Before are
// read only in the partitions the rule's query selects over the rest; the
// others count as pruned, and their accounts, regions and days still count
// as present.
func TestOpenPartitionRule(t *testing.T) {
	dir := t.TempDir()
	write := func(acct, region string, d int, recs ...string) {
		sub := filepath.Join(dir, "AWSLogs", acct, "CloudTrail", region, "2026", "11", fmt.Sprintf("%02d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(sub, fmt.Sprintf("%s_CloudTrail_%s_202611%02dT1200Z_x.json", acct, region, d))
		if err := os.WriteFile(name, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	get := func(id string, d int, bucket string) string {
		return fmt.Sprintf(`{"eventTime":"2026-11-%02dT12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":%q,"requestParameters":{"bucketName":%q}}`, d, id, bucket)
	}
	for d := 1; d <= 8; d++ {
		write("111122223333", "us-east-1", d, get(fmt.Sprintf("a%d", d), d, "x"))
		write("444455556666", "eu-west-1", d, get(fmt.Sprintf("b%d", d), d, "other"))
	}
	q := engineQuery(`SELECT DISTINCT account, region FROM ` + View + ` WHERE eventtime >= '2026-11-06' AND json_extract_scalar(requestparameters, '$.bucketName') = ?`)
	q.Args = []any{"x"}
	before := day("2026-11-06T00:00:00Z")
	nw := &Narrow{Before: before, Keep: map[string][]string{"s3.amazonaws.com": {"GetObject"}}, Partitions: &PartitionRule{Query: q, Why: "the bucket's reads"}}
	e := open(t, Options{Dir: dir, From: day("2026-11-01T00:00:00Z"), To: day("2026-11-09T00:00:00Z"), Narrow: nw})
	res := run(t, e, `SELECT string_agg(eventid, ' ' ORDER BY eventid) FROM `+View)
	// Files delivered from 23:00 on the 5th are read everywhere; earlier
	// ones (by folder day, or like the 5th's noon files by name) only in
	// 111122223333/us-east-1.
	if got := res.Rows[0][0]; got != "a1 a2 a3 a4 a5 a6 a7 a8 b6 b7 b8" {
		t.Errorf("loaded %v", got)
	}
	cov, _ := e.Coverage(context.Background())
	if cov.FilesRead != 11 || cov.FilesPruned != 5 {
		t.Errorf("files read %d pruned %d, want 11 and 5", cov.FilesRead, cov.FilesPruned)
	}
	if len(cov.Accounts) != 2 || len(cov.Regions) != 2 || len(cov.MissingDays) != 0 {
		t.Errorf("coverage %+v", cov)
	}
	line := "files delivered before 2026-11-05T23:00:00Z (by folder day or file name) were read only in the account/region partitions holding the bucket's reads: 111122223333/us-east-1 (5 files pruned)"
	if cov.Sources[len(cov.Sources)-1] != line {
		t.Errorf("sources %q, want %q last", cov.Sources, line)
	}
}

// TestOpenColumns: only the columns the queries name (and those the
// loader needs) are loaded and in the view, on both load paths; a query
// naming another column fails; an unknown column is refused.
func TestOpenColumns(t *testing.T) {
	dir := narrowTree(t, true)
	for _, direct := range []bool{false, true} {
		o := Options{Dir: dir, From: day("2026-11-01T00:00:00Z"), To: day("2026-11-07T00:00:00Z"), Narrow: &Narrow{Queries: []string{"SELECT useridentity, eventversion FROM t"}}}
		if direct {
			o.transcodeAbove = 1
		}
		e := open(t, o)
		res := run(t, e, `SELECT * FROM `+View+` LIMIT 1`)
		var names []string
		for _, c := range res.Columns {
			names = append(names, c.Name)
		}
		want := "eventversion useridentity eventtime eventsource eventname awsregion eventid recipientaccountid account region day"
		if strings.Join(names, " ") != want {
			t.Errorf("direct=%v: view columns %v, want %s", direct, names, want)
		}
		res = run(t, e, `SELECT count(*), count(DISTINCT eventversion) FROM `+View)
		if res.Rows[0][0] != int64(30) || res.Rows[0][1] != int64(1) {
			t.Errorf("direct=%v: %v", direct, res.Rows)
		}
		if _, err := e.Run(context.Background(), engineQuery(`SELECT tlsdetails FROM `+View)); err == nil {
			t.Errorf("direct=%v: a column not loaded was queried without an error", direct)
		}
	}
	if _, err := selectFields([]string{"nosuch"}); err == nil || !strings.Contains(err.Error(), `"nosuch" is not a CloudTrail column`) {
		t.Errorf("unknown column: %v", err)
	}
}

// TestColumnsInStructFields: a STRUCT column named only through its fields
// loads only those fields; named whole, all of it; a query naming another
// field fails.
func TestColumnsInStructFields(t *testing.T) {
	got := ColumnsIn("SELECT e.useridentity.arn, useridentity.sessioncontext.sessionissuer.arn -- useridentity.username\nFROM t e WHERE eventname = 'x'")
	want := "useridentity.arn useridentity.sessioncontext.sessionissuer.arn eventname"
	if strings.Join(got, " ") != want {
		t.Errorf("ColumnsIn = %v, want %s", got, want)
	}
	if got := ColumnsIn("SELECT useridentity, useridentity.arn FROM t"); strings.Join(got, " ") != "useridentity" {
		t.Errorf("whole struct: %v", got)
	}
	dir := narrowTree(t, true)
	e := open(t, Options{Dir: dir, Narrow: &Narrow{Queries: []string{"SELECT useridentity.arn, useridentity.sessioncontext.sessionissuer.arn FROM t"}}})
	if _, err := e.Run(context.Background(), engineQuery(`SELECT useridentity.arn, useridentity.sessioncontext.sessionissuer.arn FROM `+View)); err != nil {
		t.Errorf("loaded fields: %v", err)
	}
	if _, err := e.Run(context.Background(), engineQuery(`SELECT useridentity.username FROM `+View)); err == nil {
		t.Error("a field not loaded was queried without an error")
	}
	if _, err := Open(context.Background(), Options{Dir: dir, TempDir: t.TempDir(), Narrow: &Narrow{Queries: []string{"SELECT useridentity.nosuch FROM t"}}}); err == nil || !strings.Contains(err.Error(), "no field nosuch") {
		t.Errorf("unknown field: %v", err)
	}
}
