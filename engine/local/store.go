package local

// The evidence store: every event of a logs folder, read once into a DuckDB
// database in a cache folder, so that every later command over the same
// folder queries it instead of reading and decompressing every file again.
//
// The store holds every column of every event (no narrowing), duplicate
// deliveries as the logs have them, and the file each row came from. A
// files table records each source file's path, size, modification time and
// SHA-256. Each command walks the folder and compares it with the table:
// new files are ingested, files whose size or time changed are hashed and,
// if their content changed, re-ingested (their rows deleted and loaded
// again), files gone from the folder lose their rows. Coverage says so.
//
// Ingest commits per batch of files, the files table in the same
// transaction as the rows, so an interrupted ingest leaves a store that
// holds whole files only; the next command carries on. A lock file
// serialises writers: commands that find nothing to ingest read the store
// side by side (DuckDB's read-only mode, under a shared lock); one that must
// ingest waits for an exclusive lock.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/ctathena/ctathena/internal/par"
)

// storeFile is the database file in a store folder.
const storeFile = "events.duckdb"

// storeSourceFile names the logs folder a store holds (for cache list).
const storeSourceFile = "source"

// storeChunkRows is how many events one ingest commit holds (the last
// fewer): a DuckDB row group (see streamLoad's chunkDone). A variable for
// the tests.
var storeChunkRows = streamChunkRows

// storeLayout identifies the table layout; a store written with another
// is rebuilt.
func storeLayout() string {
	h := sha256.Sum256([]byte("v2 " + recordType(recordFields)))
	return hex.EncodeToString(h[:8])
}

// Progress is what an ingest into the store has done so far.
type Progress struct {
	// Files and Bytes (on disk) are those ingested of FilesTotal and
	// BytesTotal to ingest; Events are the events they held.
	Files, FilesTotal int
	Bytes, BytesTotal int64
	Events            int64
	Elapsed           time.Duration
	// Waiting is set while another command holds the store.
	Waiting bool
	// Done is set on the last call.
	Done bool
}

// StoreDir is the store folder for the logs folder logs under root.
func StoreDir(root, logs string) (string, error) {
	abs, err := filepath.Abs(logs)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(root, hex.EncodeToString(h[:10])), nil
}

// storedFile is a row of the files table.
type storedFile struct {
	id      int32
	size    int64
	mtime   int64
	sha     string
	events  int64
	skipped string
	// notCT is set when the file's content says it is not a CloudTrail log
	// (a plain folder's other JSON, notes): listed, not a gap.
	notCT bool
}

// plan is what an ingest must do. The folder's files are the walk's, with
// their stats beside them (same index); their paths are built when needed:
// kept for every file, the paths of the 30-day benchmark tree's 149,182
// files were 19.5 MB of a first ingest's 69 MB of Go heap.
type plan struct {
	files   []sourceFile
	stats   []fileStat
	stored  map[string]storedFile
	todo    []int // indexes into files: new or changed
	changed map[int]bool
	removed []string
	touched []int // size or time changed, content the same
	nextID  int32
}

func (p *plan) work() bool { return len(p.todo) > 0 || len(p.removed) > 0 || len(p.touched) > 0 }

// storeReport is what this command's ingest did, for Coverage.
type storeReport struct {
	// added are the files read for the first time (in d.selected: their
	// paths are built for Coverage, see storeCoverage).
	added               []*sourceFile
	reingested, removed []string
	touched             int
}

