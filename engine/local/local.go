// Package local is the embedded engine: it reads CloudTrail files from a
// folder on disk (an org or single-account AWSLogs layout, or a plain folder
// of exports) into a temporary DuckDB database once, exposes them as one
// view named cloudtrail with the Athena table's columns and partition
// columns, and runs catalog queries on it. Files are pruned by the same
// padded day rule as Athena's partition projection, unreadable files are
// reported in Coverage rather than aborting the load, and a set of macros
// makes the Athena (Trino) functions the catalog uses run unchanged.
package local

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/ctathena/ctathena/engine"
)

// View is the name {{management}} and {{data}} render to on this engine.
const View = "cloudtrail"

// table holds the loaded events; the view selects from it.
const table = "events"

// DefaultMemoryLimit is DuckDB's memory limit for queries at first; the
// database is file-backed, so DuckDB spills, and a query that still runs
// out of memory runs again alone with more (see runAlone). Measured on the
// 30-day, 500,000-event tree, second commands over the store, peak RSS:
//
//	start limit   exfil        identity     access   query   hunt
//	160MB         298-307 MiB  323 MiB      220      148     392
//	96MB          248-271      249-267      213      178     345
//	80MB          232-258      240-248
//	64MB          198-251      227-230      203      170     325
//
// At 64MB three of exfil's queries run again (with 128MB then; now with
// retryMemoryLimit), which made it 0.5-0.9 s slower (2.9-3.9 s, against
// 2.4-3.0 s at 160MB); hunt runs one again.
const DefaultMemoryLimit = "64MB"

// retryMemoryLimit is the least a query that ran out of memory runs again
// with (then twice that, and so on). Doubling from 64MB took the
// 10,000,000-event hunt's errors_by_source_ip through 128 and 256 to 512
// MB, where DuckDB then used the 512: peak RSS 1,865 MiB, against 1,573
// MiB from 160 to 320 MB.
const retryMemoryLimit = 160_000_000

// loadMemoryLimit is DuckDB's memory_limit while loading when the caller
// did not set one (see Open).
const loadMemoryLimit = "96MB"

// Options say where the logs are and what part of them an investigation
// needs.
type Options struct {
	// Dir is the --logs folder.
	Dir string
	// From and To bound eventtime (UTC, To exclusive). Zero means unbounded
	// on that side (and no pruning on that side).
	From, To time.Time
	// TempDir is where the temporary database lives ("" = os.TempDir()).
	TempDir string
	// MemoryLimit is DuckDB's memory_limit, fixed (--memory; see ParseSize).
	// "" starts at DefaultMemoryLimit and lets a query that runs out of
	// memory run again with more, up to DefaultCeiling (see memory.go).
	MemoryLimit string
	// Threads is DuckDB's thread count (0 = 2).
	Threads int
	// BatchFiles caps how many files one read_json call reads (0 = 512).
	BatchFiles int
	// Narrow, if set, loads only some events and columns (see Narrow).
	// A store run ignores it: the store holds everything.
	Narrow *Narrow
	// FileRead, if set, is called (from the loader's workers, concurrently)
	// once for every file the engine reads, with the SHA-256 of the file's
	// whole inflated content, or nil when it did not inflate the file itself
	// (too big to stream, or unreadable): the log integrity check uses it
	// instead of reading every file a second time. When the folder holds no
	// CloudTrail-Digest folder at all, no digest lists any file, so the
	// hash could serve nothing: it is not computed and the sum is nil.
	FileRead func(path string, sha256 []byte)
	// Store, if set, is the cache folder of evidence stores: the events
	// are read from (and first ingested into) the store for Dir there
	// (see store.go). "" reads the files as loaded today.
	Store string
	// Progress, if set, is called as a store ingest goes on.
	Progress func(Progress)

	// Measured alternatives, set only by the benchmark.
	format         string
	transcodeAbove int64
	loadThreads    int
	autodetect     bool // read only, with schema inference, to compare
	// startLimit, if set, is the query memory limit to start from (tests).
	startLimit   string
	noSourceHash bool // skip the chain-of-custody hashes, to measure their cost
}

