package local

// What a command's Coverage counts over the window's events (how many,
// duplicate deliveries, records without eventID or eventName, without
// eventTime, the first and last event), from the store.
//
// Counted over the events themselves, a second exfil on the 30-day
// benchmark tree spent 0.15-0.25 s of its open on it, and DuckDB 86 MiB
// (50 of them the count(DISTINCT eventid) hash table over 514,243 ids). So
// each ingest also writes two small tables, under its exclusive lock:
//
//   - filestats: per file, its rows, those without eventTime, without
//     eventID or eventName (in all, and among those without eventTime),
//     and its first and last eventTime. A file whose events all fall
//     inside the window counts whole; one whose events all fall outside
//     counts nothing; only the files that straddle an edge of the window
//     have their events counted.
//   - duprows: the rows whose eventID occurs more than once in the store.
//     An eventID that occurs once adds nothing to count(eventid) -
//     count(DISTINCT eventid) over any part of the store, so that
//     difference over the window's rows of duprows is the window's.
//
// The meta row 'derived' records the files table and events table they
// were computed from (counts, a hash of every files row); a store whose
// tables no longer match (written by an interrupted ingest, or by a
// version without them) is counted over the events, as before.

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
)

// windowCounts are the window's counts.
type windowCounts struct {
	events, dups, noID, noTime int64
	// first and last bound the window's events; lo and hi every timed
	// event of the window's files.
	first, last, lo, hi sql.NullString
}

// derivedMark identifies the files and events tables the derived tables
// were computed from (in schema: "" or "store.").
func derivedMark(schema string) string {
	return `(SELECT 'v1 ' || count(*) || ' ' || coalesce(sum(id), 0) || ' ' ||
		coalesce(bit_xor(hash(id, size, mtime, sha256, events, skipped, notct)), 0) FROM ` + schema + `files) || ' ' ||
		(SELECT count(*) FROM ` + schema + `events)`
}

// writeDerived brings the derived tables of the store in sdir up to date,
// under the exclusive lock, after an ingest. A file's counts depend on its
// rows only, which depend on its bytes: the counts of a files row whose id
// and SHA-256 are still there are kept, the others computed; the
// duplicate rows are computed again for the eventIDs of the files gone and
// new only. An ingest of a few files into a large store so costs about as
// much as those files (the whole 30-day benchmark tree: 0.47 s). Tables
// computed under another table layout are computed anew.
//
// Its statements run in one transaction; one that runs out of memory (the
// duplicate rows of the 10,000,000-event trail's store did at 96 MB) is
// rolled back and the whole is run again with twice the memory, up to the
// ceiling a load from the files has (DefaultCeiling). It starts where a
// query does: at the load's 96MB, the 30-day tree's first command peaked
// here, 15-20 MiB over its ingest; at 64MB it does not run out of memory
// there.
func writeDerived(ctx context.Context, sdir string) error {
	mem, ceiling := int64(0), DefaultCeiling()
	if n, err := ParseSize(DefaultMemoryLimit); err == nil {
		mem = n
	}
	for {
		err := writeDerivedWith(ctx, sdir, mib(mem))
		if err == nil || !isOOM(err) || mem >= ceiling {
			if err != nil && isOOM(err) {
				return fmt.Errorf("evidence store: counting the events of each file needed more memory than the %s the local engine may use: run again with a larger --memory on a machine with that much free memory", mib(mem))
			}
			return err
		}
		mem = moreMemory(mem, 0, ceiling)
	}
}

