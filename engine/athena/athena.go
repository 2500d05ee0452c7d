// Package athena is the engine that runs catalog queries on Amazon Athena
// over the Glue tables that package tables sets up. It starts each query in
// the configured workgroup with the user's values as ExecutionParameters
// (never in the SQL text), polls with backoff and jitter, keeps at most a few
// queries in flight, retries throttling, stops queries whose context ends,
// and reads the result as the CSV object Athena writes — one streamed
// request — falling back to GetQueryResults paging only when that object
// cannot be read.
package athena

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ctathena/ctathena/engine"
)

// athenaAPI is the part of the Athena client the engine uses.
type athenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
	GetWorkGroup(ctx context.Context, in *athena.GetWorkGroupInput, optFns ...func(*athena.Options)) (*athena.GetWorkGroupOutput, error)
}

// s3API is the part of the S3 client the engine uses: reading result CSVs.
type s3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Options configure an Engine. Zero values get the defaults noted.
type Options struct {
	// Workgroup runs the queries; its enforced settings (result location,
	// encryption, scan cutoff) win over OutputLocation. Default "primary".
	Workgroup string
	// Database and Catalog are the query context. Catalog defaults to
	// "AwsDataCatalog".
	Database string
	Catalog  string
	// OutputLocation is sent as the result location when set; a workgroup
	// that enforces its own location overrides it.
	OutputLocation string
	// MaxInFlight bounds the queries running on Athena at once. Default 4.
	MaxInFlight int
	// PollMin and PollMax bound the polling interval, which doubles from
	// PollMin to PollMax with jitter. Defaults 250ms and 5s.
	PollMin, PollMax time.Duration
	// MaxThrottleRetries bounds retries of a throttled call. Default 8.
	MaxThrottleRetries int
	// Sleep waits d or until ctx ends; tests replace it to run without real
	// waiting. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf receives progress and fallback notes; nil discards them.
	Logf func(format string, args ...any)
	// Sources are the tables and S3 locations the queries read, reported by
	// Coverage (from configuration: the engine cannot know them).
	Sources []string
	// Estimator, if set, estimates each query from the S3 sizes of the
	// partitions it reads before starting it; the estimate is recorded in
	// its Stats.
	Estimator *Estimator
	// Inventory, with an Estimator whose Listings keep files, makes
	// Coverage list every log file (S3 key, size, ETag) in the partitions
	// the queries that ran read, from the estimate's listing: no extra call.
	Inventory bool
	// MaxScanPartitions, if positive, refuses to start a query one of
	// whose table scans would project more partitions (with an
	// Estimator): Trino's per-scan limit, which a scoped query never
	// reaches (sql.RenderScoped) but a table read whole may.
	MaxScanPartitions int64
	// MaxCostUSD, if positive, refuses to start a query whose estimate
	// would bring the estimated total over it (the command checks the
	// whole plan first; this catches queries planned later, such as the
	// identity pivot's rounds).
	MaxCostUSD float64
}

// Engine runs queries on Athena. It is safe for concurrent use.
type Engine struct {
	api  athenaAPI
	s3   s3API
	o    Options
	slot chan struct{}

	mu        sync.Mutex
	scanned   int64
	estimated float64
	version   string
	ran       []engine.Query // queries that succeeded, for the inventory
}

// ErrOverBudget is a query refused because its estimate would bring the
// investigation's estimated cost over MaxCostUSD.
type ErrOverBudget struct {
	Name                 string
	Estimate, SoFar, Max float64
}

func (e *ErrOverBudget) Error() string {
	return fmt.Sprintf("not started: %s is estimated at $%.4f, which with $%.4f estimated before it exceeds --max-cost $%g", e.Name, e.Estimate, e.SoFar, e.Max)
}

// New returns an Engine over the given clients.
func New(client athenaAPI, s3client s3API, o Options) *Engine {
	if o.Workgroup == "" {
		o.Workgroup = "primary"
	}
	if o.Catalog == "" {
		o.Catalog = "AwsDataCatalog"
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4
	}
	if o.PollMin <= 0 {
		o.PollMin = 250 * time.Millisecond
	}
	if o.PollMax < o.PollMin {
		o.PollMax = max(5*time.Second, o.PollMin)
	}
	if o.MaxThrottleRetries <= 0 {
		o.MaxThrottleRetries = 8
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return &Engine{api: client, s3: s3client, o: o, slot: make(chan struct{}, o.MaxInFlight)}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "athena" }

// DefaultVersion is reported when the workgroup does not say.
const DefaultVersion = "Athena engine version 3"

// Version asks the workgroup which engine version it runs, once.
func (e *Engine) Version(ctx context.Context) string {
	e.mu.Lock()
	v := e.version
	e.mu.Unlock()
	if v != "" {
		return v
	}
	v = DefaultVersion
	out, err := e.api.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: aws.String(e.o.Workgroup)})
	if err == nil && out.WorkGroup != nil && out.WorkGroup.Configuration != nil && out.WorkGroup.Configuration.EngineVersion != nil {
		ev := out.WorkGroup.Configuration.EngineVersion
		if s := aws.ToString(ev.EffectiveEngineVersion); s != "" {
			v = s
		} else if s := aws.ToString(ev.SelectedEngineVersion); s != "" && s != "AUTO" {
			v = s
		}
	}
	e.mu.Lock()
	e.version = v
	e.mu.Unlock()
	return v
}