// openStore is Open for a store under o.Store.
//
// A command over a folder the store already holds (the second of an
// investigation) walks the folder, stats its files and reads the store's
// files table through the engine's own attachment of the store (one
// DuckDB open), matching each row with its file by path (readHeld); it
// ingests only when that finds a file new, changed or gone.
func openStore(ctx context.Context, o Options) (*Engine, error) {
	// The ingest runs between two query engines: it gives memory back too.
	defer startGiveBack()()
	defer leanGC()()
	defer debug.FreeOSMemory()
	d, err := discover(o.Dir, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(o.Dir)
	sdir, err := StoreDir(o.Store, abs)
	if err != nil {
		return nil, fmt.Errorf("evidence store: %w", err)
	}
	if err := makePrivateDir(o.Store); err != nil {
		return nil, err
	}
	if err := makePrivateDir(sdir); err != nil {
		return nil, err
	}
	if err := writePrivate(filepath.Join(sdir, storeSourceFile), []byte(abs+"\n")); err != nil {
		return nil, err
	}
	lk, err := openLock(filepath.Join(sdir, "lock"))
	if err != nil {
		return nil, fmt.Errorf("evidence store %s: %w", sdir, err)
	}
	locked := true
	defer func() {
		if locked {
			lk.close()
		}
	}()
	start := time.Now()
	if err := lk.lock(ctx, false); err != nil {
		return nil, fmt.Errorf("evidence store %s: %w", sdir, err)
	}
	// The files are statted while the store's files table is read (the
	// stats are mostly the kernel's work, the table DuckDB's and the
	// driver's): on 2 cores the two overlap.
	statted := make(chan []fileStat, 1)
	go func() { statted <- statFiles(d.selected) }()
	e, err := openStoreQuery(ctx, o, sdir)
	if err != nil {
		<-statted
		return nil, err
	}
	defer func() {
		if e != nil {
			e.Close()
		}
	}()
	var rep storeReport
	h, err := e.readHeld(ctx, sdir, d.selected)
	stats := <-statted
	if err != nil {
		return nil, err
	}
	h.compare(stats)
	if !h.derived {
		// The per-file counts are not those of the files and events tables:
		// a store of an earlier version, or an ingest interrupted after some
		// of a file's rows were committed and before its files row. Such
		// rows must not reach a query even if their file has since left the
		// folder (no new file would start an ingest): the ingest path deletes
		// rows without a files row, then counts again.
		h.work = true
	}
	if h.work {
		// The engine lets the store go while it is written (two DuckDB
		// instances of one process must not hold one file).
		e.Close()
		e = nil
		if err := lk.unlock(); err != nil {
			return nil, err
		}
		if !lk.try() {
			if o.Progress != nil {
				o.Progress(Progress{Waiting: true})
			}
			if err := lk.lock(ctx, true); err != nil {
				return nil, fmt.Errorf("evidence store %s: %w", sdir, err)
			}
		}
		ierr := ingest(ctx, o, sdir, d.selected, stats, &rep, start)
		if ierr == nil {
			ierr = writeDerived(ctx, sdir)
		}
		if err := lk.lock(ctx, false); err != nil { // flock converts the lock
			return nil, fmt.Errorf("evidence store %s: %w", sdir, err)
		}
		if ierr != nil {
			return nil, ierr
		}
		if e, err = openStoreQuery(ctx, o, sdir); err != nil {
			return nil, err
		}
		if h, err = e.readHeld(ctx, sdir, d.selected); err != nil {
			return nil, err
		}
		h.compare(stats)
	}
	// The files table's blocks go before the coverage counts read the
	// events' (the two would add up).
	if err := e.releaseMemory(ctx); err != nil {
		return nil, err
	}
	cov, err := e.storeCoverage(ctx, o, d, h, sdir, &rep)
	if err != nil {
		return nil, err
	}
	if cov.FilesRead == 0 && cov.FilesPruned == 0 && len(cov.Skipped) == 0 {
		// No file of the folder is a CloudTrail log, by name or content
		// (an earlier bundle): the same error as a load from the files.
		var others []string
		for _, f := range cov.NotCloudTrail {
			others = append(others, f.Path)
		}
		return nil, noLogsError(o.Dir, others)
	}
	if err := e.releaseMemory(ctx); err != nil {
		return nil, err
	}
	e.coverage = cov
	e.release = lk.close
	locked = false
	done := e
	e = nil
	return done, nil
}

func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create evidence store folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make evidence store folder private: %w", err)
	}
	return nil
}