func writeDerivedWith(ctx context.Context, sdir, mem string) error {
	db, err := openStoreDB(filepath.Join(sdir, storeFile), false, mem)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("evidence store: %w", err)
	}
	defer tx.Rollback()
	var layout sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT max(value) FROM meta WHERE key = 'derived_layout'`).Scan(&layout); err != nil {
		return fmt.Errorf("read evidence store: %w", err)
	}
	steps := []string{}
	if layout.String != storeLayout() {
		steps = append(steps, `DROP TABLE IF EXISTS filestats`, `DROP TABLE IF EXISTS duprows`)
	}
	steps = append(steps,
		`CREATE TABLE IF NOT EXISTS filestats (src INTEGER, sha256 VARCHAR, n BIGINT, notime BIGINT, noid BIGINT, noid_notime BIGINT, first VARCHAR, last VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS duprows (eventid VARCHAR, src INTEGER, eventtime VARCHAR)`,
		// Files gone, or another content under their id.
		`CREATE OR REPLACE TEMP TABLE gone AS SELECT src FROM filestats s
			WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = s.src AND f.sha256 IS NOT DISTINCT FROM s.sha256)`,
		`DELETE FROM filestats WHERE src IN (SELECT src FROM gone)`,
		`CREATE OR REPLACE TEMP TABLE fresh AS SELECT id AS src FROM files WHERE id NOT IN (SELECT src FROM filestats)`,
		`INSERT INTO filestats SELECT c.src, f.sha256, c.n, c.notime, c.noid, c.noid_notime, c.first, c.last
			FROM (SELECT src, count(*) AS n,
				count(*) FILTER (WHERE eventtime IS NULL) AS notime,
				count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL) AS noid,
				count(*) FILTER (WHERE eventtime IS NULL AND (eventid IS NULL OR eventname IS NULL)) AS noid_notime,
				min(eventtime) AS first, max(eventtime) AS last
				FROM events WHERE src IN (SELECT src FROM fresh) GROUP BY src) c JOIN files f ON f.id = c.src`,
		// The eventIDs whose count can have changed: those of the rows
		// gone that were duplicates, and those of the new rows.
		`CREATE OR REPLACE TEMP TABLE ids AS
			SELECT eventid FROM duprows WHERE src IN (SELECT src FROM gone)
			UNION SELECT eventid FROM events WHERE src IN (SELECT src FROM fresh) AND eventid IS NOT NULL`,
		`DELETE FROM duprows WHERE src IN (SELECT src FROM gone) OR eventid IN (SELECT eventid FROM ids)`,
		`INSERT INTO duprows SELECT eventid, src, eventtime FROM events
			WHERE eventid IN (SELECT eventid FROM events WHERE eventid IN (SELECT eventid FROM ids) GROUP BY eventid HAVING count(*) > 1)`,
		`DELETE FROM meta WHERE key IN ('derived', 'derived_layout')`,
		`INSERT INTO meta VALUES ('derived_layout', `+sqlString(storeLayout())+`)`,
		`INSERT INTO meta SELECT 'derived', `+derivedMark(""),
	)
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			if isOOM(err) {
				return err
			}
			return fmt.Errorf("evidence store: count the events of each file (%s): %s", firstLine(s), cleanDuckDB(err.Error()))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("evidence store: count the events of each file: %w", err)
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("write evidence store: %w", err)
	}
	return nil
}

// derivedValid reports whether the attached store's derived tables are
// those of its files and events.
func (e *Engine) derivedValid(ctx context.Context) (bool, error) {
	var ok bool
	err := e.db.QueryRowContext(ctx, `SELECT coalesce((SELECT max(value) FROM store.meta WHERE key = 'derived') = `+derivedMark("store.")+`, false)
		AND (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'store' AND table_name IN ('filestats', 'duprows')) = 2`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read evidence store: %w", err)
	}
	return ok, nil
}

// timeFilter is the view's condition on eventtime for [from, to).
func timeFilter(col, from, to string) string {
	var w []string
	if from != "" {
		w = append(w, col+" >= "+sqlString(from))
	}
	if to != "" {
		w = append(w, col+" < "+sqlString(to))
	}
	return and(w...)
}

func and(conds ...string) string {
	out := ""
	for _, c := range conds {
		switch {
		case c == "":
		case out == "":
			out = c
		default:
			out += " AND " + c
		}
	}
	return out
}

func where(cond string) string {
	if cond == "" {
		return ""
	}
	return " WHERE " + cond
}

// scanCounts counts over the events.
func (e *Engine) scanCounts(ctx context.Context, inWin, from, to string) (windowCounts, error) {
	var c windowCounts
	// Records without an eventTime: no window holds them, so a load from
	// the files counts them as it drops them (RecordsWithoutTime); the
	// store keeps them, and the view's window leaves them out.
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE eventtime IS NULL), min(eventtime), max(eventtime) FROM store.events`+where(inWin)).Scan(
		&c.noTime, &c.lo, &c.hi); err != nil {
		return c, fmt.Errorf("measure the logs' dates: %w", err)
	}
	if err := e.db.QueryRowContext(ctx, `SELECT count(*), count(eventid) - count(DISTINCT eventid),
		count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL), min(eventtime), max(eventtime) FROM store.events`+where(and(inWin, timeFilter("eventtime", from, to)))).Scan(
		&c.events, &c.dups, &c.noID, &c.first, &c.last); err != nil {
		return c, fmt.Errorf("count events: %w", err)
	}
	return c, nil
}