// Narrow and PartitionRule are the seam's (see engine.Narrow): what an
// investigation reads, so the loader loads only that.
type (
	Narrow        = engine.Narrow
	PartitionRule = engine.PartitionRule
)

// active reports whether n drops any event in [from, ...).
func active(n *Narrow, from time.Time) bool {
	return n != nil && (len(n.Events) > 0 || beforeActive(n, from))
}

// beforeActive reports whether n's Before rule drops anything in [from, ...).
func beforeActive(n *Narrow, from time.Time) bool {
	return n != nil && !n.Before.IsZero() && (from.IsZero() || n.Before.After(from))
}

// describe is the coverage line for n, for a window starting at from.
func describe(n *Narrow, from time.Time) string {
	var rules []string
	if len(n.Events) > 0 {
		rules = append(rules, "only "+describeEvents(n.Events)+" events were loaded")
	}
	if beforeActive(n, from) {
		rules = append(rules, "before "+n.Before.UTC().Format(time.RFC3339)+" only "+describeEvents(n.Keep)+" events were loaded")
	}
	line := strings.Join(rules, "; ")
	if n.Why != "" {
		line += " (" + n.Why + ")"
	}
	return line
}

// describeEvents lists eventSource -> eventNames for a coverage line.
func describeEvents(m map[string][]string) string {
	srcs := make([]string, 0, len(m))
	for s := range m {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	var parts []string
	for _, s := range srcs {
		names := append([]string(nil), m[s]...)
		sort.Strings(names)
		if len(names) == 0 {
			parts = append(parts, s)
		} else {
			parts = append(parts, s+" "+strings.Join(names, ", "))
		}
	}
	if len(parts) == 0 {
		return "no"
	}
	return strings.Join(parts, "; ")
}

// Engine is the DuckDB engine. It is safe for concurrent use.
type Engine struct {
	db       *sql.DB
	dir      string
	coverage engine.Coverage
	seq      atomic.Int64
	version  string
	closeMu  sync.Mutex
	closed   bool

	// memMu guards limit, DuckDB's memory_limit now; ceiling is the most
	// it may be raised to, spill where DuckDB spills.
	memMu          sync.Mutex
	limit, ceiling int64
	spill          string
	// runMu lets queries run side by side (read-locked) except one that
	// runs again with more memory (write-locked, see runAlone); running
	// counts those running side by side, started those that ever started.
	runMu            sync.RWMutex
	running, started atomic.Int64
	// slots holds one token per query running: as many as DuckDB has
	// threads. Measured on the 30-day benchmark tree, hunt over the store
	// (four queries in flight from the investigation): with two slots for
	// two threads the peak was 236-239 MiB against 240-258, at the same
	// speed (three runs each, side by side).
	slots chan struct{}
	// release, if set, unlocks the evidence store on Close.
	release func() error
	// stopGiveBack ends this engine's share of startGiveBack.
	stopGiveBack func()
}

var _ engine.Engine = (*Engine)(nil)

// Open discovers the CloudTrail files under o.Dir, prunes them to the
// window, loads them into a temporary database and creates the view.
// A missing folder or one without CloudTrail files returns an error
// wrapping ErrNoLogs.
func Open(ctx context.Context, o Options) (*Engine, error) {
	if o.Store != "" {
		return openStore(ctx, o)
	}
	defer leanGC()()
	// The file list and the loader's buffers are garbage once Open returns;
	// without a collection here the heap goal stays sized by them (GOGC
	// restored to 100 doubles a ~75 MiB live heap on the 30-day benchmark
	// tree) and the investigation's queries and report fill it up before
	// the next collection: 142 MiB of Go heap beside DuckDB at the end of
	// a 30-day exfil, against 12 MiB live. Collecting and returning the
	// pages to the OS costs ~20 ms.
	defer debug.FreeOSMemory()
	d, err := discover(o.Dir, o.From, o.To)
	if err != nil {
		return nil, err
	}
	e, err := openDuckDB(ctx, o, "events.duckdb")
	if err != nil {
		return nil, err
	}
	dir, mem := e.dir, startMemory(o)
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	var cols []string
	if o.Narrow != nil {
		cols = ColumnsIn(o.Narrow.Queries...)
	}
	fields, err := selectFields(cols)
	if err != nil {
		return nil, err
	}
	if _, err := e.db.ExecContext(ctx, tableDDL(table, fields)); err != nil {
		return nil, fmt.Errorf("create events table: %w", err)
	}
	l := &loader{db: e.db, ceiling: e.ceiling, from: o.From, to: o.To, tmp: dir, narrow: o.Narrow, fields: fields, batch: o.BatchFiles, format: o.format, transcodeAbove: o.transcodeAbove, autodetect: o.autodetect, fileRead: o.FileRead, inflateHash: o.FileRead != nil && d.digests, noHash: o.noSourceHash}
	if l.format == "" {
		l.format = "unstructured"
	}
	if l.transcodeAbove == 0 {
		l.transcodeAbove = defaultTranscodeAbove
	}
	// One thread loads 2-3x faster than two on the 2-core machines we
	// measured (BenchmarkLoad; see bench_test.go): parallel JSON readers
	// fight over the small memory_limit. Queries then use Threads.
	loadThreads := o.loadThreads
	if loadThreads <= 0 {
		loadThreads = 1
	}
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", loadThreads)); err != nil {
		return nil, fmt.Errorf("set load threads: %w", err)
	}
	// Load settings, measured on the 30-day benchmark tree (514k events,
	// TestBenchTreeLoad): with the query settings (160MB, DuckDB's default
	// of buffering 5 row groups, FSST string compression) the load peaked at
	// 531 MiB RSS; FSST's compression buffers live outside the buffer pool.
	// 128MB, one row group per flush and no FSST: 317-441 MiB and 10%
	// faster. What grew beyond the buffer pool was mostly freed memory the
	// allocator kept: flushing it from a background thread past 8 MB gave
	// 281-342 MiB. With the Go file list compacted, 96MB instead of 128MB
	// took a 30-day exfil from 300-313 to 269-275 MiB peak at the same
	// speed (three runs each, side by side); 64MB runs out of memory at
	// once (the JSON reader's buffers). A chunk that runs out of memory is
	// retried with more (see ingestChunk). The allocator settings stay for
	// queries.
	loadMem := mem
	if o.MemoryLimit == "" {
		loadMem = loadMemoryLimit
	}
	l.memoryLimit = loadMem
	for _, s := range []string{
		fmt.Sprintf("SET memory_limit = %s", sqlString(loadMem)),
		"SET write_buffer_row_group_count = 1",
		"SET disabled_compression_methods = 'fsst'",
		"SET allocator_background_threads = true",
		"SET allocator_flush_threshold = '8MB'",
	} {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("set load options (%s): %w", s, err)
		}
	}
	var kept []partition
	if beforeActive(o.Narrow, o.From) && o.Narrow.Partitions != nil {
		if kept, err = e.loadByPartition(ctx, l, d, o.Narrow, fields); err != nil {
			return nil, err
		}
	} else if err := l.load(ctx, d.selected); err != nil {
		return nil, err
	}
	for _, s := range []string{
		fmt.Sprintf("SET memory_limit = %s", sqlString(mem)),
		"RESET write_buffer_row_group_count",
		"RESET disabled_compression_methods",
	} {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("set query options (%s): %w", s, err)
		}
	}
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", queryThreads(o))); err != nil {
		return nil, fmt.Errorf("set query threads: %w", err)
	}
	if _, err := e.db.ExecContext(ctx, viewDDL(View, table, fields)); err != nil {
		return nil, fmt.Errorf("create view %s: %w", View, err)
	}
	if err := e.db.QueryRowContext(ctx, "SELECT version()").Scan(&e.version); err != nil {
		return nil, fmt.Errorf("read DuckDB version: %w", err)
	}
	cov, err := e.measure(ctx, o, d, l, kept)
	if err != nil {
		return nil, err
	}
	if cov.FilesRead == 0 && cov.FilesPruned == 0 && len(cov.Skipped) == 0 {
		var others []string
		for _, f := range cov.NotCloudTrail {
			others = append(others, f.Path)
		}
		return nil, noLogsError(o.Dir, others)
	}
	e.coverage = cov
	ok = true
	return e, nil
}

