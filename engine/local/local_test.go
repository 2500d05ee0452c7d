package local

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/enginetest"
)

const fixtures = "../../testdata/local"

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func open(t *testing.T, o Options) *Engine {
	t.Helper()
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	e, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s: %v", o.Dir, err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

func run(t *testing.T, e *Engine, sql string, args ...any) *engine.Result {
	t.Helper()
	res, err := e.Run(context.Background(), engine.Query{Name: "test/" + t.Name(), SQL: sql, Args: args})
	if err != nil {
		t.Fatalf("run %q: %v", sql, err)
	}
	return res
}

func one(t *testing.T, e *Engine, sql string, args ...any) any {
	t.Helper()
	res := run(t, e, sql, args...)
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		t.Fatalf("%q returned %v, want one value", sql, res.Rows)
	}
	return res.Rows[0][0]
}

type harness struct{}

func (harness) Engine(t *testing.T) engine.Engine {
	return open(t, Options{Dir: filepath.Join(fixtures, "plain")})
}
func (harness) Prime(*testing.T, []engine.Column, [][]any) {}

func TestConformance(t *testing.T) { enginetest.Run(t, harness{}) }

func TestOrgLayoutWindow(t *testing.T) {
	e := open(t, Options{
		Dir:  filepath.Join(fixtures, "org"),
		From: day("2024-03-02T00:00:00Z"),
		To:   day("2024-03-03T00:00:00Z"),
	})
	cov, err := e.Coverage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Pruned: the 2024/02/20 and 2024/03/10 folders, and the padding day's
	// files, named as delivered at 12:05 on 2024/03/01, before the window.
	if cov.FilesRead != 9 || cov.FilesPruned != 8 {
		t.Errorf("files read/pruned = %d/%d, want 9/8", cov.FilesRead, cov.FilesPruned)
	}
	if cov.Events != 9 || cov.DuplicateEvents != 1 {
		t.Errorf("events/duplicates = %d/%d, want 9/1", cov.Events, cov.DuplicateEvents)
	}
	if want := []string{"111111111111", "222222222222"}; !reflect.DeepEqual(cov.Accounts, want) {
		t.Errorf("accounts = %v, want %v", cov.Accounts, want)
	}
	if want := []string{"sagov-westsouth-1r", "us-east-1"}; !reflect.DeepEqual(cov.Regions, want) {
		t.Errorf("regions = %v, want %v", cov.Regions, want)
	}
	if want := []string{"2024/03/02", "2024/03/03"}; !reflect.DeepEqual(cov.Days, want) {
		t.Errorf("days = %v, want %v", cov.Days, want)
	}
	if len(cov.MissingDays) != 0 || len(cov.Skipped) != 0 {
		t.Errorf("missing days %v, skipped %v, want none", cov.MissingDays, cov.Skipped)
	}
	// Exact eventtime filter, late deliveries included, digest never read.
	res := run(t, e, `SELECT eventid, account, region, day FROM cloudtrail ORDER BY eventid, day`)
	if len(res.Rows) != 9 {
		t.Fatalf("rows = %v", res.Rows)
	}
	for _, r := range res.Rows {
		id := r[0].(string)
		if strings.Contains(id, "digest") || strings.Contains(id, "insight") {
			t.Errorf("loaded %s from a Digest/Insight folder", id)
		}
	}
	if got := one(t, e, `SELECT count(DISTINCT eventid) FROM cloudtrail WHERE eventtime >= ? AND eventtime < ?`, "2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z"); got != int64(8) {
		t.Errorf("distinct events = %v, want 8", got)
	}
	// Partition columns come from the path: the late event of 03/02 sits in
	// the 03/03 folder.
	if got := one(t, e, `SELECT day FROM cloudtrail WHERE eventid = '1-us-0303-late'`); got != "2024/03/03" {
		t.Errorf("day of late delivery = %v, want 2024/03/03", got)
	}
}

func TestOrgLayoutUnbounded(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "org")})
	cov, _ := e.Coverage(context.Background())
	if cov.FilesRead != 17 || cov.FilesPruned != 0 || cov.Events != 29 {
		t.Errorf("files %d pruned %d events %d, want 17 0 29", cov.FilesRead, cov.FilesPruned, cov.Events)
	}
}

func TestMissingDays(t *testing.T) {
	e := open(t, Options{
		Dir:  filepath.Join(fixtures, "org"),
		From: day("2024-03-02T00:00:00Z"),
		To:   day("2024-03-06T00:00:00Z"),
	})
	cov, _ := e.Coverage(context.Background())
	if want := []string{"2024/03/04", "2024/03/05"}; !reflect.DeepEqual(cov.MissingDays, want) {
		t.Errorf("missing days = %v, want %v", cov.MissingDays, want)
	}
}