// derivedCounts counts from the derived tables, reading the events of the
// files that straddle an edge of the window only.
func (e *Engine) derivedCounts(ctx context.Context, inWin, from, to string) (windowCounts, error) {
	var c windowCounts
	bounded := from != "" || to != ""
	// A file inside the window has every timed event in it; one outside,
	// none (or no timed event at all).
	inside, outside := "first IS NOT NULL", "first IS NULL"
	if bounded {
		inside = and(inside, timeFilter("first", from, ""), timeFilter("last", "", to))
		var out []string
		if from != "" {
			out = append(out, "last < "+sqlString(from))
		}
		if to != "" {
			out = append(out, "first >= "+sqlString(to))
		}
		for _, o := range out {
			outside += " OR " + o
		}
	}
	// Inside, a bounded window leaves out the file's rows without an
	// eventTime; an unbounded one keeps them.
	events, noID := "n", "noid"
	if bounded {
		events, noID = "n - notime", "noid - noid_notime"
	}
	var strad int64
	if err := e.db.QueryRowContext(ctx, `SELECT coalesce(sum(`+events+`) FILTER (WHERE `+inside+`), 0),
		coalesce(sum(`+noID+`) FILTER (WHERE `+inside+`), 0),
		min(first) FILTER (WHERE `+inside+`), max(last) FILTER (WHERE `+inside+`),
		coalesce(sum(notime), 0), min(first), max(last),
		count(*) FILTER (WHERE NOT (`+inside+`) AND NOT (`+outside+`))
		FROM store.filestats`+where(inWin)).Scan(&c.events, &c.noID, &c.first, &c.last, &c.noTime, &c.lo, &c.hi, &strad); err != nil {
		return c, fmt.Errorf("count events: %w", err)
	}
	if strad > 0 {
		var n, noID int64
		var first, last sql.NullString
		if err := e.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL), min(eventtime), max(eventtime)
			FROM store.events WHERE src IN (SELECT src FROM store.filestats`+where(and(inWin, "NOT ("+inside+") AND NOT ("+outside+")"))+`) AND `+timeFilter("eventtime", from, to)).Scan(
			&n, &noID, &first, &last); err != nil {
			return c, fmt.Errorf("count events: %w", err)
		}
		c.events += n
		c.noID += noID
		if first.Valid && (!c.first.Valid || first.String < c.first.String) {
			c.first = first
		}
		if last.Valid && (!c.last.Valid || last.String > c.last.String) {
			c.last = last
		}
	}
	if err := e.db.QueryRowContext(ctx, `SELECT count(eventid) - count(DISTINCT eventid) FROM store.duprows`+where(and(inWin, timeFilter("eventtime", from, to)))).Scan(&c.dups); err != nil {
		return c, fmt.Errorf("count duplicate deliveries: %w", err)
	}
	return c, nil
}