// loadByPartition loads in two phases (see PartitionRule): the files that
// can hold events from Before on, then, of the earlier ones, those in the
// partitions the rule's query selects over the first. It returns those
// partitions, and leaves d.selected the files read and the others counted
// as pruned.
func (e *Engine) loadByPartition(ctx context.Context, l *loader, d *discovery, n *Narrow, fields []field) ([]partition, error) {
	first, later := splitBefore(d.selected, n.Before)
	if err := l.load(ctx, first); err != nil {
		return nil, err
	}
	if _, err := e.db.ExecContext(ctx, viewDDL(View, table, fields)); err != nil {
		return nil, fmt.Errorf("create view %s: %w", View, err)
	}
	kept, err := e.partitions(ctx, n.Partitions.Query)
	if err != nil {
		return nil, err
	}
	if _, err := e.db.ExecContext(ctx, "DROP VIEW "+View); err != nil {
		return nil, fmt.Errorf("drop view %s: %w", View, err)
	}
	want := map[partition]bool{}
	for _, p := range kept {
		want[p] = true
	}
	d.prunedParts = map[partition]bool{}
	read := first
	for _, f := range later {
		if want[partition{account: f.dir.account, region: f.dir.region}] {
			read = append(read, f)
			continue
		}
		d.pruned++
		d.partitionPruned++
		d.prunedParts[partition{f.dir.account, f.dir.region, f.dir.day}] = true
	}
	if err := l.load(ctx, read[len(first):]); err != nil {
		return nil, err
	}
	d.selected = read
	return kept, nil
}

