package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/athena"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/tables"
)

// athenaScopes constrains every query on Athena to the partitions that
// exist (tables/limits.go): each table reference becomes scans of the
// account/region folders the S3 listing shows (the estimator's listing,
// made once), and exfil's data queries read only the folders that hold the
// window's reads of the bucket(s), found first by exfil/read_partitions.
type athenaScopes struct {
	est    *athena.Estimator
	tables map[string]string // role -> db.table
	cat    *sql.Catalog
	// eng runs exfil/read_partitions; nil in a dry pass, which runs
	// nothing (exfil is then priced over every folder).
	eng *athena.Engine

	mu      sync.Mutex
	folders map[string]sql.Scope // quoted table -> its folders
	reads   map[string]*exfilReads
	runs    []reports.QueryRun // queries run to scope the others
	notes   []string
}

type exfilReads struct {
	done  chan struct{}
	pairs []sql.Pair // nil: read every folder
}

func newAthenaScopes(est *athena.Estimator, tbl map[string]string, eng *athena.Engine) (*athenaScopes, error) {
	cat, err := sql.Default()
	if err != nil {
		return nil, err
	}
	return &athenaScopes{est: est, tables: tbl, cat: cat, eng: eng, folders: map[string]sql.Scope{}, reads: map[string]*exfilReads{}}, nil
}

// exfilNarrowed are exfil's queries over the data table that read only the
// bucket owners' folders: every one but bucket_changes (management events)
// and read_partitions (which finds the folders).
func exfilNarrowed(name string) bool {
	return strings.HasPrefix(name, "exfil/") && name != "exfil/bucket_changes" && name != "exfil/read_partitions"
}

// Scopes implements investigate.Env.Scopes.
func (s *athenaScopes) Scopes(ctx context.Context, name string, values map[string]string) (map[string]sql.Scope, error) {
	out := map[string]sql.Scope{}
	for role, id := range s.tables {
		sc, err := s.tableScope(ctx, id)
		if err != nil {
			return nil, err
		}
		out[role] = sc
	}
	if exfilNarrowed(name) {
		if d, ok := out[sql.TableData]; ok {
			pairs, err := s.exfilPairs(ctx, values, d)
			if err != nil {
				return nil, err
			}
			if pairs != nil {
				d.Pairs = pairs
				out[sql.TableData] = d
			}
		}
	}
	return out, nil
}

// tableScope lists a table's account/region folders once.
func (s *athenaScopes) tableScope(ctx context.Context, id string) (sql.Scope, error) {
	quoted, err := sql.QuoteTable(id)
	if err != nil {
		return sql.Scope{}, err
	}
	s.mu.Lock()
	sc, ok := s.folders[quoted]
	s.mu.Unlock()
	if ok {
		return sc, nil
	}
	folders, where, err := s.est.Folders(ctx, quoted)
	if err != nil {
		return sql.Scope{}, fmt.Errorf("list the partition folders of %s: %w", id, err)
	}
	if len(folders) == 0 {
		return sql.Scope{}, usageErr("table %s: the S3 listing of %s shows no CloudTrail folder (<account>/CloudTrail/<region>/) of the accounts and regions set up, so there is nothing to query and no answer would mean anything: check the trail bucket and prefix, or run 'ctathena setup' again", id, where)
	}
	sc = sql.Scope{Budget: tables.ScanBudget, Where: where, Pairs: pairsOf(folders)}
	accts, regs := map[string]bool{}, map[string]bool{}
	for _, p := range sc.Pairs {
		accts[p.Account], regs[p.Region] = true, true
	}
	s.mu.Lock()
	s.folders[quoted] = sc
	s.notes = append(s.notes, fmt.Sprintf("On Athena every query read only the account/region folders the S3 listing of %s shows: %d folders of %d accounts in %d regions, named in each query's parameters (account IN (…), region IN (…)), in scans of at most %d partitions each (tables/limits.go).",
		where, len(sc.Pairs), len(accts), len(regs), tables.ScanBudget))
	s.mu.Unlock()
	return sc, nil
}