func TestSingleAccountAndPlain(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "single")})
	if got := one(t, e, `SELECT count(*) FROM cloudtrail WHERE account = '333333333333' AND region = 'eu-west-1' AND day = '2024/03/02'`); got != int64(3) {
		t.Errorf("single-account events = %v, want 3", got)
	}
	p := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	cov, _ := p.Coverage(context.Background())
	if cov.FilesRead != 3 || cov.Events != 3 || len(cov.Skipped) != 0 {
		t.Errorf("plain coverage = %+v, want 3 files (one empty), 3 events", cov)
	}
	if want := []string{"444444444444", "555555555555"}; !reflect.DeepEqual(cov.Accounts, want) {
		t.Errorf("plain accounts = %v, want %v", cov.Accounts, want)
	}
	res := run(t, p, `SELECT account, region, day, sourceipaddress, errormessage FROM cloudtrail WHERE eventid = '4-p-1'`)
	want := []any{"444444444444", "sagov-westsouth-1r", "2024/03/02", "035.249.253.232", "User: x' OR '1'='1 is not authorized\nline2"}
	if !reflect.DeepEqual(res.Rows[0], want) {
		t.Errorf("plain row = %#v, want %#v", res.Rows[0], want)
	}
	if got := one(t, p, `SELECT useragent FROM cloudtrail WHERE eventid = '5-p-1'`); got != "=HYPERLINK(\"http://evil\")\t\u202e" {
		t.Errorf("user agent = %q", got)
	}
}

func TestUnreadableFilesAreReported(t *testing.T) {
	// The whole testdata tree: layouts, plain files and broken files.
	e := open(t, Options{Dir: fixtures})
	cov, _ := e.Coverage(context.Background())
	reasons := map[string]string{}
	for _, s := range cov.Skipped {
		reasons[filepath.Base(s.Path)] = s.Reason
	}
	// A damaged CloudTrail file is a gap in the answer (Skipped); files
	// of a plain folder that are not CloudTrail at all are listed apart.
	if len(reasons) != 1 || !strings.HasPrefix(reasons["truncated.json.gz"], "truncated gzip: unexpected EOF") {
		t.Errorf("skipped = %v, want only truncated.json.gz", cov.Skipped)
	}
	reasons = map[string]string{}
	for _, s := range cov.NotCloudTrail {
		reasons[filepath.Base(s.Path)] = s.Reason
	}
	want := map[string]string{
		"notjson.json":          "not CloudTrail JSON: ",
		"norecords.json":        `not CloudTrail JSON: no "Records" array`,
		"notcloudtrail.json.gz": "not CloudTrail JSON: ",
		"make_fixtures.py":      "not a CloudTrail log",
	}
	if len(reasons) != len(want) {
		t.Errorf("not CloudTrail = %v, want %d files", cov.NotCloudTrail, len(want))
	}
	for f, prefix := range want {
		if !strings.HasPrefix(reasons[f], prefix) {
			t.Errorf("reason for %s = %q, want prefix %q", f, reasons[f], prefix)
		}
	}
	// Everything else loaded: 29 org + 3 single + 3 plain.
	if cov.Events != 35 || cov.FilesRead != 17+1+3 {
		t.Errorf("events %d files %d, want 35 and 21", cov.Events, cov.FilesRead)
	}
}

func TestNoLogs(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "x.txt")
	os.WriteFile(file, []byte("hi"), 0o644)
	for name, dir := range map[string]string{
		"missing":  filepath.Join(empty, "nope"),
		"not dir":  file,
		"no files": empty,
		"empty":    "",
	} {
		_, err := Open(context.Background(), Options{Dir: dir, TempDir: t.TempDir()})
		if !errors.Is(err, ErrNoLogs) {
			t.Errorf("%s: err = %v, want ErrNoLogs", name, err)
		}
	}
}

func TestDescribeView(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	res := run(t, e, `SELECT column_name, column_type FROM (DESCRIBE cloudtrail)`)
	var names []string
	types := map[string]string{}
	for _, r := range res.Rows {
		names = append(names, r[0].(string))
		types[r[0].(string)] = r[1].(string)
	}
	if !reflect.DeepEqual(names, Columns()) {
		t.Errorf("columns = %v\nwant %v", names, Columns())
	}
	for _, c := range []string{"requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails", "readonly", "eventtime", "account", "region", "day"} {
		if types[c] != "VARCHAR" {
			t.Errorf("%s is %s, want VARCHAR", c, types[c])
		}
	}
	if !strings.Contains(types["useridentity"], "sessionissuer STRUCT(") || !strings.Contains(types["useridentity"], "principalid VARCHAR") {
		t.Errorf("useridentity = %s", types["useridentity"])
	}
	if types["resources"] != `STRUCT(arn VARCHAR, accountid VARCHAR, "type" VARCHAR)[]` {
		t.Errorf("resources = %s", types["resources"])
	}
	// Nested values are filled in despite CloudTrail's camelCase keys.
	res = run(t, e, `SELECT useridentity.sessioncontext.sessionissuer.username, useridentity.sessioncontext.attributes.mfaauthenticated,
		resources[1].arn, resources[2].accountid, readonly, tlsdetails.tlsversion,
		json_extract_scalar(requestparameters, '$.bucketName'), json_extract_scalar(additionaleventdata, '$.bytesTransferredOut')
		FROM cloudtrail WHERE eventid = '4-p-1'`)
	want := []any{"Admin", "false", "arn:aws:s3:::payroll-exports/k/4-p-1.csv", "444444444444", "false", "TLSv1.3", "payroll-exports", "1024"}
	if !reflect.DeepEqual(res.Rows[0], want) {
		t.Errorf("nested = %#v\nwant %#v", res.Rows[0], want)
	}
}