// splitBefore splits files into those that can hold events at or after
// before (layout folders from the day before it on, and every plain file)
// and the layout files that cannot: those in folders delivered earlier (a
// folder is named for the delivery day, and an event is delivered after
// it happens), and those named as delivered before it (see discover).
func splitBefore(files []sourceFile, before time.Time) (first, later []sourceFile) {
	lo, _ := dayWindow(before, time.Time{})
	cutoff := before.UTC().Add(-deliveryMargin).Format("20060102T1504")
	for _, f := range files {
		if !f.dir.layout {
			first = append(first, f)
			continue
		}
		if at, ok := deliveredAt(f.name); f.dir.day < lo || ok && at < cutoff {
			later = append(later, f)
		} else {
			first = append(first, f)
		}
	}
	return first, later
}

// partitions runs a PartitionRule's query and returns the distinct
// (account, region) pairs of its first two columns, sorted.
func (e *Engine) partitions(ctx context.Context, q engine.Query) ([]partition, error) {
	rows, err := e.db.QueryContext(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("select partitions (%s): %w", q.Name, err)
	}
	defer rows.Close()
	seen := map[partition]bool{}
	var out []partition
	for rows.Next() {
		var a, r sql.NullString
		if err := rows.Scan(&a, &r); err != nil {
			return nil, fmt.Errorf("select partitions (%s): %w", q.Name, err)
		}
		p := partition{account: a.String, region: r.String}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select partitions (%s): %w", q.Name, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].account != out[j].account {
			return out[i].account < out[j].account
		}
		return out[i].region < out[j].region
	})
	return out, nil
}

