package athena

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fakeAthena emulates the parts of Athena and S3 that moto cannot: real
// runtimes, FAILED states, throttling, paging tokens and request counting.
type fakeAthena struct {
	mu sync.Mutex

	runtime        time.Duration // how long each query runs, in real time
	failReason     string        // non-empty: every query FAILS with it
	throttleStarts int           // StartQueryExecution calls to throttle first
	throttlePolls  int           // GetQueryExecution calls to throttle first
	s3Err          error         // GetObject fails with it
	bytesScanned   int64

	cols []types.ColumnInfo
	rows [][]*string // without header

	n        int
	execs    map[string]*fakeExec
	calls    map[string]int
	inFlight int
	maxSeen  int
	stopped  []string
	started  []*athena.StartQueryExecutionInput
}

type fakeExec struct {
	start time.Time
	state types.QueryExecutionState
	done  bool
}

func newFake() *fakeAthena {
	return &fakeAthena{execs: map[string]*fakeExec{}, calls: map[string]int{}}
}

func throttled(op string) error {
	return &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: op + " rate exceeded"}
}

func (f *fakeAthena) count(op string) {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
}

func (f *fakeAthena) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeAthena) StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	f.count("StartQueryExecution")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttleStarts > 0 {
		f.throttleStarts--
		return nil, throttled("StartQueryExecution")
	}
	f.n++
	id := fmt.Sprintf("exec-%d", f.n)
	f.execs[id] = &fakeExec{start: time.Now(), state: types.QueryExecutionStateRunning}
	f.started = append(f.started, in)
	f.inFlight++
	f.maxSeen = max(f.maxSeen, f.inFlight)
	return &athena.StartQueryExecutionOutput{QueryExecutionId: aws.String(id)}, nil
}

func (f *fakeAthena) finish(x *fakeExec, st types.QueryExecutionState) {
	x.state = st
	if !x.done {
		x.done = true
		f.inFlight--
	}
}

func (f *fakeAthena) GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, _ ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	f.count("GetQueryExecution")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttlePolls > 0 {
		f.throttlePolls--
		return nil, throttled("GetQueryExecution")
	}
	id := aws.ToString(in.QueryExecutionId)
	x, ok := f.execs[id]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "InvalidRequestException", Message: "no such execution " + id}
	}
	if !x.done && time.Since(x.start) >= f.runtime {
		if f.failReason != "" {
			f.finish(x, types.QueryExecutionStateFailed)
		} else {
			f.finish(x, types.QueryExecutionStateSucceeded)
		}
	}
	sub := x.start
	comp := x.start.Add(f.runtime)
	qe := &types.QueryExecution{
		QueryExecutionId:    aws.String(id),
		StatementType:       types.StatementTypeDml,
		Status:              &types.QueryExecutionStatus{State: x.state, SubmissionDateTime: &sub},
		ResultConfiguration: &types.ResultConfiguration{OutputLocation: aws.String("s3://results/q/" + id + ".csv")},
		Statistics:          &types.QueryExecutionStatistics{DataScannedInBytes: aws.Int64(f.bytesScanned), TotalExecutionTimeInMillis: aws.Int64(f.runtime.Milliseconds())},
	}
	if x.done {
		qe.Status.CompletionDateTime = &comp
	}
	if x.state == types.QueryExecutionStateFailed {
		qe.Status.StateChangeReason = aws.String(f.failReason)
	}
	return &athena.GetQueryExecutionOutput{QueryExecution: qe}, nil
}

func (f *fakeAthena) StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	f.count("StopQueryExecution")
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.QueryExecutionId)
	f.stopped = append(f.stopped, id)
	if x, ok := f.execs[id]; ok {
		f.finish(x, types.QueryExecutionStateCancelled)
	}
	return &athena.StopQueryExecutionOutput{}, nil
}

func (f *fakeAthena) GetWorkGroup(ctx context.Context, in *athena.GetWorkGroupInput, _ ...func(*athena.Options)) (*athena.GetWorkGroupOutput, error) {
	f.count("GetWorkGroup")
	return &athena.GetWorkGroupOutput{WorkGroup: &types.WorkGroup{Name: in.WorkGroup, Configuration: &types.WorkGroupConfiguration{
		EngineVersion: &types.EngineVersion{SelectedEngineVersion: aws.String("AUTO"), EffectiveEngineVersion: aws.String("Athena engine version 3")}}}}, nil
}

// GetQueryResults pages like Athena: the header row first on the first
// page, at most MaxResults rows per page, an opaque NextToken.
func (f *fakeAthena) GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, _ ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	f.count("GetQueryResults")
	f.mu.Lock()
	defer f.mu.Unlock()
	header := types.Row{}
	for _, c := range f.cols {
		header.Data = append(header.Data, types.Datum{VarCharValue: c.Name})
	}
	off := 0
	if t := aws.ToString(in.NextToken); t != "" {
		off, _ = strconv.Atoi(strings.TrimPrefix(t, "tok-"))
	}
	limit := int(aws.ToInt32(in.MaxResults))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	end := min(off+limit, len(f.rows)+1)
	out := &athena.GetQueryResultsOutput{ResultSet: &types.ResultSet{ResultSetMetadata: &types.ResultSetMetadata{ColumnInfo: f.cols}}}
	for i := off; i < end; i++ {
		if i == 0 {
			out.ResultSet.Rows = append(out.ResultSet.Rows, header)
			continue
		}
		r := types.Row{}
		for _, v := range f.rows[i-1] {
			r.Data = append(r.Data, types.Datum{VarCharValue: v})
		}
		out.ResultSet.Rows = append(out.ResultSet.Rows, r)
	}
	if end < len(f.rows)+1 {
		out.NextToken = aws.String("tok-" + strconv.Itoa(end))
	}
	return out, nil
}

// GetObject serves the result CSV as Athena writes it: every value quoted
// with quotes doubled, NULL as an empty unquoted field, header first.
func (f *fakeAthena) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.count("GetObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.s3Err != nil {
		return nil, f.s3Err
	}
	var b strings.Builder
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for i, c := range f.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(q(aws.ToString(c.Name)))
	}
	b.WriteByte('\n')
	for _, r := range f.rows {
		for i, v := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if v != nil {
				b.WriteString(q(*v))
			}
		}
		b.WriteByte('\n')
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(b.String()))}, nil
}
