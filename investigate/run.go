// Package investigate holds the investigation packs (exfil, access, identity,
// hunt): which catalog queries each runs, in what order, with which
// parameters, and how their rows become plain-language findings. It renders
// queries through the catalog, runs them on whatever engine.Engine it is
// given, and hands its results to the report writer; it knows nothing of the
// CLI or of a particular engine.
package investigate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// Env is what every investigation needs.
type Env struct {
	Engine  engine.Engine
	Catalog *sql.Catalog
	// Tables maps "management" and "data" to the configured identifiers.
	Tables map[string]string
	// Parallel is how many queries run at once (the Athena engine has its own
	// cap too). 0 means 4.
	Parallel int
	// Progress receives one line per query state change; may be nil.
	Progress func(format string, args ...any)
	// DryRun renders every query and runs none.
	DryRun bool
	// Tally, if set, counts the queries started and finished (for the
	// message an interrupted run prints).
	Tally *Tally
	// Scopes, if set, gives the partitions each table role of a query may
	// read (Athena: the S3 listing's account/region folders); RunAll
	// renders the query's table references as scans of them
	// (sql.RenderScoped). Nil reads tables whole (the local engine).
	Scopes func(ctx context.Context, query string, values map[string]string) (map[string]sql.Scope, error)
}

// Tally counts queries across an investigation's rounds.
type Tally struct{ Planned, Finished atomic.Int64 }

// Outcome is what an investigation hands to the report.
type Outcome struct {
	Queries  []reports.QueryRun
	Findings []reports.Finding
	Charts   []reports.Chart
	Notes    []string
}

// Failed lists the queries that did not succeed.
func (o *Outcome) Failed() []string {
	var out []string
	for _, q := range o.Queries {
		if q.Err != "" {
			out = append(out, q.Name)
		}
	}
	return out
}

// Planned is one query with its parameter values, before rendering.
// PackSQL is the SQL text (fragments spliced in, placeholders left) of
// every catalog query of the pack: what a command running that pack may
// read, for an engine that loads only the columns named (the local
// engine's Narrow.Columns).
func PackSQL(cat *sql.Catalog, pack string) []string {
	var out []string
	for _, q := range cat.Pack(pack) {
		out = append(out, q.SQLText())
	}
	return out
}

type Planned struct {
	Name   string
	Values map[string]string
}

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		e.Progress(format, args...)
	}
}

// runPack runs a pack's planned queries and, unless this is a dry run or the
// run was interrupted, lets finish turn their rows into findings and charts.
// A planning error (a bad value: the user's fault) stops everything first.
func runPack(ctx context.Context, env *Env, plans []Planned, planErr error, finish func(out *Outcome)) (*Outcome, error) {
	if planErr != nil {
		return nil, planErr
	}
	runs, err := env.RunAll(ctx, plans)
	out := &Outcome{Queries: runs}
	if err != nil || env.DryRun {
		return out, err
	}
	finish(out)
	return out, nil
}

