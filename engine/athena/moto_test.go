package athena

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/moto"
)

const resultsBucket = "ctathena-results"

func motoConfig(srv *moto.Server) aws.Config {
	return aws.Config{
		Region:       moto.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, ""),
		BaseEndpoint: aws.String(srv.URL),
	}
}

// motoEngine starts moto with a results bucket and returns an engine over
// it plus a log of the engine's notes.
func motoEngine(t testing.TB) (*Engine, *moto.Server, *athena.Client, *notes) {
	t.Helper()
	srv := moto.Start(t)
	cfg := motoConfig(srv)
	ac := athena.NewFromConfig(cfg)
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := sc.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(resultsBucket)}); err != nil {
		t.Fatalf("create results bucket: %v", err)
	}
	n := &notes{}
	e := New(ac, sc, Options{
		Workgroup: "primary", Database: "default", OutputLocation: "s3://" + resultsBucket + "/athena/",
		PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, Logf: n.add,
		Sources: []string{"ctathena.management s3://trail/AWSLogs/"},
	})
	return e, srv, ac, n
}

type notes struct {
	mu sync.Mutex
	l  []string
}

func (n *notes) add(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.l = append(n.l, format)
}

func (n *notes) has(s string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Contains(strings.Join(n.l, "\n"), s)
}

// athenaType is the Athena type a canned column of engine type t gets.
func athenaType(t engine.Type) string {
	switch t {
	case engine.Integer:
		return "bigint"
	case engine.Float:
		return "double"
	case engine.Boolean:
		return "boolean"
	case engine.Timestamp:
		return "timestamp"
	}
	return "varchar"
}

// athenaText writes v the way Athena renders it in results.
func athenaText(v any) *string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return &v
	case int64:
		return moto.Str(strconv.FormatInt(v, 10))
	case float64:
		return moto.Str(strconv.FormatFloat(v, 'g', -1, 64))
	case bool:
		return moto.Str(strconv.FormatBool(v))
	case time.Time:
		return moto.Str(v.UTC().Format("2006-01-02 15:04:05.000"))
	}
	panic("unsupported canned value type")
}

// Prime queues one canned result in moto, header row first as Athena does.
func Prime(t testing.TB, srv *moto.Server, cols []engine.Column, rows [][]any) {
	t.Helper()
	res := moto.AthenaResult{}
	header := moto.Row{}
	for _, c := range cols {
		res.ColumnInfo = append(res.ColumnInfo, moto.ColumnInfo{Name: c.Name, Label: c.Name, Type: athenaType(c.Type)})
		header.Data = append(header.Data, moto.Datum{VarCharValue: moto.Str(c.Name)})
	}
	res.Rows = append(res.Rows, header)
	for _, r := range rows {
		row := moto.Row{}
		for _, v := range r {
			row.Data = append(row.Data, moto.Datum{VarCharValue: athenaText(v)})
		}
		res.Rows = append(res.Rows, row)
	}
	if err := srv.QueueAthenaResults(context.Background(), moto.Region, res); err != nil {
		if errors.Is(err, moto.ErrMotoOnly) {
			t.Skip("canned Athena results need moto; an external emulator runs real queries")
		}
		t.Fatal(err)
	}
}

func TestMotoRunParametersAndCSV(t *testing.T) {
	e, srv, ac, n := motoEngine(t)
	ctx := context.Background()
	cols := []engine.Column{{Name: "who", Type: engine.String}, {Name: "n", Type: engine.Integer},
		{Name: "at", Type: engine.Timestamp}, {Name: "ok", Type: engine.Boolean}, {Name: "note", Type: engine.String}}
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	rows := [][]any{
		{"arn:aws:iam::111111111111:user/a,b", int64(3), at, true, "multi\nline, with comma"},
		{"", nil, nil, false, nil},
		{"=SUM(1)", int64(-1), at.Add(time.Second), nil, ""},
	}
	Prime(t, srv, cols, rows)
	secret := "payroll-exports"
	res, err := e.Run(ctx, engine.Query{Name: "exfil/top_readers", SQL: "SELECT who, n, at, ok, note FROM cloudtrail WHERE bucket = ? AND n > ?",
		Args: []any{secret + "' OR '1'='1", int64(5)}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Rows, rows) {
		t.Errorf("rows:\n got %#v\nwant %#v", res.Rows, rows)
	}
	for i, c := range res.Columns {
		if c.Name != cols[i].Name || c.Type != cols[i].Type {
			t.Errorf("column %d = %+v, want %+v", i, c, cols[i])
		}
	}
	if n.has("paging GetQueryResults instead") {
		t.Error("read by paging although moto wrote a well-formed CSV")
	}
	got, err := ac.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(res.Stats.ExecutionID)})
	if err != nil {
		t.Fatal(err)
	}
	sent := aws.ToString(got.QueryExecution.Query)
	if strings.Contains(sent, secret) || strings.Contains(sent, "5") {
		t.Errorf("a value reached the SQL text: %q", sent)
	}
	if want := []string{"'payroll-exports'' OR ''1''=''1'", "5"}; !reflect.DeepEqual(got.QueryExecution.ExecutionParameters, want) {
		t.Errorf("ExecutionParameters recorded by moto = %q, want %q", got.QueryExecution.ExecutionParameters, want)
	}
	if aws.ToString(got.QueryExecution.WorkGroup) != "primary" {
		t.Errorf("workgroup = %v", aws.ToString(got.QueryExecution.WorkGroup))
	}
	if res.Stats.State != "SUCCEEDED" || res.Stats.ExecutionID == "" {
		t.Errorf("stats = %+v", res.Stats)
	}
	if v := e.Version(ctx); v != "Athena engine version 3" {
		t.Errorf("Version = %q", v)
	}
	cov, _ := e.Coverage(ctx)
	if len(cov.Sources) != 1 {
		t.Errorf("coverage sources = %v", cov.Sources)
	}
}

// moto writes quotes inside values without doubling them, so its CSV is
// malformed for such values; the engine must notice and page instead of
// returning shifted or truncated rows.
func TestMotoQuotesFallBackToPaging(t *testing.T) {
	e, srv, _, n := motoEngine(t)
	cols := []engine.Column{{Name: "ua", Type: engine.String}, {Name: "k", Type: engine.String}}
	rows := [][]any{
		{`Mozilla "quoted", evil`, `a","b`},
		{`"`, `""`},
		{"", nil},
	}
	Prime(t, srv, cols, rows)
	res, err := e.Run(context.Background(), engine.Query{Name: "t/quotes", SQL: "SELECT ua, k FROM t"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Rows, rows) {
		t.Errorf("rows:\n got %#v\nwant %#v", res.Rows, rows)
	}
	if !n.has("paging GetQueryResults instead") {
		t.Error("expected the paging fallback for moto's malformed CSV")
	}
}

func TestMotoNoResultLocationPages(t *testing.T) {
	srv := moto.Start(t)
	cfg := motoConfig(srv)
	// No OutputLocation: moto writes no object, so only paging can answer.
	e := New(athena.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond})
	cols := []engine.Column{{Name: "x", Type: engine.Float}}
	Prime(t, srv, cols, [][]any{{0.25}, {nil}})
	res, err := e.Run(context.Background(), engine.Query{Name: "t/nolocation", SQL: "SELECT x"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Rows, [][]any{{0.25}, {nil}}) {
		t.Errorf("rows = %#v", res.Rows)
	}
}