// AddSource adds a line to Coverage's sources: how the queries were
// scoped, which partitions they read and why.
func (e *Engine) AddSource(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.o.Sources, line) {
		e.o.Sources = append(e.o.Sources, line)
	}
}

// Coverage reports the configured sources and, with Inventory, the log
// files in the partitions the queries read (from the estimate's listing;
// Athena itself does not say which files a query read).
func (e *Engine) Coverage(ctx context.Context) (engine.Coverage, error) {
	e.mu.Lock()
	cov := engine.Coverage{Sources: slices.Clone(e.o.Sources)}
	ran := slices.Clone(e.ran)
	e.mu.Unlock()
	if !e.o.Inventory || e.o.Estimator == nil {
		return cov, nil
	}
	seen := map[string]bool{}
	var list []engine.SourceFile
	for _, q := range ran {
		_, files, err := e.o.Estimator.read(ctx, q, true)
		if err != nil {
			return cov, fmt.Errorf("inventory: %w", err)
		}
		for _, f := range files {
			if !seen[f.Path] {
				seen[f.Path] = true
				list = append(list, f)
			}
		}
	}
	slices.SortFunc(list, func(a, b engine.SourceFile) int { return strings.Compare(a.Path, b.Path) })
	cov.Files = engine.NewSourceFiles(list)
	return cov, nil
}

// BytesScanned is the total DataScannedInBytes of the queries run so far.
func (e *Engine) BytesScanned() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scanned
}

// Close implements engine.Engine; the clients need no closing.
func (e *Engine) Close() error { return nil }

// QueryError is a query that Athena reports as FAILED or CANCELLED.
type QueryError struct {
	Name, ExecutionID, State, Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query %s (execution %s) %s: %s", e.Name, e.ExecutionID, e.State, e.Reason)
}

// Run implements engine.Engine.
func (e *Engine) Run(ctx context.Context, q engine.Query) (*engine.Result, error) {
	params, err := Parameters(q.Args)
	if err == nil {
		err = CheckQuery(q.SQL)
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", q.Name, err)
	}
	var estBytes int64
	var estCost float64
	if e.o.Estimator != nil {
		est, err := e.o.Estimator.Query(ctx, q)
		switch {
		case err != nil && e.o.MaxCostUSD > 0:
			return nil, fmt.Errorf("run %s: --max-cost is set and the cost cannot be estimated: %w", q.Name, err)
		case err != nil:
			estBytes = -1
			e.o.Logf("%s: no estimate: %v", q.Name, err)
		case e.o.MaxScanPartitions > 0 && est.MaxScan > e.o.MaxScanPartitions:
			return nil, fmt.Errorf("run %s: not started: one of its table scans would project %d partitions, more than the %d one scan may read; it would fail or time out", q.Name, est.MaxScan, e.o.MaxScanPartitions)
		default:
			estBytes, estCost = est.Bytes, est.CostUSD
			e.mu.Lock()
			soFar := e.estimated
			over := e.o.MaxCostUSD > 0 && soFar+estCost > e.o.MaxCostUSD
			if !over {
				e.estimated += estCost
			}
			e.mu.Unlock()
			if over {
				return nil, &ErrOverBudget{Name: q.Name, Estimate: estCost, SoFar: soFar, Max: e.o.MaxCostUSD}
			}
			e.o.Logf("%s: estimated %d bytes in %d partitions (%d projected), $%.4f", q.Name, est.Bytes, est.Partitions, est.Projected, est.CostUSD)
		}
	}
	select {
	case e.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("run %s: waiting for a free slot: %w", q.Name, ctx.Err())
	}
	released := false
	release := func() {
		if !released {
			released = true
			<-e.slot
		}
	}
	defer release()

	id, err := e.start(ctx, q, params)
	if err != nil {
		return nil, err
	}
	e.o.Logf("%s: started %s", q.Name, id)
	qe, err := e.wait(ctx, q.Name, id)
	if err != nil {
		return nil, err
	}
	// The query no longer occupies Athena; downloading its result should not
	// hold back the next one.
	release()
	stats := statsOf(qe)
	stats.EstimatedBytes, stats.EstimatedCostUSD = estBytes, estCost
	e.mu.Lock()
	e.scanned += stats.BytesScanned
	e.mu.Unlock()
	res, err := e.results(ctx, q.Name, qe)
	if err != nil {
		return nil, err
	}
	res.Stats = stats
	e.mu.Lock()
	e.ran = append(e.ran, q)
	e.mu.Unlock()
	e.o.Logf("%s: %d rows, %d bytes scanned, $%.4f", q.Name, len(res.Rows), stats.BytesScanned, stats.CostUSD)
	return res, nil
}

// requestToken is random per Run, so the SDK's own retries and ours of one
// start are idempotent while a deliberate re-run of the same query and
// arguments gets a fresh execution: a deterministic token would hand back an
// earlier, possibly cancelled, execution for up to a day.
func requestToken() string {
	var b [24]byte
	_, _ = crand.Read(b[:])
	return "ctathena-" + hex.EncodeToString(b[:])
}