// Render turns a plan into rendered queries; a bad value is a
// *sql.UsageError, and nothing runs.
func (e *Env) Render(plans []Planned) ([]*sql.Rendered, error) {
	out := make([]*sql.Rendered, 0, len(plans))
	for _, p := range plans {
		q, ok := e.Catalog.Get(p.Name)
		if !ok {
			return nil, fmt.Errorf("no catalog query %q", p.Name)
		}
		r, err := q.Render(e.Tables, p.Values)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RunAll renders and runs the plans, independent queries concurrently, and
// returns one QueryRun per plan in plan order. A failed query is recorded in
// its QueryRun (the bundle says which failed); a render error stops
// everything before any query starts. A cancelled context is returned as
// the error.
func (e *Env) RunAll(ctx context.Context, plans []Planned) ([]reports.QueryRun, error) {
	rendered, err := e.Render(plans)
	if err != nil {
		return nil, err
	}
	if e.Scopes != nil {
		for i, p := range plans {
			sc, err := e.Scopes(ctx, p.Name, p.Values)
			if err != nil {
				return nil, err
			}
			if rendered[i], err = e.Catalog.MustGet(p.Name).RenderScoped(e.Tables, p.Values, sc); err != nil {
				return nil, err
			}
		}
	}
	runs := make([]reports.QueryRun, len(rendered))
	for i, r := range rendered {
		runs[i] = queryRun(r)
	}
	if e.DryRun {
		for i := range runs {
			runs[i].Stats.State = "NOT RUN (dry run)"
		}
		return runs, nil
	}
	par := e.Parallel
	if par <= 0 {
		par = 4
	}
	if e.Tally != nil {
		e.Tally.Planned.Add(int64(len(rendered)))
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, r := range rendered {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				runs[i].Err = ctx.Err().Error()
				runs[i].Stats.State = "CANCELLED"
				return
			}
			defer func() { <-sem }()
			e.progress("running %s", r.Name)
			start := time.Now()
			res, err := e.Engine.Run(ctx, engine.Query{Name: r.Name, SQL: r.SQL, Args: r.Args})
			if err != nil {
				runs[i].Err = err.Error()
				runs[i].Stats.State = "FAILED"
				e.progress("%s failed: %v", r.Name, err)
				return
			}
			runs[i].Columns = res.Columns
			runs[i].Rows = res.Rows
			runs[i].Stats = res.Stats
			if e.Tally != nil {
				e.Tally.Finished.Add(1)
			}
			e.progress("%s: %d rows in %s%s", r.Name, len(res.Rows), time.Since(start).Round(time.Millisecond), scanned(res.Stats))
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return runs, err
	}
	return runs, nil
}

func scanned(s engine.Stats) string {
	if s.BytesScanned == 0 {
		return ""
	}
	return fmt.Sprintf(", %s scanned, $%.4f", HumanBytes(float64(s.BytesScanned)), s.CostUSD)
}

func queryRun(r *sql.Rendered) reports.QueryRun {
	// The bundle lists values in placeholder order, so anyone can re-run
	// the SQL exactly as it ran.
	qr := reports.QueryRun{Name: r.Name, Summary: r.Summary, SQL: r.SQL}
	for i, a := range r.Args {
		qr.Params = append(qr.Params, reports.Param{Name: r.ArgNames[i], Value: fmt.Sprint(a)})
	}
	return qr
}

// IsUsage reports whether err is the user's fault (exit code 2).
func IsUsage(err error) bool {
	var ue *sql.UsageError
	return errors.As(err, &ue)
}

// Completeness lists why an answer is not complete, most important first;
// empty means COMPLETE. Each reason is a sentence that says what is missing
// and what to do, for stderr, the Cover's status line and the first
// Findings row. cov is the engine's coverage of the run (the local engine
// counts what it loaded; Athena's counts are unknown, not zero).
func Completeness(cov engine.Coverage, w Window, runs []reports.QueryRun) []string {
	var out []string
	if cov.Counted && cov.LogsFirstDay != "" && cov.EventsNotLoaded == 0 && (cov.LastEvent == "" || cov.LastEvent < Stamp(w.Since)) {
		last, err := time.Parse("2006-01-02", cov.LogsLastDay)
		until := cov.LogsLastDay
		if err == nil {
			until = last.AddDate(0, 0, 1).Format("2006-01-02")
		}
		out = append(out, fmt.Sprintf("no events in the window %s .. %s, but the logs hold events from %s to %s (UTC): to read them, run again with --since %s --until %s",
			Stamp(w.Since), Stamp(w.Until), cov.LogsFirstDay, cov.LogsLastDay, cov.LogsFirstDay, until))
	}
	var failed []string
	for _, q := range runs {
		if q.Err != "" {
			why := strings.TrimPrefix(strings.TrimPrefix(q.Err, "run query "+q.Name+": "), "run "+q.Name+": ")
			failed = append(failed, fmt.Sprintf("query %s FAILED, so its part of the answer is missing: %s", q.Name, why))
		}
	}
	out = append(out, failed...)
	if n := len(cov.Skipped); n > 0 {
		var names []string
		for _, s := range cov.Skipped[:min(n, 5)] {
			names = append(names, s.Path+" ("+s.Reason+")")
		}
		more := ""
		if n > 5 {
			more = fmt.Sprintf(" and %d more", n-5)
		}
		out = append(out, fmt.Sprintf("%s could not be read, so %s events are missing: %s%s (all are listed on the Coverage sheet); copy %s again from the trail bucket and re-run",
			plural(int64(n), "CloudTrail log file", "CloudTrail log files"), map[bool]string{true: "its", false: "their"}[n == 1],
			strings.Join(names, "; "), more, map[bool]string{true: "it", false: "them"}[n == 1]))
	}
	if cov.RecordsWithoutTime > 0 {
		out = append(out, fmt.Sprintf("%s in the files read %s no eventTime, so no window can hold them and they were not examined",
			plural(cov.RecordsWithoutTime, "record", "records"), map[bool]string{true: "has", false: "have"}[cov.RecordsWithoutTime == 1]))
	}
	if cov.RecordsWithoutID > 0 {
		out = append(out, fmt.Sprintf("%s loaded without an eventID or eventName: they are in the results, but cannot be told apart from a second delivery or matched by name",
			plural(cov.RecordsWithoutID, "record was", "records were")))
	}
	return out
}

// derived are the parameters computed from the window and the filters; a
// user never gives them (query --list does not show them).
var derived = map[string]string{
	"day_from":        "--since",
	"day_to":          "--until",
	"ip_range":        "--param ip",
	"ip_lo":           "--param ip",
	"ip_hi":           "--param ip",
	"window_since":    "--since",
	"baseline_days":   "--baseline",
	"baseline_day_to": "--since",
	"window_day_from": "--since",
}

// IsDerived reports whether a catalog parameter is computed, never given.
func IsDerived(name string) bool { _, ok := derived[name]; return ok }

// QueryValues completes the user's --param values for one catalog query:
// since and until from the window (unless given), and every derived
// parameter the query declares: the partition days, the IPv4 range of a
// CIDR given as ip, and for a baseline query (window_since) the baseline
// before the window. has says which parameters the query declares.
func QueryValues(has func(string) bool, given map[string]string, w Window, baseline time.Duration) (map[string]string, error) {
	values := make(map[string]string, len(given)+6)
	for k, v := range given {
		if from, ok := derived[k]; ok && has(k) {
			return nil, &sql.UsageError{Msg: fmt.Sprintf("--param %s is computed from %s; leave it out", k, from)}
		}
		values[k] = v
	}
	since, until := w.Since, w.Until
	if has("window_since") {
		values["window_since"] = Stamp(w.Since)
		since = w.Since.Add(-baseline)
		values["baseline_days"] = strconv.FormatInt(int64(math.Ceil(baseline.Hours()/24)), 10)
	}
	for k, t := range map[string]time.Time{"since": since, "until": until} {
		if _, ok := values[k]; !ok && has(k) {
			values[k] = Stamp(t)
		}
	}
	if s, err := time.Parse(time.RFC3339, values["since"]); err == nil {
		since = s
	}
	if u, err := time.Parse(time.RFC3339, values["until"]); err == nil {
		until = u
	}
	if has("day_from") || has("day_to") {
		values["day_from"], values["day_to"] = Days(since, until)
	}
	if has("baseline_day_to") {
		_, values["baseline_day_to"] = Days(since, w.Since)
	}
	if has("window_day_from") {
		values["window_day_from"], _ = Days(w.Since, w.Until)
	}
	if has("ip_lo") || has("ip_range") {
		ip, rng, err := ipFilter(values["ip"])
		if err != nil {
			return nil, err
		}
		if ip == "" {
			delete(values, "ip")
		} else {
			values["ip"] = ip
		}
		rng.set(values)
	}
	return values, nil
}

// ARNPrefix reads an ARN flag value: an exact ARN, or one ending in "*",
// which asks for every ARN that starts with the rest ("…:assumed-role/
// Developer/*" is every session of the role). It returns the exact value
// or the prefix (one of them empty). The prefix is a parameter like any
// value, matched with starts_with, never pattern text.
func ARNPrefix(flag, v string) (exact, prefix string, err error) {
	p, ok := strings.CutSuffix(v, "*")
	if !ok {
		return v, "", nil
	}
	if strings.ContainsAny(p, "*?,'\"\\") || !strings.HasPrefix(p, "arn:") || len(p) < len("arn:aws:") {
		return "", "", &sql.UsageError{Msg: fmt.Sprintf("%s %q: only one trailing * is understood, after the start of an ARN such as arn:aws:sts::123456789012:assumed-role/Developer/*", flag, v)}
	}
	return "", p, nil
}

// splitPrefix takes the --arn values apart: exact ARNs, and at most one
// prefix (see ARNPrefix).
func splitPrefix(vals []string) (exact []string, prefix string, err error) {
	for _, v := range vals {
		e, p, err := ARNPrefix("--arn", v)
		switch {
		case err != nil:
			return nil, "", err
		case p != "" && prefix != "":
			return nil, "", &sql.UsageError{Msg: "--arn: only one value may end in * (a prefix); give the others whole"}
		case p != "":
			prefix = p
		default:
			exact = append(exact, e)
		}
	}
	return exact, prefix, nil
}

// splitRange takes the --ip values of identity apart: addresses, and at
// most one CIDR range, IPv4 or IPv6 (see ipFilter, which exfil --ip shares).
func splitRange(vals []string) (ips []string, rng ipRange, err error) {
	rng = noRange
	for _, v := range vals {
		if !strings.Contains(v, "/") {
			ips = append(ips, v)
			continue
		}
		_, r, err := ipFilter(v)
		switch {
		case err != nil:
			return nil, noRange, err
		case rng.cidr != "":
			return nil, noRange, &sql.UsageError{Msg: "--ip: only one value may be a range; give the others as addresses"}
		default:
			rng = r
		}
	}
	return ips, rng, nil
}
