package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// openStoreQuery opens the engine over a store: a temporary database (for
// the macros, the window's file list and spilling) to which readHeld
// attaches the store read-only, so commands that do not ingest read it
// side by side.
func openStoreQuery(ctx context.Context, o Options, sdir string) (*Engine, error) {
	e, err := openDuckDB(ctx, o, "query.duckdb")
	if err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", sdir, err)
	}
	if err := e.db.QueryRowContext(ctx, "SELECT version()").Scan(&e.version); err != nil {
		e.Close()
		return nil, fmt.Errorf("read DuckDB version: %w", err)
	}
	return e, nil
}

// releaseMemory has DuckDB give back what it holds from the open (the
// files table's blocks, those the coverage counts read: evictable, so it
// keeps them until its limit is reached) by lowering its limit for a
// moment. Measured on the 30-day benchmark tree: reading the files table
// left 68 MiB resident that this gives back.
func (e *Engine) releaseMemory(ctx context.Context) error {
	e.memMu.Lock()
	defer e.memMu.Unlock()
	// Where DuckDB cannot evict enough, it keeps its limit: no harm.
	_, _ = e.db.ExecContext(ctx, "SET memory_limit = '8MB'")
	if _, err := e.db.ExecContext(ctx, "SET memory_limit = "+sqlString(fmt.Sprintf("%d bytes", e.limit))); err != nil {
		return fmt.Errorf("set DuckDB's memory limit: %w", err)
	}
	return nil
}

// windowFiles is discover's selection for a window, applied to the whole
// folder's file list (the same rules, see discover): layout files outside
// the padded days and files named as delivered before the window are
// pruned.
func windowFiles(all []sourceFile, from, to time.Time) (sel []int, pruned, early int) {
	lo, hi := dayWindow(from, to)
	cutoff := ""
	if !from.IsZero() {
		cutoff = from.UTC().Add(-deliveryMargin).Format("20060102T1504")
	}
	for i := range all {
		f := &all[i]
		if f.dir.layout && (lo != "" && f.dir.day < lo || hi != "" && f.dir.day > hi) {
			pruned++
			continue
		}
		if cutoff != "" {
			if at, ok := deliveredAt(f.name); ok && at < cutoff {
				pruned++
				early++
				continue
			}
		}
		sel = append(sel, i)
	}
	return sel, pruned, early
}

// maxStoreFilesListed is how many files Coverage lists one by one: the
// 30-day benchmark tree's 149,182 made a 55 MB manifest. Beyond it the
// list's hash stands for them (the store's files table holds each).
const maxStoreFilesListed = 5000