// measure builds Coverage from the discovery and the loaded table.
func (e *Engine) measure(ctx context.Context, o Options, d *discovery, l *loader, kept []partition) (engine.Coverage, error) {
	abs, _ := filepath.Abs(o.Dir)
	cov := engine.Coverage{
		Sources:     []string{abs},
		FilesPruned: d.pruned,
		Skipped:     l.skipped,
	}
	if cov.Skipped == nil {
		cov.Skipped = []engine.SkippedFile{}
	}
	cov.Counted = true
	for _, p := range d.notCT {
		cov.NotCloudTrail = append(cov.NotCloudTrail, engine.SkippedFile{Path: p, Reason: "not a CloudTrail log (neither its name nor its content)"})
	}
	cov.NotCloudTrail = append(cov.NotCloudTrail, l.notCT...)
	cov.RecordsWithoutTime = l.stats.noTime
	first, last := d.firstDay, d.lastDay
	if f := l.stats.first; f != "" {
		if day := strings.ReplaceAll(f[:10], "-", "/"); first == "" || day < first {
			first = day
		}
		if day := strings.ReplaceAll(l.stats.last[:10], "-", "/"); day > last {
			last = day
		}
	}
	cov.LogsFirstDay, cov.LogsLastDay = strings.ReplaceAll(first, "/", "-"), strings.ReplaceAll(last, "/", "-")
	if d.deliveredEarly > 0 {
		cov.Sources = append(cov.Sources, fmt.Sprintf("%d files named as delivered before %s were not opened (a CloudTrail file holds only events from before its delivery)",
			d.deliveredEarly, o.From.UTC().Add(-deliveryMargin).Format(time.RFC3339)))
	}
	if active(o.Narrow, o.From) {
		cov.Sources = append(cov.Sources, describe(o.Narrow, o.From))
	}
	if len(l.fields) < len(recordFields) {
		names := make([]string, len(l.fields))
		for i, f := range l.fields {
			names[i] = strings.ToLower(f.json)
		}
		cov.Sources = append(cov.Sources, "only the columns the queries name were loaded: "+strings.Join(names, ", "))
	}
	if beforeActive(o.Narrow, o.From) && o.Narrow.Partitions != nil {
		names := make([]string, 0, len(kept))
		for _, p := range kept {
			names = append(names, p.account+"/"+p.region)
		}
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none"
		}
		line := fmt.Sprintf("files delivered before %s (by folder day or file name) were read only in the account/region partitions holding %s: %s (%d files pruned)",
			o.Narrow.Before.UTC().Add(-deliveryMargin).Format(time.RFC3339), o.Narrow.Partitions.Why, list, d.partitionPruned)
		cov.Sources = append(cov.Sources, line)
	}
	cov.Files = custody(d.selected, nil, func(i int) (int64, *[32]byte) {
		s, ok := l.sums[d.selected[i].id]
		if !ok {
			return 0, nil
		}
		return s.size, &s.sha
	})
	accounts, regions, days := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range d.selected {
		if l.skippedIDs[f.id] {
			continue
		}
		cov.FilesRead++
		if f.dir.layout {
			accounts[f.dir.account], regions[f.dir.region], days[f.dir.day] = true, true, true
		}
	}
	// Plain files carry their partitions in each event.
	if err := e.partitionsOf(ctx, `SELECT DISTINCT account, region, day FROM `+table+` WHERE src IN (SELECT unnest(?::INTEGER[]))`,
		plainIDs(d.selected), accounts, regions, days); err != nil {
		return cov, err
	}
	// Plain files' events that narrowing left out still name their
	// partitions, and so do the files of baseline partitions not needed.
	for p := range d.prunedParts {
		accounts[p.account], regions[p.region], days[p.day] = true, true, true
	}
	for p := range l.stats.parts {
		if p.account != "" {
			accounts[p.account] = true
		}
		if p.region != "" {
			regions[p.region] = true
		}
		if p.day != "" {
			days[p.day] = true
		}
	}
	cov.EventsNotLoaded = l.stats.narrowed
	var firstEv, lastEv sql.NullString
	if err := e.db.QueryRowContext(ctx, `SELECT count(*), count(eventid) - count(DISTINCT eventid),
		count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL), min(eventtime), max(eventtime) FROM `+table).Scan(
		&cov.Events, &cov.DuplicateEvents, &cov.RecordsWithoutID, &firstEv, &lastEv); err != nil {
		return cov, fmt.Errorf("count loaded events: %w", err)
	}
	cov.FirstEvent, cov.LastEvent = firstEv.String, lastEv.String
	cov.Accounts, cov.Regions, cov.Days = sortedKeys(accounts), sortedKeys(regions), sortedKeys(days)
	cov.MissingDays = []string{}
	for _, day := range windowDays(o.From, o.To) {
		if !days[day] {
			cov.MissingDays = append(cov.MissingDays, day)
		}
	}
	return cov, nil
}

