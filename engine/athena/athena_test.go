package athena

import (
	"context"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"

	"github.com/ctathena/ctathena/engine"
)

var _ engine.Engine = (*Engine)(nil)

func fastOptions() Options {
	return Options{Workgroup: "ctathena", Database: "ctathena", PollMin: time.Millisecond, PollMax: 4 * time.Millisecond}
}

func col(name, typ string) types.ColumnInfo {
	return types.ColumnInfo{Name: aws.String(name), Type: aws.String(typ)}
}

func TestParameters(t *testing.T) {
	got, err := Parameters([]any{"payroll", "it's", int64(-42), "", "2026-11-01T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'payroll'", "'it''s'", "-42", "''", "'2026-11-01T00:00:00Z'"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if p, err := Parameters(nil); err != nil || p != nil {
		t.Errorf("no args: got %q, %v; want nil (Athena rejects an empty list)", p, err)
	}
	for _, bad := range []any{3.5, 7, true, nil, "a\x00b", string([]byte{0xff})} {
		if _, err := Parameters([]any{bad}); err == nil {
			t.Errorf("argument %#v accepted", bad)
		}
	}
}

func TestRunReadsCSVInOneRequest(t *testing.T) {
	f := newFake()
	f.bytesScanned = 3 << 30
	f.cols = []types.ColumnInfo{col("who", "varchar"), col("n", "bigint"), col("ok", "boolean"), col("at", "timestamp"), col("ratio", "double"), col("tags", "array(varchar)")}
	f.rows = [][]*string{
		{aws.String(`say "hi", then, bye`), aws.String("12"), aws.String("true"), aws.String("2026-11-01 10:00:00.000"), aws.String("0.5"), aws.String("[a, b]")},
		{aws.String(""), nil, nil, nil, nil, nil},
		{aws.String("line1\nline2\r\nline3"), aws.String("-9223372036854775808"), aws.String("false"), aws.String("2026-11-01 10:00:00.123 UTC"), aws.String("1e300"), aws.String("")},
		{aws.String("=cmd|' /c calc'!A1"), aws.String("0"), aws.String("true"), aws.String("2026-11-01"), aws.String("-0.25"), nil},
	}
	e := New(f, f, fastOptions())
	res, err := e.Run(context.Background(), engine.Query{Name: "t/q", SQL: "SELECT ? AS who WHERE n = ?", Args: []any{"o'brien", int64(7)}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{`say "hi", then, bye`, int64(12), true, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 0.5, "[a, b]"},
		{"", nil, nil, nil, nil, nil},
		{"line1\nline2\r\nline3", int64(math.MinInt64), false, time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC), 1e300, ""},
		{"=cmd|' /c calc'!A1", int64(0), true, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), -0.25, nil},
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", res.Rows, want)
	}
	wantTypes := []engine.Type{engine.String, engine.Integer, engine.Boolean, engine.Timestamp, engine.Float, engine.String}
	for i, c := range res.Columns {
		if c.Type != wantTypes[i] {
			t.Errorf("column %s type %s, want %s", c.Name, c.Type, wantTypes[i])
		}
	}
	if n := f.Calls("GetObject") + f.Calls("GetQueryResults"); n != 2 {
		t.Errorf("result fetch took %d requests, want 2", n)
	}
	in := f.started[0]
	if got := in.ExecutionParameters; !reflect.DeepEqual(got, []string{"'o''brien'", "7"}) {
		t.Errorf("ExecutionParameters = %q", got)
	}
	if strings.Contains(aws.ToString(in.QueryString), "brien") {
		t.Error("a value reached the SQL text")
	}
	if aws.ToString(in.WorkGroup) != "ctathena" || aws.ToString(in.QueryExecutionContext.Database) != "ctathena" {
		t.Errorf("workgroup/database not sent: %+v", in)
	}
	if tok := aws.ToString(in.ClientRequestToken); len(tok) < 32 || len(tok) > 128 {
		t.Errorf("ClientRequestToken %q outside Athena's 32..128 length", tok)
	}
	st := res.Stats
	if st.ExecutionID != "exec-1" || st.State != "SUCCEEDED" || st.BytesScanned != 3<<30 {
		t.Errorf("stats = %+v", st)
	}
	if math.Abs(st.CostUSD-3.0/1024*5) > 1e-12 {
		t.Errorf("cost = %v, want %v", st.CostUSD, 3.0/1024*5)
	}
	if e.BytesScanned() != 3<<30 {
		t.Errorf("BytesScanned = %d", e.BytesScanned())
	}
	if v := e.Version(context.Background()); v != "Athena engine version 3" {
		t.Errorf("Version = %q", v)
	}
}

func TestFallbackPagesWhenObjectUnreadable(t *testing.T) {
	f := newFake()
	f.s3Err = &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"}
	f.cols = []types.ColumnInfo{col("i", "integer"), col("s", "varchar")}
	for i := range 2500 {
		var s *string
		if i%2 == 0 {
			s = aws.String("")
		}
		f.rows = append(f.rows, []*string{aws.String(itoa(i)), s})
	}
	var logs []string
	var mu sync.Mutex
	o := fastOptions()
	o.Logf = func(format string, args ...any) {
		mu.Lock()
		logs = append(logs, format)
		mu.Unlock()
	}
	res, err := New(f, f, o).Run(context.Background(), engine.Query{Name: "t/page", SQL: "SELECT 1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2500 {
		t.Fatalf("got %d rows, want 2500 (header skipped once, every page read)", len(res.Rows))
	}
	for i, r := range res.Rows {
		if r[0] != int64(i) {
			t.Fatalf("row %d = %v", i, r)
		}
		if (i%2 == 0) != (r[1] == "") || (i%2 == 1) != (r[1] == nil) {
			t.Fatalf("row %d NULL/empty confusion: %#v", i, r[1])
		}
	}
	// 1 metadata call + 3 pages of 1000.
	if n := f.Calls("GetQueryResults"); n != 4 {
		t.Errorf("GetQueryResults calls = %d, want 4", n)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "paging GetQueryResults instead") {
		t.Errorf("fallback not reported: %q", logs)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFailedQueryCarriesReasonAndID(t *testing.T) {
	f := newFake()
	f.failReason = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"
	_, err := New(f, f, fastOptions()).Run(context.Background(), engine.Query{Name: "t/bad", SQL: "SELECT nope"})
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("error %v is not a QueryError", err)
	}
	if qe.ExecutionID != "exec-1" || qe.State != "FAILED" || !strings.Contains(err.Error(), "COLUMN_NOT_FOUND") || !strings.Contains(err.Error(), "t/bad") {
		t.Errorf("error lacks id, state, reason or name: %v", err)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	f := newFake()
	f.throttleStarts, f.throttlePolls = 3, 2
	f.cols = []types.ColumnInfo{col("x", "varchar")}
	f.rows = [][]*string{{aws.String("y")}}
	var sleeps int
	o := fastOptions()
	o.Sleep = func(ctx context.Context, d time.Duration) error { sleeps++; return nil }
	res, err := New(f, f, o).Run(context.Background(), engine.Query{Name: "t/throttle", SQL: "SELECT 'y'"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || f.Calls("StartQueryExecution") != 4 {
		t.Errorf("rows %v, starts %d", res.Rows, f.Calls("StartQueryExecution"))
	}
	if sleeps < 5 {
		t.Errorf("slept %d times, want a backoff per throttle", sleeps)
	}

	f2 := newFake()
	f2.throttleStarts = 100
	o.MaxThrottleRetries = 3
	_, err = New(f2, f2, o).Run(context.Background(), engine.Query{Name: "t/storm", SQL: "SELECT 1"})
	if err == nil || !strings.Contains(err.Error(), "TooManyRequestsException") || f2.Calls("StartQueryExecution") != 4 {
		t.Errorf("storm: err %v after %d starts", err, f2.Calls("StartQueryExecution"))
	}
}

func TestCancelStopsRunningQuery(t *testing.T) {
	f := newFake()
	f.runtime = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	o := fastOptions()
	o.Sleep = func(c context.Context, d time.Duration) error {
		if f.Calls("GetQueryExecution") >= 3 {
			cancel()
		}
		return sleepCtx(c, d)
	}
	_, err := New(f, f, o).Run(ctx, engine.Query{Name: "t/slow", SQL: "SELECT 1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !reflect.DeepEqual(f.stopped, []string{"exec-1"}) {
		t.Errorf("stopped %v, want [exec-1]", f.stopped)
	}
}

func TestAtMostMaxInFlight(t *testing.T) {
	f := newFake()
	f.runtime = 150 * time.Millisecond
	f.cols = []types.ColumnInfo{col("x", "varchar")}
	o := fastOptions()
	o.PollMin, o.PollMax = 5*time.Millisecond, 10*time.Millisecond
	e := New(f, f, o)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := e.Run(context.Background(), engine.Query{Name: "t/pack", SQL: "SELECT 1"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if f.maxSeen != 4 {
		t.Errorf("max in flight %d, want 4", f.maxSeen)
	}
	if limit := time.Duration(1.2 * 2 * float64(f.runtime)); took > limit {
		t.Errorf("8 queries of %s with 4 in flight took %s, want <= %s", f.runtime, took, limit)
	}
}

func TestCost(t *testing.T) {
	cases := map[int64]float64{0: 0, 1: 10.0 / (1 << 20) * 5, 10 << 20: 10.0 / (1 << 20) * 5, 1 << 40: 5, (10 << 20) + 1: 11.0 / (1 << 20) * 5}
	for b, want := range cases {
		if got := Cost(b); math.Abs(got-want) > 1e-15 {
			t.Errorf("Cost(%d) = %v, want %v", b, got, want)
		}
	}
}

func TestTypeOf(t *testing.T) {
	cases := map[string]engine.Type{"varchar": engine.String, "char(3)": engine.String, "bigint": engine.Integer,
		"integer": engine.Integer, "smallint": engine.Integer, "tinyint": engine.Integer, "double": engine.Float,
		"real": engine.Float, "decimal(10,2)": engine.Float, "boolean": engine.Boolean, "timestamp": engine.Timestamp,
		"timestamp(3) with time zone": engine.Timestamp, "timestamp with time zone": engine.Timestamp, "date": engine.Timestamp,
		"array(varchar)": engine.String, "map(varchar,bigint)": engine.String, "row(a integer)": engine.String, "json": engine.String}
	for in, want := range cases {
		if got := TypeOf(in); got != want {
			t.Errorf("TypeOf(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-11-01 09:00:00.000", "2026-11-01 09:00:00", "2026-11-01 09:00:00.000 UTC",
		"2026-11-01T09:00:00Z", "2026-11-01 10:00:00.000 Europe/Paris", "2026-11-01 10:00:00.000 +01:00"} {
		got, err := ParseTimestamp(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseTimestamp("yesterday"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestCSVReader(t *testing.T) {
	r := newCSVReader(strings.NewReader("\"a\",\"\",,\"x\"\"y\"\r\n\"multi\nline\",b,\"\",\n\n"))
	var got [][]csvField
	for {
		rec, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	want := [][]csvField{
		{{"a", true}, {"", true}, {"", false}, {`x"y`, true}},
		{{"multi\nline", true}, {"b", false}, {"", true}, {"", false}},
		{{"", false}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	// moto writes quotes inside values without doubling them; that must be
	// an error (so the engine pages instead), never shifted fields.
	for _, bad := range []string{"\"say \"hi\"\"\n", "\"open\n", "a\"b\n"} {
		r := newCSVReader(strings.NewReader(bad))
		if _, err := r.next(); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}