func (e *Engine) start(ctx context.Context, q engine.Query, params []string) (string, error) {
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(q.SQL),
		ClientRequestToken:    aws.String(requestToken()),
		WorkGroup:             aws.String(e.o.Workgroup),
		ExecutionParameters:   params,
		QueryExecutionContext: &types.QueryExecutionContext{Catalog: aws.String(e.o.Catalog)},
	}
	if e.o.Database != "" {
		in.QueryExecutionContext.Database = aws.String(e.o.Database)
	}
	if e.o.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(e.o.OutputLocation)}
	}
	var out *athena.StartQueryExecutionOutput
	err := e.retry(ctx, func() (err error) {
		out, err = e.api.StartQueryExecution(ctx, in)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("start query %s: %w", q.Name, err)
	}
	return aws.ToString(out.QueryExecutionId), nil
}

func (e *Engine) wait(ctx context.Context, name, id string) (*types.QueryExecution, error) {
	delay := e.o.PollMin
	for {
		var out *athena.GetQueryExecutionOutput
		err := e.retry(ctx, func() (err error) {
			out, err = e.api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
			return err
		})
		if ctx.Err() != nil {
			e.stop(ctx, name, id)
			return nil, fmt.Errorf("query %s (execution %s): %w", name, id, ctx.Err())
		}
		if err != nil {
			return nil, fmt.Errorf("poll query %s (execution %s): %w", name, id, err)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return nil, fmt.Errorf("poll query %s (execution %s): athena returned no status", name, id)
		}
		switch qe.Status.State {
		case types.QueryExecutionStateSucceeded:
			return qe, nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			reason := aws.ToString(qe.Status.StateChangeReason)
			if reason == "" && qe.Status.AthenaError != nil {
				reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
			}
			if reason == "" {
				reason = "no reason given"
			}
			return nil, &QueryError{Name: name, ExecutionID: id, State: string(qe.Status.State), Reason: reason}
		}
		if err := e.o.Sleep(ctx, jitter(delay)); err != nil {
			e.stop(ctx, name, id)
			return nil, fmt.Errorf("query %s (execution %s): %w", name, id, err)
		}
		delay = min(delay*2, e.o.PollMax)
	}
}

// stop asks Athena to stop a query whose caller has gone away, under its own
// short deadline: the caller's context is already done.
func (e *Engine) stop(ctx context.Context, name, id string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := e.api.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		e.o.Logf("%s: stop execution %s: %v", name, id, err)
		return
	}
	e.o.Logf("%s: stopped execution %s", name, id)
}

// jitter spreads d over [d/2, d] so parallel pollers do not synchronise.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// isThrottle reports Athena's and the SDK's throttling errors, which are
// worth waiting out rather than failing an investigation over.
func isThrottle(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "TooManyRequestsException", "ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded", "SlowDown":
		return true
	}
	return false
}

func (e *Engine) retry(ctx context.Context, call func() error) error {
	delay := e.o.PollMin
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil || !isThrottle(err) || attempt >= e.o.MaxThrottleRetries {
			return err
		}
		e.o.Logf("throttled, retrying in about %s", delay)
		if serr := e.o.Sleep(ctx, jitter(delay)); serr != nil {
			return errors.Join(err, serr)
		}
		delay = min(delay*2, 4*e.o.PollMax)
	}
}

// Athena charges $5 per TB scanned, at least 10 MB per query, rounded up to
// the megabyte; queries that scanned nothing (DDL, failures) cost nothing.
const (
	bytesPerMB   = 1 << 20
	minBilled    = 10 * bytesPerMB
	dollarsPerTB = 5.0
	bytesPerTB   = 1 << 40
)

// Cost returns Athena's charge in US dollars for a query that scanned bytes.
func Cost(bytes int64) float64 {
	if bytes <= 0 {
		return 0
	}
	billed := (bytes + bytesPerMB - 1) / bytesPerMB * bytesPerMB
	billed = max(billed, minBilled)
	return float64(billed) / bytesPerTB * dollarsPerTB
}

func statsOf(qe *types.QueryExecution) engine.Stats {
	s := engine.Stats{ExecutionID: aws.ToString(qe.QueryExecutionId), State: string(qe.Status.State)}
	if t := qe.Status.SubmissionDateTime; t != nil {
		s.Submitted = t.UTC()
	}
	if t := qe.Status.CompletionDateTime; t != nil {
		s.Completed = t.UTC()
	}
	if st := qe.Statistics; st != nil {
		s.BytesScanned = aws.ToInt64(st.DataScannedInBytes)
		s.Elapsed = time.Duration(aws.ToInt64(st.TotalExecutionTimeInMillis)) * time.Millisecond
	}
	if s.Elapsed == 0 && !s.Submitted.IsZero() && s.Completed.After(s.Submitted) {
		s.Elapsed = s.Completed.Sub(s.Submitted)
	}
	s.CostUSD = Cost(s.BytesScanned)
	return s
}