func plainIDs(fs []sourceFile) []int32 {
	out := []int32{}
	for _, f := range fs {
		if !f.dir.layout {
			out = append(out, f.id)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "local" }

// Version implements engine.Engine, e.g. "DuckDB v1.5.6".
func (e *Engine) Version(ctx context.Context) string { return "DuckDB " + e.version }

// Coverage implements engine.Engine. The load happens in Open, so it is
// valid at once.
func (e *Engine) Coverage(ctx context.Context) (engine.Coverage, error) {
	c := e.coverage
	c.Sources = append([]string(nil), c.Sources...)
	c.Accounts = append([]string(nil), c.Accounts...)
	c.Regions = append([]string(nil), c.Regions...)
	c.Days = append([]string(nil), c.Days...)
	c.MissingDays = append([]string(nil), c.MissingDays...)
	c.Skipped = append([]engine.SkippedFile(nil), c.Skipped...)
	return c, nil
}

// Close removes the temporary database. Running queries are not cancelled
// (cancel their contexts); database/sql waits for them.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	if e.db != nil {
		// The database is deleted below: a checkpoint on close would only
		// write it out once more (with a memory peak at the end of a run).
		_, _ = e.db.Exec("PRAGMA disable_checkpoint_on_shutdown")
		if err := e.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close DuckDB: %w", err))
		}
	}
	if err := os.RemoveAll(e.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove temporary database %s: %w", e.dir, err))
	}
	if e.release != nil {
		errs = append(errs, e.release())
	}
	if e.stopGiveBack != nil {
		e.stopGiveBack()
	}
	return errors.Join(errs...)
}

// Run implements engine.Engine.
func (e *Engine) Run(ctx context.Context, q engine.Query) (*engine.Result, error) {
	res := &engine.Result{Stats: engine.Stats{
		ExecutionID: fmt.Sprintf("local-%d", e.seq.Add(1)),
		Submitted:   time.Now().UTC(),
	}}
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		res.Stats.State = "CANCELLED"
		return res, fmt.Errorf("run query %s: %w", q.Name, ctx.Err())
	}
	defer func() { <-e.slots }()
	e.runMu.RLock()
	// Crowded: another query was running when this one started, or
	// started while it ran.
	beside := e.running.Add(1) > 1
	started := e.started.Add(1)
	err := e.run(ctx, q, res)
	e.running.Add(-1)
	crowded := beside || e.started.Load() != started
	e.runMu.RUnlock()
	if isOOM(err) && ctx.Err() == nil {
		err = e.runAlone(ctx, q, res, err, crowded)
	}
	res.Stats.Completed = time.Now().UTC()
	res.Stats.Elapsed = res.Stats.Completed.Sub(res.Stats.Submitted)
	if err != nil {
		res.Stats.State = "FAILED"
		if ctx.Err() != nil {
			return res, fmt.Errorf("run query %s: %w", q.Name, ctx.Err())
		}
		return res, fmt.Errorf("run query %s: %w", q.Name, e.explain(err))
	}
	res.Stats.State = "SUCCEEDED"
	return res, nil
}

// runAlone runs again, by itself, a query that ran out of memory: first
// with the same limit if other queries were running beside it (crowded),
// then with twice the limit each time (at least retryMemoryLimit), up to
// the ceiling, and puts the limit back where it started.
//
// On the 30-day benchmark tree no query needs more than the 64MB start
// alone; the one to four that ran out of memory in a hunt did so beside
// others, and raising the limit for them let the buffer pool grow to 160
// MB: hunt peaked at 264-291 MiB with such a retry, 240-250 without. A
// raised limit that stayed for the rest of a run let the buffer pool grow
// into it for every later query: one query of a 30-day hunt (202,641
// Sigma matches grouped with all their columns) raised it from 160 to 320
// MB, and the hunt peaked at 509 MiB RSS. Running alone, the query has the
// memory to itself, and the others cannot fail for the memory it takes.
func (e *Engine) runAlone(ctx context.Context, q engine.Query, res *engine.Result, err error, crowded bool) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if crowded {
		*res = engine.Result{Stats: res.Stats}
		if err = e.run(ctx, q, res); !isOOM(err) || ctx.Err() != nil {
			return err
		}
	}
	e.memMu.Lock()
	defer e.memMu.Unlock()
	start := e.limit
	defer func() {
		if e.limit != start {
			if _, serr := e.db.Exec("SET memory_limit = " + sqlString(fmt.Sprintf("%d bytes", start))); serr == nil {
				e.limit = start
			}
		}
	}()
	for isOOM(err) && ctx.Err() == nil && e.limit < e.ceiling {
		next := moreMemory(e.limit, retryMemoryLimit, e.ceiling)
		if _, serr := e.db.Exec("SET memory_limit = " + sqlString(fmt.Sprintf("%d bytes", next))); serr != nil {
			return err
		}
		e.limit = next
		*res = engine.Result{Stats: res.Stats}
		err = e.run(ctx, q, res)
	}
	return err
}