func writePrivate(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(b) {
		return os.Chmod(path, 0o600)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write evidence store: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// fileStat is a file's size and modification time as this command found
// them; err is set when the stat failed.
type fileStat struct {
	size, mtime int64
	err         string
}

// statFiles stats every file (files are sorted by folder), a folder at a
// time, with a few goroutines.
func statFiles(files []sourceFile) []fileStat {
	out := make([]fileStat, len(files))
	type run struct{ lo, hi int }
	var runs []run
	for i := 0; i < len(files); {
		j := i + 1
		for j < len(files) && files[j].dir == files[i].dir {
			j++
		}
		runs = append(runs, run{i, j})
		i = j
	}
	par.For(context.Background(), 4, len(runs), func(_, k int) {
		r := runs[k]
		statFolder(files[r.lo].dir.path, files[r.lo:r.hi], out[r.lo:r.hi])
	})
	return out
}

// statEach is statFolder by path, file by file.
func statEach(files []sourceFile, out []fileStat) {
	for i := range files {
		if st, err := os.Stat(files[i].path()); err != nil {
			out[i] = fileStat{err: err.Error()}
		} else {
			out[i] = fileStat{size: st.Size(), mtime: st.ModTime().UnixNano()}
		}
	}
}

// heldFiles is what the store holds of the folder's files.
type heldFiles struct {
	// held counts the files table's rows (none when the store was written
	// with another table layout, which ingest rebuilds).
	held int
	// work is set when a file is new, changed (size or time) or gone.
	work bool
	// files are the files rows, by index into the discovery's files.
	files []heldFile
	// derived is set when the store's per-file counts are those of its
	// files and events (see store_derived.go).
	derived bool
}

// heldFile is a files row of the store.
type heldFile struct {
	id                  int32 // -1: the store does not hold the file
	notCT, hasSum       bool
	size, mtime, events int64
	sum                 [32]byte
	skipped             string
}

// readHeld reads the store's files table and matches it with the folder's
// files by path (compare then compares their sizes and times).
//
// Measured on the 30-day benchmark tree (149,182 files): with the table's
// rows in a map by path, the open held 48 MiB of Go heap for it; reading
// the table in one query ORDER BY path (to match in path order) took 130
// MiB of DuckDB memory for the sort and the result (DuckDB's Go driver
// materialises every result), 80 MiB without the sort. The table is read
// instead in slices of ids (each result a few MiB), in any order, and each
// row finds its file through a sorted index of the files' path hashes,
// the path itself compared to be exact.
func (e *Engine) readHeld(ctx context.Context, sdir string, files []sourceFile) (*heldFiles, error) {
	h := &heldFiles{files: make([]heldFile, len(files))}
	for i := range h.files {
		h.files[i].id = -1
	}
	if _, err := os.Stat(filepath.Join(sdir, storeFile)); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("evidence store: %w", err)
		}
		h.work = len(files) > 0
		return h, nil
	}
	// Attached databases belong to the database instance: every
	// connection of the pool sees it.
	if _, err := e.db.ExecContext(ctx, "ATTACH "+sqlString(filepath.Join(sdir, storeFile))+" AS store (READ_ONLY)"); err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", sdir, err)
	}
	var layout sql.NullString
	if err := e.db.QueryRowContext(ctx, `SELECT max(value) FROM store.meta WHERE key = 'layout'`).Scan(&layout); err != nil {
		return nil, fmt.Errorf("read evidence store: %w", err)
	}
	if layout.String != storeLayout() {
		// Written by another version of the table layout: everything is
		// read again (ingest rebuilds it).
		h.work = len(files) > 0
		return h, nil
	}
	var lo, hi sql.NullInt64
	if err := e.db.QueryRowContext(ctx, `SELECT min(id), max(id) FROM store.files`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("read evidence store files: %w", err)
	}
	index := pathIndex(files)
	matched := 0
	const slice = 1 << 14
	err := e.rawRows(ctx, func(query func(q string, args ...any) (driver.Rows, error)) error {
		// The driver's rows, without database/sql's conversions (a
		// fifth of the table's read).
		row := make([]driver.Value, 8)
		for from := lo.Int64; lo.Valid && from <= hi.Int64; from += slice {
			rows, err := query(`SELECT path, size, mtime, id, sha256, events, skipped, notct FROM store.files WHERE id >= ? AND id < ?`, from, from+slice)
			if err != nil {
				return err
			}
			for {
				if err := rows.Next(row); err != nil {
					rows.Close()
					if err == io.EOF {
						break
					}
					return err
				}
				h.held++
				path, _ := row[0].(string)
				i := index.find(files, path)
				if i < 0 || h.files[i].id >= 0 {
					h.work = true // gone from the folder (or listed twice)
					continue
				}
				f := &h.files[i]
				var ok [6]bool
				var id int32
				f.size, ok[0] = row[1].(int64)
				f.mtime, ok[1] = row[2].(int64)
				id, ok[2] = row[3].(int32)
				f.events, ok[3] = row[5].(int64)
				f.notCT, ok[4] = row[7].(bool)
				sha, _ := row[4].(string)
				f.skipped, _ = row[6].(string)
				ok[5] = sha == "" || decodeSum(&f.sum, sha)
				if ok != [6]bool{true, true, true, true, true, true} {
					rows.Close()
					return fmt.Errorf("%s: unreadable row (%v)", path, row)
				}
				f.id, f.hasSum = id, sha != ""
				matched++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read evidence store files: %w", err)
	}
	if matched < len(files) {
		h.work = true // new: in the folder, not in the store
	}
	if h.derived, err = e.derivedValid(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// rawRows runs fn with a query function that returns the DuckDB driver's
// rows, on one connection of the engine's pool.
func (e *Engine) rawRows(ctx context.Context, fn func(query func(q string, args ...any) (driver.Rows, error)) error) error {
	c, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("the DuckDB driver's connection (%T) does not query", dc)
		}
		return fn(func(q string, args ...any) (driver.Rows, error) {
			named := make([]driver.NamedValue, len(args))
			for i, a := range args {
				named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
			}
			return qc.QueryContext(ctx, q, named)
		})
	})
}

// compare sets h.work if a file the store holds changed size or time
// (changed or touched) since the store read it.
func (h *heldFiles) compare(stats []fileStat) {
	for i := range h.files {
		if f := &h.files[i]; f.id >= 0 && (stats[i].size != f.size || stats[i].mtime != f.mtime) {
			h.work = true
			return
		}
	}
}

// filesIndex finds a file by its relative path: the files' path hashes,
// sorted, with their indexes.
type filesIndex struct {
	seed    maphash.Seed
	entries []indexEntry
}

type indexEntry struct {
	hash uint64
	i    int32
}

func pathIndex(files []sourceFile) *filesIndex {
	x := &filesIndex{seed: maphash.MakeSeed(), entries: make([]indexEntry, len(files))}
	var mh maphash.Hash
	mh.SetSeed(x.seed)
	for i := range files {
		f := &files[i]
		mh.Reset()
		if f.dir.rel != "" {
			mh.WriteString(f.dir.rel)
			mh.WriteByte('/')
		}
		mh.WriteString(f.name)
		x.entries[i] = indexEntry{mh.Sum64(), int32(i)}
	}
	slices.SortFunc(x.entries, func(a, b indexEntry) int { return cmp.Compare(a.hash, b.hash) })
	return x
}

// find is the index of the file whose relative path is rel, -1 if none.
func (x *filesIndex) find(files []sourceFile, rel string) int {
	h := maphash.String(x.seed, rel)
	lo, hi := 0, len(x.entries)
	for lo < hi {
		if m := int(uint(lo+hi) >> 1); x.entries[m].hash < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for k := lo; k < len(x.entries) && x.entries[k].hash == h; k++ {
		if i := int(x.entries[k].i); files[i].compareRel(rel) == 0 {
			return i
		}
	}
	return -1
}

// decodeSum reads a SHA-256 as the store writes it (64 lowercase hex
// digits) into sum.
func decodeSum(sum *[32]byte, s string) bool {
	if len(s) != 64 {
		return false
	}
	var bad byte
	for i := range sum {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		bad |= hi | lo
		sum[i] = hi<<4 | lo&15
	}
	return bad&0x10 == 0
}

// hexValue is a lowercase hex digit's value, 0x10 for any other byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0x10
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// readFiles reads the files table (in schema, "" = the current database)
// into p, and p.nextID.
func readFiles(ctx context.Context, db *sql.DB, schema string, p *plan) error {
	var layout sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(value) FROM `+schema+`meta WHERE key = 'layout'`).Scan(&layout); err != nil {
		return fmt.Errorf("read evidence store: %w", err)
	}
	if layout.String != storeLayout() {
		// Written by another version of the table layout: everything is
		// read again (ingest rebuilds it).
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT id, path, size, mtime, sha256, events, skipped, notct FROM `+schema+`files`)
	if err != nil {
		return fmt.Errorf("read evidence store files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s storedFile
		var path string
		var sha, skipped sql.NullString
		if err := rows.Scan(&s.id, &path, &s.size, &s.mtime, &sha, &s.events, &skipped, &s.notCT); err != nil {
			return fmt.Errorf("read evidence store files: %w", err)
		}
		s.sha, s.skipped = sha.String, skipped.String
		p.stored[path] = s
		p.nextID = max(p.nextID, s.id+1)
	}
	return rows.Err()
}

// openStoreDB opens the store database by itself (to read its files table,
// or to create it).
func openStoreDB(path string, readOnly bool, mem string) (*sql.DB, error) {
	q := url.Values{}
	if readOnly {
		q.Set("access_mode", "read_only")
	}
	if mem != "" {
		q.Set("memory_limit", mem)
	}
	q.Set("threads", "1")
	q.Set("autoinstall_known_extensions", "false")
	c, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	return sql.OpenDB(c), nil
}

// hashFile returns the SHA-256 of a file's bytes and its size.
func hashFile(path string) (string, int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), int64(len(b)), nil
}

// ingest brings the store up to date with the folder, under the exclusive
// lock. The loader writes straight into the store's events table (a
// staging table and a copy cost a second write of every row: the 30-day
// ingest took 89 s that way); a file's rows carry its store id, and its
// files row is written once its rows are in, in the same transaction as the
// batch's last statement. Rows without a files row are what an interrupted
// ingest left: they are deleted first.
func ingest(ctx context.Context, o Options, sdir string, files []sourceFile, stats []fileStat, rep *storeReport, start time.Time) error {
	path := filepath.Join(sdir, storeFile)
	tmp, err := os.MkdirTemp(tempRoot(o), "ctathena-ingest-")
	if err != nil {
		return fmt.Errorf("create temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	mem := o.MemoryLimit
	// A batch that runs out of memory is retried with more, up to the
	// ceiling a load from the files has (see execLoad); --memory fixes it.
	ceiling := DefaultCeiling()
	if mem == "" {
		mem = loadMemoryLimit
	} else if ceiling, err = ParseSize(mem); err != nil {
		return fmt.Errorf("memory limit: %w", err)
	}
	q := url.Values{}
	q.Set("memory_limit", mem)
	// One DuckDB thread inserts while the Go workers inflate: the machine's
	// cores are busy either way. Measured 2026-12-02, first access over the
	// 30-day tree (ingest included, --no-validate, 2 cores, two runs each):
	// 1 thread 17.8-19.8 s and 239-241 MiB, 2 threads 17.9-18.4 s and
	// 408-411 MiB.
	q.Set("threads", "1")
	q.Set("temp_directory", filepath.Join(tmp, "spill"))
	q.Set("autoinstall_known_extensions", "false")
	q.Set("preserve_insertion_order", "false")
	connector, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("open evidence store %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	for _, s := range []string{
		"SET write_buffer_row_group_count = 1",
		// FSST's buffers live outside the buffer pool (see Open).
		"SET disabled_compression_methods = 'fsst,zstd'",
		"SET allocator_background_threads = true",
		"SET allocator_flush_threshold = '8MB'",
		"SET checkpoint_threshold = '1GB'",
		`CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("open evidence store %s (%s): %w", path, firstLine(s), err)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("make evidence store private: %w", err)
	}
	var layout sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(value) FROM meta WHERE key = 'layout'`).Scan(&layout); err != nil {
		return fmt.Errorf("read evidence store: %w", err)
	}
	if layout.String != storeLayout() {
		for _, s := range []string{
			"DROP TABLE IF EXISTS " + table,
			"DROP TABLE IF EXISTS files",
			"DELETE FROM meta",
			tableDDL(table, recordFields),
			`CREATE TABLE files (id INTEGER, path VARCHAR, size BIGINT, mtime BIGINT, sha256 VARCHAR, events BIGINT, skipped VARCHAR, notct BOOLEAN)`,
			"INSERT INTO meta VALUES ('layout', " + sqlString(storeLayout()) + ")",
		} {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("create evidence store (%s): %w", firstLine(s), err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM `+table+` WHERE src NOT IN (SELECT id FROM files)`); err != nil {
		return fmt.Errorf("remove the rows of an interrupted ingest: %w", err)
	}
	// The plan again, under the exclusive lock: another command may have
	// ingested meanwhile.
	p := &plan{files: files, stats: stats, stored: map[string]storedFile{}, changed: map[int]bool{}}
	if err := readFiles(ctx, db, "", p); err != nil {
		return err
	}
	if p, err = planFrom(p, true); err != nil {
		return err
	}
	for _, i := range p.touched {
		st := stats[i]
		if _, err := db.ExecContext(ctx, `UPDATE files SET size = ?, mtime = ? WHERE path = ?`, st.size, st.mtime, files[i].rel()); err != nil {
			return fmt.Errorf("update evidence store files: %w", err)
		}
		rep.touched++
	}
	// Files gone, and the old rows of files that changed, go first (one
	// transaction): a changed file is then a new one.
	gone := append([]string(nil), p.removed...)
	for _, i := range p.todo {
		if p.changed[i] {
			gone = append(gone, files[i].rel())
		}
	}
	if err := removeFiles(ctx, db, p, gone); err != nil {
		return err
	}
	rep.removed = append(rep.removed, p.removed...)
	if len(p.todo) > 0 {
		if err := ingestFiles(ctx, o, db, tmp, mem, ceiling, p, rep, start); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("write evidence store: %w", err)
	}
	return nil
}

// planFrom finishes a plan whose stored files are read: what is new,
// changed or gone (hashing files whose size or time changed).
func planFrom(p *plan, hash bool) (*plan, error) {
	found := 0
	for i := range p.files {
		f, st := &p.files[i], p.stats[i]
		var s storedFile
		ok := false
		if len(p.stored) > 0 { // a first ingest builds no path
			s, ok = p.stored[f.rel()]
		}
		if ok {
			found++
		}
		switch {
		case !ok:
			p.todo = append(p.todo, i)
		case s.size != st.size || s.mtime != st.mtime:
			if hash && s.sha != "" {
				if sum, _, err := hashFile(f.path()); err == nil && sum == s.sha {
					p.touched = append(p.touched, i)
					continue
				}
			}
			p.todo = append(p.todo, i)
			p.changed[i] = true
		}
	}
	if found < len(p.stored) {
		// Some files the store holds are gone from the folder.
		seen := make(map[string]bool, len(p.files))
		for i := range p.files {
			seen[p.files[i].rel()] = true
		}
		for rel := range p.stored {
			if !seen[rel] {
				p.removed = append(p.removed, rel)
			}
		}
	}
	sort.Strings(p.removed)
	return p, nil
}

// removeFiles deletes the rows and entries of the files rels, in one
// transaction.
func removeFiles(ctx context.Context, db *sql.DB, p *plan, rels []string) error {
	if len(rels) == 0 {
		return nil
	}
	ids := make([]int32, 0, len(rels))
	for _, rel := range rels {
		ids = append(ids, p.stored[rel].id)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update evidence store: %w", err)
	}
	defer tx.Rollback()
	for _, s := range []string{
		`DELETE FROM ` + table + ` WHERE src IN (SELECT unnest(?::INTEGER[]))`,
		`DELETE FROM files WHERE id IN (SELECT unnest(?::INTEGER[]))`,
	} {
		if _, err := tx.ExecContext(ctx, s, ids); err != nil {
			return fmt.Errorf("remove files from the evidence store: %w", err)
		}
	}
	return tx.Commit()
}

// ingestFiles loads the files p.todo into the store under new ids, in one
// pipeline: the stream workers read and split the files while DuckDB
// inserts the previous chunk, and each chunk (a row group of events, see
// streamLoad) is followed by the files rows of the files it settled
// (ingestBatch). Files too big to stream come last. Before, batches of
// 24 MB of files were loaded one after the other, each read, then inserted,
// each smaller than a row group: BenchmarkIngest on the 30-day tree, side
// by side on a loaded machine, 56-60 s and 26-32 s of CPU that way, 37 s
// and 19-24 s of CPU this way.
func ingestFiles(ctx context.Context, o Options, db *sql.DB, tmp, mem string, ceiling int64, p *plan, rep *storeReport, start time.Time) error {
	var total int64
	for _, i := range p.todo {
		total += p.stats[i].size
	}
	pr := Progress{FilesTotal: len(p.todo), BytesTotal: total}
	files := todoFiles(p)
	// The loader hashes each file's bytes as it reads them (the chain of
	// custody's SHA-256): the store records that hash, not a second read.
	// The size and time recorded are those listed before the read, so a file
	// written since differs next time and is read again.
	l := &loader{db: db, tmp: tmp, fields: recordFields, format: "unstructured", transcodeAbove: defaultTranscodeAbove, memoryLimit: mem, ceiling: ceiling}
	l.chunkRows = storeChunkRows
	progress := func(settled []settledFile, events int64) {
		for _, s := range settled {
			pr.Files++
			pr.Bytes += p.stats[p.todo[s.index]].size
		}
		pr.Events += events
		pr.Elapsed = time.Since(start)
		pr.Done = pr.Files == pr.FilesTotal
		if o.Progress != nil {
			o.Progress(pr)
		}
	}
	short := map[int]bool{} // carried files that lost a line (see ingestBatch)
	l.chunkDone = func(ctx context.Context, files []sourceFile, inserted, lines int64, settled []settledFile, carry *carriedFile) error {
		n, err := ingestBatch(ctx, db, p, files, inserted, lines, settled, carry, short, rep)
		if err != nil {
			return err
		}
		progress(settled, n)
		return nil
	}
	big, err := l.streamLoad(ctx, files, 2)
	if err != nil {
		return err
	}
	if len(big) == 0 {
		return nil
	}
	if err := l.loadAll(ctx, big); err != nil {
		return err
	}
	if err := l.account(ctx, big, true); err != nil {
		return err
	}
	reasons := map[string]settledFile{}
	for _, s := range l.skipped {
		reasons[s.Path] = settledFile{reason: s.Reason}
	}
	for _, s := range l.notCT {
		reasons[s.Path] = settledFile{reason: s.Reason, notCT: true}
	}
	settled := make([]settledFile, len(big))
	for k, f := range big {
		s := reasons[f.path()]
		s.index, s.records, s.sum = int(f.id-p.nextID), -1, l.sums[f.id]
		settled[k] = s
	}
	n, err := ingestBatch(ctx, db, p, files, -1, -1, settled, nil, short, rep)
	if err != nil {
		return err
	}
	progress(settled, n)
	return nil
}

// todoFiles is the files p.todo under their new ids (p.nextID on). When
// every file is to be read into an empty store, p.todo is 0..n-1 (planFrom
// lists it in order) and the new ids are the walk's own (its files' places,
// see discover): the files are the walk's list itself, not a copy (the copy
// was 9.1 MB of Go heap at the 30-day tree's first ingest).
func todoFiles(p *plan) []sourceFile {
	if p.nextID == 0 && len(p.todo) == len(p.files) {
		return p.files
	}
	files := make([]sourceFile, len(p.todo))
	for k, i := range p.todo {
		files[k] = p.files[i]
		files[k].id = p.nextID + int32(k)
	}
	return files
}

// ingestBatch writes the files rows of the files settled (files[s.index]:
// read, their rows in the table, or skipped) and returns their events.
// inserted is how many rows their chunk inserted, carry the file whose
// lines continue in the next chunk (see streamLoad), want the lines the
// chunk held. When fewer rows went in than lines, DuckDB rejected a
// record: the files with fewer rows than lines lose their rows and are
// reported unreadable, as loader.account does for a load from the files (a
// carried file is marked in short until it settles). inserted -1: the
// files were read directly, count their rows.
func ingestBatch(ctx context.Context, db *sql.DB, p *plan, files []sourceFile, inserted, want int64, settled []settledFile, carry *carriedFile, short map[int]bool, rep *storeReport) (int64, error) {
	if len(settled) == 0 && carry == nil {
		return 0, nil
	}
	var lo, hi int32 = math.MaxInt32, math.MinInt32
	for _, s := range settled {
		id := files[s.index].id
		lo, hi = min(lo, id), max(hi, id)
	}
	if carry != nil {
		lo, hi = min(lo, files[carry.index].id), max(hi, files[carry.index].id)
	}
	counts := map[int32]int64{}
	if inserted != want || inserted < 0 {
		rows, err := db.QueryContext(ctx, `SELECT src, count(*) FROM `+table+` WHERE src BETWEEN ? AND ? GROUP BY src`, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("count ingested events: %w", err)
		}
		for rows.Next() {
			var id int32
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return 0, fmt.Errorf("count ingested events: %w", err)
			}
			counts[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("count ingested events: %w", err)
		}
		for k := range settled {
			s := &settled[k]
			if s.reason == "" && s.records >= 0 && counts[files[s.index].id] != int64(s.records) {
				short[s.index] = true
			}
		}
		if carry != nil && counts[files[carry.index].id] != int64(carry.lines) {
			short[carry.index] = true
		}
	} else {
		for _, s := range settled {
			counts[files[s.index].id] = int64(s.records)
		}
	}
	var rejected []int32
	for k := range settled {
		s := &settled[k]
		if !short[s.index] {
			continue
		}
		delete(short, s.index)
		f := &files[s.index]
		rejected = append(rejected, f.id)
		counts[f.id] = 0
		s.reason = diagnose(f.path(), errors.New("the JSON reader rejected a record"))
		s.notCT = notCloudTrail(f, s.reason)
	}
	if len(rejected) > 0 {
		if _, err := db.ExecContext(ctx, `DELETE FROM `+table+` WHERE src IN (SELECT unnest(?::INTEGER[]))`, rejected); err != nil {
			return 0, fmt.Errorf("drop rejected files: %w", err)
		}
	}
	if len(settled) == 0 {
		return 0, nil
	}
	// The files rows go through DuckDB's appender: an INSERT of unnested
	// list parameters took 3.8 s of the 30-day ingest's CPU for its
	// 149,182 rows, nearly all in building the parameter values.
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("ingest into the evidence store (files): %w", err)
	}
	defer conn.Close()
	var total int64
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "files")
		if err != nil {
			return err
		}
		for _, s := range settled {
			i := p.todo[s.index]
			f, st := &p.files[i], p.stats[i]
			id := files[s.index].id
			sha := ""
			if s.sum.ok {
				sha = hex.EncodeToString(s.sum.sha[:])
			}
			var skipped any
			if s.reason != "" {
				skipped = s.reason
			} else if st.err != "" {
				skipped = "cannot open: " + st.err
			}
			total += counts[id]
			if err := a.AppendRow(id, f.rel(), st.size, st.mtime, sha, counts[id], skipped, s.notCT); err != nil {
				a.Close()
				return err
			}
			if p.changed[i] {
				rep.reingested = append(rep.reingested, f.rel())
			} else {
				rep.added = append(rep.added, f)
			}
		}
		return a.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("ingest into the evidence store (files): %w", err)
	}
	return total, nil
}

func tempRoot(o Options) string {
	if o.TempDir != "" {
		return o.TempDir
	}
	return os.TempDir()
}