func pairsOf(folders []string) []sql.Pair {
	out := make([]sql.Pair, 0, len(folders))
	for _, f := range folders {
		a, r, _ := strings.Cut(f, "/")
		out = append(out, sql.Pair{Account: a, Region: r})
	}
	return out
}

// exfilPairs are the folders holding the window's reads of the bucket(s),
// from exfil/read_partitions run once per bucket list and window; nil
// means every folder (a dry pass, a failure, or no read found).
func (s *athenaScopes) exfilPairs(ctx context.Context, values map[string]string, data sql.Scope) ([]sql.Pair, error) {
	since := values["window_since"]
	if since == "" {
		since = values["since"]
	}
	v := map[string]string{"buckets": values["buckets"], "since": since, "until": values["until"]}
	key := v["buckets"] + "|" + v["since"] + "|" + v["until"]
	s.mu.Lock()
	r, ok := s.reads[key]
	if !ok {
		r = &exfilReads{done: make(chan struct{})}
		s.reads[key] = r
	}
	s.mu.Unlock()
	if ok {
		select {
		case <-r.done:
			return r.pairs, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(r.done)
	pairs, err := s.readPartitions(ctx, v, data)
	r.pairs = pairs
	return pairs, err
}

// readPartitions runs exfil/read_partitions over every folder of the data
// table and returns the folders it names that exist; nil for every folder.
func (s *athenaScopes) readPartitions(ctx context.Context, v map[string]string, data sql.Scope) ([]sql.Pair, error) {
	note := func(format string, a ...any) {
		s.mu.Lock()
		s.notes = append(s.notes, fmt.Sprintf(format, a...))
		s.mu.Unlock()
	}
	q := s.cat.MustGet("exfil/read_partitions")
	has := func(n string) bool { _, ok := q.Param(n); return ok }
	w, err := investigate.QueryValues(has, v, investigate.Window{}, 0)
	if err != nil {
		return nil, err
	}
	rq, err := q.RenderScoped(s.tables, w, map[string]sql.Scope{sql.TableData: data})
	if err != nil {
		return nil, err
	}
	run := reports.QueryRun{Name: rq.Name, Summary: rq.Summary, SQL: rq.SQL}
	for i, a := range rq.Args {
		run.Params = append(run.Params, reports.Param{Name: rq.ArgNames[i], Value: fmt.Sprint(a)})
	}
	if s.eng == nil {
		// A dry pass prints and prices it with the rest, and the data
		// queries over every folder (an upper bound).
		run.Stats.State = "NOT RUN (dry run)"
		s.mu.Lock()
		s.runs = append(s.runs, run)
		s.mu.Unlock()
		note("On Athena, exfil first runs exfil/read_partitions over the window and then reads the bucket(s)' object reads only in the account/region folders it finds (S3 delivers a bucket's data events to its owner's account in its region); this plan prices its data queries over all %d folders.", len(data.Pairs))
		return nil, nil
	}
	res, err := s.eng.Run(ctx, engine.Query{Name: rq.Name, SQL: rq.SQL, Args: rq.Args})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		note("exfil/read_partitions failed (%v), so exfil's data queries read all %d account/region folders instead of only the bucket owners'.", err, len(data.Pairs))
		return nil, nil
	}
	run.Columns, run.Rows, run.Stats = res.Columns, res.Rows, res.Stats
	s.mu.Lock()
	s.runs = append(s.runs, run)
	s.mu.Unlock()
	exists := map[sql.Pair]bool{}
	for _, p := range data.Pairs {
		exists[p] = true
	}
	var pairs []sql.Pair
	var names []string
	for _, row := range res.Rows {
		if len(row) < 2 {
			continue
		}
		p := sql.Pair{Account: fmt.Sprint(row[0]), Region: fmt.Sprint(row[1])}
		if exists[p] && !slices.Contains(pairs, p) {
			pairs = append(pairs, p)
			names = append(names, p.Account+"/"+p.Region)
		}
	}
	if len(pairs) == 0 {
		note("exfil/read_partitions found no read of %s in the window in any of the %d account/region folders, so exfil's data queries read all of them.", v["buckets"], len(data.Pairs))
		return nil, nil
	}
	shown := names
	if len(shown) > 20 {
		shown = append(slices.Clone(shown[:20]), fmt.Sprintf("and %d more", len(names)-20))
	}
	note("exfil's queries of object reads (all but exfil/bucket_changes) read only the %d of %d account/region folders where exfil/read_partitions found the window's reads of %s, since S3 delivers a bucket's data events to its owner's account in its region: %s.",
		len(pairs), len(data.Pairs), v["buckets"], strings.Join(shown, ", "))
	return pairs, nil
}

// finish puts the queries run to scope the others first in the outcome
// and their notes on it (stderr, and the report's notes).
func (s *athenaScopes) finish(out *investigate.Outcome) {
	if s == nil || out == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out.Queries = append(slices.Clone(s.runs), out.Queries...)
	out.Notes = append(out.Notes, s.notes...)
	if s.eng != nil {
		for _, n := range s.notes {
			s.eng.AddSource(n)
		}
	}
	s.runs, s.notes = nil, nil
}

// fn is the Env.Scopes hook; nil (tables read whole) for a nil receiver.
func (s *athenaScopes) fn() func(context.Context, string, map[string]string) (map[string]sql.Scope, error) {
	if s == nil {
		return nil
	}
	return s.Scopes
}

// dryScopes scope a dry pass on Athena as the run will be, from the same
// listing; nil (tables read whole) locally or when the listing cannot be
// made (the estimate says why).
func (g *globals) dryScopes(ctx context.Context) *athenaScopes {
	if g.useLocal() {
		return nil
	}
	c, err := g.loadConfig()
	if err != nil {
		return nil
	}
	tbl, err := configTables(c)
	if err != nil {
		return nil
	}
	est, err := g.estimator(ctx, c)
	if err != nil {
		return nil
	}
	s, err := newAthenaScopes(est, tbl, nil)
	if err != nil {
		return nil
	}
	return s
}

// spanFolders bounds the account/region folders whose year, month and day
// folders are listed to tell where the logs' days fall.
const spanFolders = 8

// windowCoverage makes an empty window on Athena an incomplete answer, as
// the local engine's is (investigate.Completeness): when the listing of
// the window's partitions holds no log file in any table the queries read,
// but the tables hold files on other days, the coverage says which days
// those are (and that it counted: no file, so no event).
func (s *athenaScopes) windowCoverage(ctx context.Context, cov *engine.Coverage, w investigate.Window) {
	if s == nil || s.eng == nil || cov == nil || w.Since.IsZero() {
		return
	}
	from, to := investigate.Days(w.Since, w.Until)
	s.mu.Lock()
	var tbls []string
	for t := range s.folders {
		tbls = append(tbls, t)
	}
	s.mu.Unlock()
	slices.Sort(tbls)
	if len(tbls) == 0 {
		return
	}
	for _, t := range tbls {
		est, err := s.est.Query(ctx, engine.Query{Name: "window", SQL: t, Args: []any{from, to}})
		if err != nil || est.Objects > 0 {
			return
		}
	}
	var first, last string
	listed, of := 0, 0
	for _, t := range tbls {
		f, l, n, m, err := s.est.Span(ctx, t, spanFolders)
		if err != nil {
			return
		}
		listed, of = listed+n, of+m
		if f != "" && (first == "" || f < first) {
			first = f
		}
		if l > last {
			last = l
		}
	}
	if first == "" {
		return
	}
	cov.Counted = true
	cov.FilesRead, cov.Events = 0, 0
	cov.LogsFirstDay = strings.ReplaceAll(first, "/", "-")
	cov.LogsLastDay = strings.ReplaceAll(last, "/", "-")
	line := fmt.Sprintf("The S3 listing shows no log file in the window's partitions (days %s to %s) of any account/region folder; the logs' days (%s to %s) were read from the year, month and day folder names of %d of the %d folders.",
		from, to, first, last, listed, of)
	cov.Sources = append(cov.Sources, line)
	s.eng.AddSource(line)
}