// storeCoverage creates the view over the window's files and events, and
// measures Coverage the way measure does for a load.
func (e *Engine) storeCoverage(ctx context.Context, o Options, d *discovery, h *heldFiles, sdir string, rep *storeReport) (engine.Coverage, error) {
	abs, _ := filepath.Abs(o.Dir)
	sel, pruned, early := windowFiles(d.selected, o.From, o.To)
	cov := engine.Coverage{Sources: []string{abs}, FilesPruned: pruned, Skipped: []engine.SkippedFile{}}
	if early > 0 {
		cov.Sources = append(cov.Sources, fmt.Sprintf("%d files named as delivered before %s were not opened (a CloudTrail file holds only events from before its delivery)",
			early, o.From.UTC().Add(-deliveryMargin).Format(time.RFC3339)))
	}
	st := &engine.StoreCoverage{Path: filepath.Join(sdir, storeFile), Held: h.held,
		FilesAdded: len(rep.added), Reingested: rep.reingested, Removed: rep.removed}
	if len(rep.added) > maxStoreFilesListed {
		// A first ingest's 149,182 paths were 21.7 MB of a 65 MB manifest.
		sorted := slices.Clone(rep.added)
		sort.Slice(sorted, func(i, j int) bool { return relLess(sorted[i], sorted[j]) })
		sum := sha256.New()
		var line []byte
		for _, f := range sorted {
			line = append(f.appendRel(line[:0]), '\n')
			sum.Write(line)
		}
		st.AddedSHA256 = hex.EncodeToString(sum.Sum(nil))
	} else {
		for _, f := range rep.added {
			st.Added = append(st.Added, f.rel())
		}
	}
	if st.Added == nil {
		st.Added = []string{}
	}
	if st.Reingested == nil {
		st.Reingested = []string{}
	}
	if st.Removed == nil {
		st.Removed = []string{}
	}
	list := sha256.New()
	var line []byte
	accounts, regions, days := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var ids, plain []int32
	// The chain of custody: the store hashed each file's bytes as it read
	// them, as a load from the files does (Coverage.Files: every file read
	// whole, by path relative to the folder, a file that turned out
	// unreadable or not CloudTrail included).
	listed := make([]int, 0, len(sel))
	for _, i := range sel {
		f, s := &d.selected[i], &h.files[i]
		if s.id < 0 {
			// Listed by the walk but not ingested (it vanished between
			// the walk and the ingest): reported, never silently missing.
			cov.Skipped = append(cov.Skipped, engine.SkippedFile{Path: f.path(), Reason: "not in the evidence store (changed while it was read)"})
			continue
		}
		// One "<sha256>  <path>" line per file (sha256sum's format).
		line = line[:0]
		if s.hasSum {
			line = hex.AppendEncode(line, s.sum[:])
		}
		line = append(f.appendRel(append(line, "  "...)), '\n')
		list.Write(line)
		st.FilesRead++
		if len(sel) <= maxStoreFilesListed {
			sf := engine.StoreFile{Path: f.rel(), Size: s.size, ModTime: time.Unix(0, s.mtime).UTC(), Events: s.events, Skipped: s.skipped}
			if s.hasSum {
				sf.SHA256 = hex.EncodeToString(s.sum[:])
			}
			st.Files = append(st.Files, sf)
		}
		if s.hasSum {
			listed = append(listed, i)
		}
		switch {
		case s.notCT:
			cov.NotCloudTrail = append(cov.NotCloudTrail, engine.SkippedFile{Path: f.path(), Reason: s.skipped})
			continue
		case s.skipped != "":
			cov.Skipped = append(cov.Skipped, engine.SkippedFile{Path: f.path(), Reason: s.skipped})
			continue
		}
		cov.FilesRead++
		ids = append(ids, s.id)
		if f.dir.layout {
			accounts[f.dir.account], regions[f.dir.region], days[f.dir.day] = true, true, true
		} else {
			plain = append(plain, s.id)
		}
	}
	sort.Slice(cov.Skipped, func(i, j int) bool { return cov.Skipped[i].Path < cov.Skipped[j].Path })
	// Rows of the window's files only, when the window leaves some out.
	inWin := ""
	if len(ids) < h.held {
		if _, err := e.db.ExecContext(ctx, `CREATE TABLE win AS SELECT unnest(?::INTEGER[]) AS src`, ids); err != nil {
			return cov, fmt.Errorf("select the window's files: %w", err)
		}
		inWin = "src IN (SELECT src FROM win)"
	}
	var from, to string
	if !o.From.IsZero() {
		from = o.From.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !o.To.IsZero() {
		to = o.To.UTC().Format("2006-01-02T15:04:05Z")
	}
	cols := make([]string, 0, len(recordFields)+len(PartitionColumns))
	for _, f := range recordFields {
		cols = append(cols, strings.ToLower(f.json))
	}
	cols = append(cols, PartitionColumns...)
	inView := and(inWin, timeFilter("eventtime", from, to))
	if _, err := e.db.ExecContext(ctx, "CREATE VIEW "+View+" AS SELECT "+strings.Join(cols, ", ")+" FROM store.events"+where(inView)); err != nil {
		return cov, fmt.Errorf("create view %s: %w", View, err)
	}
	if len(plain) > 0 {
		if err := e.partitionsOf(ctx, `SELECT DISTINCT account, region, day FROM store.events`+where(and(inView, `src IN (SELECT unnest(?::INTEGER[]))`)),
			plain, accounts, regions, days); err != nil {
			return cov, err
		}
	}
	count := e.scanCounts
	if h.derived {
		count = e.derivedCounts
	}
	c, err := count(ctx, inWin, from, to)
	if err != nil {
		return cov, err
	}
	cov.Events, cov.DuplicateEvents, cov.RecordsWithoutID = c.events, c.dups, c.noID
	if from != "" || to != "" {
		cov.RecordsWithoutTime = c.noTime
	}
	firstEv, lastEv := c.first, c.last
	cov.FirstEvent, cov.LastEvent = firstEv.String, lastEv.String
	// What the logs hold in and out of the window, as a load measures it:
	// the folders' delivery days and the event days of the files read.
	cov.Counted = true
	found := cov.NotCloudTrail
	cov.NotCloudTrail = nil
	for _, p := range d.notCT {
		cov.NotCloudTrail = append(cov.NotCloudTrail, engine.SkippedFile{Path: p, Reason: "not a CloudTrail log (neither its name nor its content)"})
	}
	cov.NotCloudTrail = append(cov.NotCloudTrail, found...)
	first, last := d.firstDay, d.lastDay
	lo, hi := c.lo, c.hi
	if len(lo.String) >= 10 {
		if day := strings.ReplaceAll(lo.String[:10], "-", "/"); first == "" || day < first {
			first = day
		}
		if day := strings.ReplaceAll(hi.String[:10], "-", "/"); day > last {
			last = day
		}
	}
	cov.LogsFirstDay, cov.LogsLastDay = strings.ReplaceAll(first, "/", "-"), strings.ReplaceAll(last, "/", "-")
	cov.Files = custody(d.selected, listed, func(i int) (int64, *[32]byte) { return h.files[i].size, &h.files[i].sum })
	cov.Accounts, cov.Regions, cov.Days = sortedKeys(accounts), sortedKeys(regions), sortedKeys(days)
	cov.MissingDays = []string{}
	for _, day := range windowDays(o.From, o.To) {
		if !days[day] {
			cov.MissingDays = append(cov.MissingDays, day)
		}
	}
	cov.Sources = append(cov.Sources, fmt.Sprintf("events read from the local evidence store %s (it holds %d files of this folder, each with its size, modification time and SHA-256; this command ingested %d new files)",
		st.Path, st.Held, st.FilesAdded))
	if len(st.Reingested) > 0 {
		cov.Sources = append(cov.Sources, fmt.Sprintf("%d files changed since the store read them (size, time and content) and were read again: %s",
			len(st.Reingested), listSome(st.Reingested)))
	}
	if len(st.Removed) > 0 {
		cov.Sources = append(cov.Sources, fmt.Sprintf("%d files the store had read are no longer in the folder; their events were removed from the store: %s",
			len(st.Removed), listSome(st.Removed)))
	}
	if rep.touched > 0 {
		cov.Sources = append(cov.Sources, fmt.Sprintf("%d files had a new modification time but the same SHA-256 as when the store read them; their events were kept", rep.touched))
	}
	if st.Files == nil {
		st.Files = []engine.StoreFile{}
	}
	st.ListSHA256 = hex.EncodeToString(list.Sum(nil))
	cov.Store = st
	return cov, nil
}

// custody is the chain of custody's list (Coverage.Files) of files[i],
// for each i of idx (increasing; nil: every file) that sum gives a SHA-256
// for, in path order, with their folders shared.
func custody(files []sourceFile, idx []int, sum func(i int) (int64, *[32]byte)) engine.SourceFiles {
	if idx == nil {
		idx = make([]int, len(files))
		for i := range idx {
			idx[i] = i
		}
	}
	less := func(a, b int) bool { return relLess(&files[idx[a]], &files[idx[b]]) }
	if !sort.SliceIsSorted(idx, less) {
		idx = append([]int(nil), idx...)
		sort.SliceStable(idx, less)
	}
	var out engine.SourceFiles
	out.Grow(len(idx))
	for _, i := range idx {
		if size, sha := sum(i); sha != nil {
			out.Add(files[i].dir.rel, files[i].name, size, sha)
		}
	}
	return out
}

// listSome names up to ten paths.
func listSome(paths []string) string {
	if len(paths) <= 10 {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:10], ", ") + fmt.Sprintf(" and %d more", len(paths)-10)
}