func (e *Engine) run(ctx context.Context, q engine.Query, res *engine.Result) error {
	for i, a := range q.Args {
		switch a.(type) {
		case string, int64:
		default:
			return fmt.Errorf("argument %d is %T; only string and int64 are allowed", i+1, a)
		}
	}
	rows, err := e.db.QueryContext(ctx, q.SQL, q.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("read column types: %w", err)
	}
	res.Columns = make([]engine.Column, len(cts))
	for i, ct := range cts {
		res.Columns[i] = engine.Column{Name: ct.Name(), Type: logicalType(ct.DatabaseTypeName()), EngineType: ct.DatabaseTypeName()}
	}
	res.Rows = [][]any{}
	raw := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	in := newInterner(len(raw))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read row %d: %w", len(res.Rows)+1, err)
		}
		row := make([]any, len(raw))
		in.newRow()
		for i, v := range raw {
			switch x := v.(type) {
			case string:
				row[i] = in.value(i, x)
				continue
			case time.Time:
				row[i] = in.time(x.UTC()) // convert does not see times
				continue
			}
			cv, err := convert(v, res.Columns[i].Type)
			if err != nil {
				return fmt.Errorf("read row %d column %s: %w", len(res.Rows)+1, res.Columns[i].Name, err)
			}
			row[i] = cv
		}
		res.Rows = append(res.Rows, row)
		if len(res.Rows)%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// logicalType maps a DuckDB type name to the engine's column type. Nested
// and exotic types become strings (their JSON text).
func logicalType(t string) engine.Type {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return engine.Integer
	case "FLOAT", "DOUBLE", "REAL":
		return engine.Float
	case "BOOLEAN":
		return engine.Boolean
	case "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return engine.Timestamp
	}
	if strings.HasPrefix(strings.ToUpper(t), "DECIMAL") {
		return engine.Float
	}
	return engine.String
}

// convert turns a scanned DuckDB value into one of the engine's value types.
func convert(v any, t engine.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return x, nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("value %d does not fit in int64", x)
		}
		return int64(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return nil, fmt.Errorf("value %s does not fit in int64", x)
		}
		return x.Int64(), nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case duckdb.Decimal:
		return x.Float64(), nil
	case []byte:
		return string(x), nil
	}
	if t != engine.String {
		return nil, fmt.Errorf("unexpected %T for a %s column", v, t)
	}
	switch v.(type) {
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Map:
		return nestedText(v), nil
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String(), nil
	}
	if dv, ok := v.(driver.Valuer); ok {
		if val, err := dv.Value(); err == nil {
			if s, ok := val.(string); ok {
				return s, nil
			}
		}
	}
	return fmt.Sprint(v), nil
}