func TestMacros(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	ts := time.Date(2024, 3, 2, 10, 4, 5, 123e6, time.UTC)
	cases := []struct {
		sql  string
		want any
	}{
		{`json_extract_scalar('{"a":{"b":"x"}}', '$.a.b')`, "x"},
		{`json_extract_scalar('{"a":{"b":"x"}}', '$.a')`, nil}, // objects are not scalars
		{`json_extract_scalar('{"a":[1,2]}', '$.a')`, nil},     // nor arrays
		{`json_extract_scalar('{"a":[1,2]}', '$.a[1]')`, "2"},  // zero-based like Trino
		{`json_extract_scalar('{"a":null}', '$.a')`, nil},
		{`json_extract_scalar('{"a":1.5}', '$.a')`, "1.5"},
		{`json_extract_scalar('{"a":true}', '$.a')`, "true"},
		{`json_extract_scalar('{"x-amz-id":"v"}', '$["x-amz-id"]')`, "v"},
		{`json_extract_scalar('not json', '$.a')`, nil}, // Athena: NULL, not an error
		{`json_extract_scalar(NULL, '$.a')`, nil},
		{`CAST(json_extract('{"a":{"b":1}}', '$.a') AS VARCHAR)`, `{"b":1}`},
		{`json_extract('oops', '$.a') IS NULL`, true},
		{`json_format(json_parse('{"a": 1}'))`, `{"a":1}`},
		{`from_iso8601_timestamp('2024-03-02T10:04:05.123Z')`, ts},
		{`to_iso8601(from_iso8601_timestamp('2024-03-02T10:04:05.123Z'))`, "2024-03-02T10:04:05.123Z"},
		{`from_unixtime(0)`, time.Unix(0, 0).UTC()},
		{`to_unixtime(from_iso8601_timestamp('1970-01-01T00:01:00Z'))`, 60.0},
		{`date_format(from_iso8601_timestamp('2024-03-02T10:04:05Z'), '%Y-%m-%d %H:%i:%s')`, "2024-03-02 10:04:05"},
		{`date_format(from_iso8601_timestamp('2024-03-02T10:04:05Z'), '%M %e, %Y %T')`, "March 2, 2024 10:04:05"},
		{`date_add('day', 3, from_iso8601_timestamp('2024-03-02T00:00:00Z'))`, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		{`date_add('hour', -2, from_iso8601_timestamp('2024-03-02T00:00:00Z'))`, time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)},
		{`date_diff('day', from_iso8601_timestamp('2024-03-01T00:00:00Z'), from_iso8601_timestamp('2024-03-04T00:00:00Z'))`, int64(3)},
		{`regexp_like('AccessDenied', '^Access')`, true},
		{`regexp_like('xAccessDenied', 'Denied')`, true}, // partial match, like Trino
		{`regexp_replace('a1b22', '\d')`, "ab"},
		{`regexp_replace('a1b22', '(\d+)', '<$1>')`, "a<1>b<22>"},
		{`regexp_extract('arn:aws:iam::123456789012:role/x', '::(\d{12}):', 1)`, "123456789012"},
		{`regexp_extract('no digits', '\d+')`, nil},
		{`cardinality(split('a,b,c', ','))`, int64(3)},
		{`element_at(split('a,b,c', ','), 2)`, "b"},
		{`element_at(split('a,b,c', ','), -1)`, "c"},
		{`element_at(split('a,b,c', ','), 9)`, nil},
		{`contains(split('a,b,c', ','), 'b')`, true},
		{`array_join(split('a,b,c', ','), '|')`, "a|b|c"},
		{`url_extract_host('https://user@Example.com:8443/p?q=1')`, "Example.com"},
		{`url_extract_path('https://example.com/a/b?q=1')`, "/a/b"},
		{`(SELECT approx_distinct(x) FROM (VALUES (1), (1), (2)) t(x))`, int64(2)},
		{`(SELECT arbitrary(x) FROM (VALUES (7)) t(x))`, int64(7)},
		{`(SELECT count(*) FROM UNNEST(sequence(1, 5)) AS t(x))`, int64(5)},
		{`strpos('abc', 'c')`, int64(3)},
		{`split_part('a:b:c', ':', 2)`, "b"},
		{`try_cast('x' AS BIGINT)`, nil},
	}
	for _, c := range cases {
		got := one(t, e, "SELECT "+c.sql)
		if tw, ok := c.want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(tw) {
				t.Errorf("%s = %#v, want %v", c.sql, got, tw)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.sql, got, c.want)
		}
	}
	// Every exported macro name is really defined.
	for _, name := range Macros() {
		got := one(t, e, `SELECT count(*) FROM duckdb_functions() WHERE function_name = ? AND function_type = 'macro'`, name)
		if got == int64(0) {
			t.Errorf("macro %s is listed but not defined", name)
		}
	}
}