// plain turns nested driver values into what encoding/json renders
// faithfully.
func plain(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case duckdb.OrderedMap:
		out := make(map[string]any, x.Len())
		vals := x.Values()
		for i, k := range x.Keys() {
			out[fmt.Sprint(k)] = plain(vals[i])
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = plain(e)
		}
		return out
	case duckdb.Decimal:
		return x.Float64()
	case *big.Int:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	return v
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// loadGCPercent is the Go GC target while Open runs. The loader's live heap
// is the list of selected files (47 MB for 149,182 paths); with the default
// GOGC=100 the heap grew to twice that beside DuckDB's own memory. The
// workers reuse their buffers, so collecting more often costs little.
// Measured on the 30-day benchmark tree: Go heap 115 -> 95 MiB.
const loadGCPercent = 25

var gcMu sync.Mutex
var gcOpens int
var gcSaved int

// leanGC lowers the GC target while at least one Open is loading and
// returns the function that restores it.
func leanGC() func() {
	gcMu.Lock()
	if gcOpens == 0 {
		gcSaved = debug.SetGCPercent(loadGCPercent)
		if gcSaved >= 0 && gcSaved < loadGCPercent {
			debug.SetGCPercent(gcSaved)
		}
	}
	gcOpens++
	gcMu.Unlock()
	return func() {
		gcMu.Lock()
		gcOpens--
		if gcOpens == 0 {
			debug.SetGCPercent(gcSaved)
		}
		gcMu.Unlock()
	}
}

// partitionsOf adds the accounts, regions and days that query (one row
// per distinct account, region, day; args bound to its ?) returns.
func (e *Engine) partitionsOf(ctx context.Context, query string, args any, accounts, regions, days map[string]bool) error {
	rows, err := e.db.QueryContext(ctx, query, args)
	if err != nil {
		return fmt.Errorf("measure coverage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, r, dd sql.NullString
		if err := rows.Scan(&a, &r, &dd); err != nil {
			return fmt.Errorf("measure coverage: %w", err)
		}
		for _, x := range []struct {
			v sql.NullString
			m map[string]bool
		}{{a, accounts}, {r, regions}, {dd, days}} {
			if x.v.Valid {
				x.m[x.v.String] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("measure coverage: %w", err)
	}
	return nil
}

// openDuckDB opens a DuckDB database file in a new temporary folder under
// o.TempDir with the engine's settings: the memory limit and how far a
// query that runs out of memory may raise it (--memory fixes both),
// spilling into the folder, the threads, no network, and the
// compatibility macros. Both a load and a store run start here.
func openDuckDB(ctx context.Context, o Options, file string) (*Engine, error) {
	dir, err := os.MkdirTemp(tempRoot(o), "ctathena-duckdb-")
	if err != nil {
		return nil, fmt.Errorf("create temporary database folder: %w", err)
	}
	e := &Engine{dir: dir, stopGiveBack: startGiveBack()}
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	mem := startMemory(o)
	if o.MemoryLimit == "" {
		e.ceiling = DefaultCeiling()
	}
	if e.limit, err = ParseSize(mem); err != nil {
		return nil, fmt.Errorf("memory limit: %w", err)
	}
	if o.MemoryLimit != "" {
		e.ceiling = e.limit
	}
	e.spill = filepath.Join(dir, "spill")
	threads := queryThreads(o)
	e.slots = make(chan struct{}, threads)
	q := url.Values{}
	q.Set("memory_limit", mem)
	q.Set("threads", fmt.Sprint(threads))
	q.Set("temp_directory", e.spill)
	// The engine must never reach the network (evidence machines are often
	// offline); the JSON reader is built in. Without the ICU extension
	// DuckDB keeps TIMESTAMPTZ in UTC, which is what Athena reports.
	q.Set("autoinstall_known_extensions", "false")
	// Insertion order is meaningless for events and keeping it costs memory
	// on large loads.
	q.Set("preserve_insertion_order", "false")
	connector, err := duckdb.NewConnector(filepath.Join(dir, file)+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("open temporary DuckDB database in %s: %w", dir, err)
	}
	e.db = sql.OpenDB(connector)
	if err := registerFunctions(ctx, e.db); err != nil {
		return nil, err
	}
	for _, s := range macroStatements() {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("create compatibility macro (%s): %w", firstLine(s), err)
		}
	}
	ok = true
	return e, nil
}

// startMemory is DuckDB's memory limit when a database opens: --memory if
// given, else DefaultMemoryLimit (raised on demand up to DefaultCeiling).
func startMemory(o Options) string {
	switch {
	case o.MemoryLimit != "":
		return o.MemoryLimit
	case o.startLimit != "":
		return o.startLimit
	}
	return DefaultMemoryLimit
}

// queryThreads is how many threads DuckDB answers queries with.
func queryThreads(o Options) int {
	if o.Threads <= 0 {
		return 2
	}
	return o.Threads
}