// writeBig writes one CloudTrail file of at least size bytes uncompressed.
func writeBig(t *testing.T, path string, size int, gz bool) int {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	n := 0
	pad := strings.Repeat("p", 900)
	for b.Len() < size {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"eventVersion":"1.09","eventTime":"2024-03-02T%02d:%02d:%02dZ","eventID":"big-%d","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"777777777777","requestParameters":{"key":"%s"}}`,
			n/3600%24, n/60%60, n%60, n, pad)
		n++
	}
	b.WriteString(`]}`)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if gz {
		zw := gzip.NewWriter(f)
		zw.Write([]byte(b.String()))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		f.WriteString(b.String())
	}
	return n
}

func TestFileOver16MiB(t *testing.T) {
	dir := t.TempDir()
	n1 := writeBig(t, filepath.Join(dir, "AWSLogs/777777777777/CloudTrail/us-east-1/2024/03/02/big.json.gz"), 20<<20, true)
	n2 := writeBig(t, filepath.Join(dir, "plain/big.json"), 17<<20, false)
	e := open(t, Options{Dir: dir})
	cov, _ := e.Coverage(context.Background())
	if len(cov.Skipped) != 0 || cov.Events != int64(n1+n2) {
		t.Errorf("events %d skipped %v, want %d and none", cov.Events, cov.Skipped, n1+n2)
	}
}

func TestGlobCharactersInFileNames(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(fixtures, "plain/sub/export2.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a[1].json", "b*.json", "c'quote.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := open(t, Options{Dir: dir})
	cov, _ := e.Coverage(context.Background())
	if cov.Events != 3 || cov.FilesRead != 3 || len(cov.Skipped) != 0 {
		t.Errorf("coverage = %+v, want 3 files, 3 events", cov)
	}
}

func TestStratusCopy(t *testing.T) {
	dir := "../../testdata/stratus"
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("testdata/stratus is missing: %v", err)
	}
	e := open(t, Options{Dir: dir})
	cov, _ := e.Coverage(context.Background())
	if cov.Events == 0 || len(cov.Skipped) != 0 {
		t.Errorf("stratus coverage: %d events, skipped %v", cov.Events, cov.Skipped)
	}
}

func TestCloseRemovesDatabase(t *testing.T) {
	tmp := t.TempDir()
	e, err := Open(context.Background(), Options{Dir: filepath.Join(fixtures, "plain"), TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Fatalf("temp dir holds %d entries, want the database folder", len(ents))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp dir still holds %v after Close", ents)
	}
	if v := e.Version(context.Background()); !strings.HasPrefix(v, "DuckDB v") {
		t.Errorf("version = %q", v)
	}
}

func TestArgsAreTypeChecked(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	_, err := e.Run(context.Background(), engine.Query{Name: "x/y", SQL: "SELECT ?", Args: []any{3.5}})
	if err == nil || !strings.Contains(err.Error(), "x/y") {
		t.Errorf("float arg: err = %v, want an error naming the query", err)
	}
}

func engineQuery(sql string, args ...any) engine.Query {
	return engine.Query{Name: "test/adhoc", SQL: sql, Args: args}
}

func TestDeliveredAt(t *testing.T) {
	for name, want := range map[string]string{
		"111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz": "20150801T0210",
		"111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json":    "20150801T0210",
		"111122223333_CloudTrail-Digest_us-east-2_20150801T0210Z.json.gz":           "",
		"trail.json.gz": "",
		"111122223333_CloudTrail_us-east-2_2015080110210Z_x.json.gz": "",
		"111122223333_CloudTrail_us-east-2_20150801T02a0Z_x.json.gz": "",
		"11112222333_CloudTrail_us-east-2_20150801T0210Z_x.json.gz":  "",
	} {
		got, ok := deliveredAt(name)
		if got != want || ok != (want != "") {
			t.Errorf("deliveredAt(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
