package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	gzip "github.com/klauspost/compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Why the loader streams: CloudTrail delivers one small file per account,
// region and five minutes, so an organization's month is well over 100,000
// files of a few KB. Handed to read_json file by file, DuckDB spends its
// time opening files and sizing buffers (measured: 310 s for 149,182 files
// and 500,000 events, against 23 s for a plain Go reader). Instead, Go
// workers decompress the files and write each one as one line of a large
// newline-delimited JSON chunk, with the file's provenance and partition
// columns injected as extra keys; DuckDB then ingests a chunk at a time.

// streamChunkBytes is the size at which a chunk is handed to DuckDB. At
// ~1.5 KB a record line, 192 MB is more than one DuckDB row group (122,880
// rows), so each INSERT writes its row groups compressed straight to the
// database file instead of keeping them in memory for a checkpoint:
// 30-day benchmark load 53.7 s with 48 MB chunks, 34.9 s with 192 MB.
const streamChunkBytes = 192 << 20

// streamChunkRows also hands a chunk over once it holds a full DuckDB row
// group: DuckDB then writes it straight to the database file as well, and a
// load of few but wide rows (a narrowed one) starts ingesting while the
// workers still read, instead of all at the end.
const streamChunkRows = 122_880

// settledFile is a file the stream workers are done with, as handed to
// loader.chunkDone with the chunk that holds its rows (none if it has
// none, or was skipped: reason).
type settledFile struct {
	index   int // into the files streamLoad loads
	records int // lines written for it
	reason  string
	notCT   bool
	sum     fileSum
}

// carriedFile is a file whose first lines are in a chunk and the others
// in the next: lines are those written so far.
type carriedFile struct {
	index, lines int
}

// lineEnd is the index after the n-th newline of b (n >= 1, and b holds
// at least n lines).
func lineEnd(b []byte, n int) int {
	end := 0
	for ; n > 0; n-- {
		end += bytes.IndexByte(b[end:], '\n') + 1
	}
	return end
}

type streamLine struct {
	file    int
	line    []byte
	records int
	reason  string      // non-empty: the file is unreadable, and why
	big     *sourceFile // set: too big to stream, read it per record
	sum     fileSum     // the file's bytes as read (chain of custody)
}

// streamLoad loads small files through NDJSON chunks. Files it cannot
// decompress or that are not a JSON object are recorded in l.skipped; files
// bigger than l.transcodeAbove once decompressed are returned, with their
// sizes, for the per-record path.
func (l *loader) streamLoad(ctx context.Context, files []sourceFile, workers int) ([]sourceFile, error) {
	if len(files) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filter := l.recordFilter()
	jobs := make(chan int)
	lines := make(chan streamLine, 2*workers)
	var wg sync.WaitGroup
	stats := make([]splitStats, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scratch{hash: l.inflateHash, noHash: l.noHash}
			wf := *filter
			wf.stats = &stats[w]
			for i := range jobs {
				f := files[i]
				wf.stats.plain = !f.dir.layout
				line, n, reason, big := streamFile(&sc, &f, l.transcodeAbove, &wf)
				if l.fileRead != nil {
					if sc.hashed {
						l.fileRead(f.path(), append([]byte(nil), sc.sum[:]...))
					} else {
						l.fileRead(f.path(), nil)
					}
				}
				sl := streamLine{file: i, line: line, records: n, reason: reason, sum: sc.src}
				if big {
					sl.big = &f
				}
				select {
				case lines <- sl:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(lines) }()

	// Chunks are ingested by one goroutine while the workers fill the next
	// one, so decompression in Go and parsing in DuckDB overlap.
	type readyChunk struct {
		name    string // "" with chunkDone: no rows, only settled files
		maxLine int64
		lines   int64
		settled []settledFile
		carry   *carriedFile
	}
	ready := make(chan readyChunk, 1)
	ingestErr := make(chan error, 1)
	go func() {
		var err error
		for c := range ready {
			if err == nil {
				var n int64
				if c.name != "" {
					n, err = l.ingestChunk(ctx, c.name, c.maxLine)
				}
				if err == nil && l.chunkDone != nil {
					err = l.chunkDone(ctx, files, n, c.lines, c.settled, c.carry)
				}
				if err != nil {
					cancel()
				}
			}
			if c.name != "" {
				os.Remove(c.name)
			}
		}
		ingestErr <- err
	}()
	ingested := false
	finish := func() error {
		if ingested {
			return nil
		}
		ingested = true
		close(ready)
		return <-ingestErr
	}
	// On an early return the ingester is still stopped; the normal path
	// calls finish itself and returns its error.
	defer func() { _ = finish() }()
	var chunk *os.File
	var w *bufio.Writer
	var size, maxLine int64
	rows := 0
	n := 0
	var settled []settledFile
	var carry *carriedFile // the file whose lines continue in the next chunk
	flush := func() error {
		if chunk == nil && len(settled) == 0 {
			return nil
		}
		name, held := "", int64(0)
		if chunk != nil {
			held = int64(rows)
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write load chunk: %w", err)
			}
			name = chunk.Name()
			if err := chunk.Close(); err != nil {
				return fmt.Errorf("write load chunk: %w", err)
			}
			chunk = nil
		}
		c := readyChunk{name, maxLine, held, settled, nil}
		if carry != nil {
			c.carry = &carriedFile{carry.index, carry.lines}
		}
		settled = nil
		select {
		case ready <- c:
			return nil
		case <-ctx.Done():
			if name != "" {
				os.Remove(name)
			}
			return nil
		}
	}
	// With chunkDone (the evidence store), a chunk is handed over once it
	// holds a full row group, whatever its size: an INSERT of at least one
	// row group has DuckDB write its row groups compressed straight to the
	// database file, while a smaller one goes through the write-ahead log
	// and is compressed again at each checkpoint. Measured on the 30-day
	// tree (680 MB of record lines, DuckDB alone, threads=1): 122,880-row
	// chunks 5.8 s of CPU and a 166 MB store, 64 MB chunks (~46,000 rows)
	// 18.3 s and 272 MB.
	chunkBytes, chunkRows := int64(streamChunkBytes), streamChunkRows
	if l.chunkDone != nil {
		chunkBytes = 1 << 62
	}
	if l.chunkRows > 0 {
		chunkRows = l.chunkRows
	}
	var big []sourceFile
	open := func() error {
		n++
		f, err := os.Create(filepath.Join(l.tmp, fmt.Sprintf("chunk%05d.ndjson", n)))
		if err != nil {
			return fmt.Errorf("create load chunk: %w", err)
		}
		chunk, w, size, maxLine, rows = f, bufio.NewWriterSize(f, 1<<20), 0, 0, 0
		return nil
	}
	// write adds lines (records of them) to the chunk. With chunkDone a
	// chunk holds exactly chunkRows lines: a file's lines may continue in
	// the next chunk (carry), its settledFile going with the last of them.
	// Row groups then stay whole: with a few rows more per commit, DuckDB's
	// checkpoints merged the small row groups they left into their
	// neighbours, rewriting them (30-day ingest: 4.2 s for one checkpoint,
	// and the database file grew by 96 MB).
	write := func(lines []byte, records int, index int, done *settledFile) error {
		for records > 0 {
			if chunk == nil {
				if err := open(); err != nil {
					return err
				}
			}
			part, take := lines, records
			if l.chunkDone != nil && rows+records > chunkRows {
				take = chunkRows - rows
				part = lines[:lineEnd(lines, take)]
			}
			w.Write(part)
			size += int64(len(part))
			rows += take
			maxLine = max(maxLine, longestLine(part))
			lines, records = lines[len(part):], records-take
			if records > 0 {
				if carry == nil || carry.index != index {
					carry = &carriedFile{index: index}
				}
				carry.lines += take
			} else {
				if carry != nil && carry.index == index {
					carry = nil
				}
				if done != nil {
					settled = append(settled, *done)
					done = nil
				}
			}
			if size >= chunkBytes || rows >= chunkRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if done != nil {
			settled = append(settled, *done)
		}
		return nil
	}
	for sl := range lines {
		if l.chunkDone == nil || sl.big != nil {
			// With chunkDone the sum travels with the settled file (a map
			// of every file's sum was 14 MB of the 30-day ingest's heap).
			l.record(files[sl.file].id, sl.sum)
		}
		if sl.big != nil {
			big = append(big, *sl.big)
			continue
		}
		if sl.reason != "" {
			notCT := l.skip(&files[sl.file], sl.reason)
			if l.chunkDone != nil {
				settled = append(settled, settledFile{index: sl.file, reason: sl.reason, notCT: notCT, sum: sl.sum})
			}
			continue
		}
		var done *settledFile
		if l.chunkDone != nil {
			done = &settledFile{index: sl.file, records: sl.records, sum: sl.sum}
		} else {
			l.streamed[files[sl.file].id] = sl.records
		}
		err := write(sl.line, sl.records, sl.file, done)
		putOut(sl.line)
		if err != nil {
			return nil, err
		}
	}
	ferr := flush()
	// The workers are done and their buffers are garbage; DuckDB is still
	// ingesting the last chunk (all of it, for a narrowed load), its
	// memory peak. Returning the Go heap's free pages first keeps the two
	// from adding up.
	debug.FreeOSMemory()
	if err := finish(); err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load CloudTrail files: %w", err)
	}
	for i := range stats {
		l.stats.add(&stats[i])
	}
	sort.Slice(big, func(i, j int) bool { return big[i].id < big[j].id })
	return big, nil
}

// streamFile reads one file and returns the records filter keeps as NDJSON
// lines (see splitRecords): each record with its newlines folded (JSON
// strings cannot hold a raw newline, so only whitespace changes) and the
// provenance keys injected after its opening brace.
// A file whose decompressed size exceeds bigAbove is not read: big is true
// and f's sizes are filled in.
func streamFile(sc *scratch, f *sourceFile, bigAbove int64, filter *recordFilter) (lines []byte, records int, reason string, big bool) {
	// A file bigger than bigAbove on disk is big whatever it holds; a gzip
	// file is big if its trailer says it decompresses to more.
	path := f.path()
	sc.hashed = false
	raw, more, err := readUpTo(path, sc.raw, int(min(bigAbove, 1<<30)))
	sc.raw = raw
	sc.src = fileSum{}
	if err == nil && !more && !sc.noHash {
		// The whole file is in raw: hash the bytes that are parsed.
		sc.src = fileSum{ok: true, size: int64(len(raw)), sha: sha256.Sum256(raw)}
	}
	if err != nil {
		return nil, 0, "cannot open: " + err.Error(), false
	}
	if more {
		f.size, f.estimatedUncompressed = bigAbove+1, bigAbove+1
		if fh, err := os.Open(path); err == nil {
			_ = estimateSize(f, fh) // a file that fails here is reported by the per-record path
			fh.Close()
		}
		return nil, 0, "", true
	}
	f.size = int64(len(raw))
	f.estimatedUncompressed = estimateFromTrailer(f.name, raw)
	if f.estimatedUncompressed > bigAbove {
		return nil, 0, "", true
	}
	doc := raw
	if isGzipData(raw) {
		var err error
		if sc.zr == nil {
			sc.zr, err = gzip.NewReader(bytes.NewReader(raw))
		} else {
			err = sc.zr.Reset(bytes.NewReader(raw))
		}
		if err != nil {
			sc.zr = nil
			return nil, 0, "not gzip: " + err.Error(), false
		}
		buf := &sc.buf
		buf.Reset()
		buf.Grow(int(min(f.estimatedUncompressed, f.size*200)) + 512)
		if _, err := io.Copy(buf, sc.zr); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, 0, "truncated gzip: unexpected EOF", false
			}
			return nil, 0, "corrupt gzip: " + err.Error(), false
		}
		doc = buf.Bytes()
	}
	if sc.hash {
		sc.sum, sc.hashed = sha256.Sum256(doc), true
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, 0, "empty file", false
	}
	if doc[0] != '{' {
		return nil, 0, "not CloudTrail JSON: not a JSON object", false
	}
	out := *(outPool.Get().(*[]byte))
	out, n, reason := splitChecked(out[:0], doc, provenance(*f), filter)
	if reason != "" || len(out) == 0 {
		putOut(out)
		return nil, n, reason, false
	}
	return out, n, "", false
}

// scratch is one worker's reusable buffers: per-file garbage was most of
// the Go heap's growth.
type scratch struct {
	raw []byte
	buf bytes.Buffer
	zr  *gzip.Reader
	// hash asks for the SHA-256 of each file's inflated content (sum, set
	// when hashed; see Options.FileRead).
	hash   bool
	hashed bool
	sum    [32]byte
	// src is the size and SHA-256 of the file's bytes as stored (chain of
	// custody), unless noHash.
	src    fileSum
	noHash bool
}

// outPool recycles the line buffers the collector has written.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func putOut(b []byte) {
	if cap(b) <= 4<<20 {
		outPool.Put(&b)
	}
}

// provenance is the opening of a line: the source file and its partition
// columns (null for plain files, which take them from each event).
func provenance(f sourceFile) []byte {
	q := func(s string, ok bool) string {
		if !ok {
			return "null"
		}
		b, _ := json.Marshal(s)
		return string(b)
	}
	return []byte(`{"ctathena_src":` + strconv.Itoa(int(f.id)) + `,"ctathena_account":` + q(f.dir.account, f.dir.layout) +
		`,"ctathena_region":` + q(f.dir.region, f.dir.layout) + `,"ctathena_day":` + q(f.dir.day, f.dir.layout))
}

// longestLine is the length of the longest line in b.
func longestLine(b []byte) int64 {
	var m int64
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		} else {
			i++
		}
		m = max(m, int64(i))
		b = b[i:]
	}
	return m
}

// ingestChunk loads one chunk of record lines and returns the rows it
// inserted. A line DuckDB cannot parse is skipped: ignore_errors reads it
// as a row of NULLs (ctathena_src too, which Go writes on every line), and
// the WHERE drops it; its file then has fewer rows than Go wrote, which
// loader.account (or chunkDone) notices.
func (l *loader) ingestChunk(ctx context.Context, path string, maxLine int64) (int64, error) {
	var cols, types []string
	for _, f := range l.fields {
		cols = append(cols, `"`+f.json+`"`)
		types = append(types, `"`+f.json+`": `+sqlString(compact(f.typ)))
	}
	q := `INSERT INTO ` + table + ` SELECT ` + strings.Join(cols, ", ") + `,
		coalesce(ctathena_account, recipientAccountId),
		coalesce(ctathena_region, awsRegion),
		coalesce(ctathena_day, replace(substr(eventTime, 1, 10), '-', '/')),
		ctathena_src, false, false
	FROM read_json(` + sqlString(path) + `,
		columns = {ctathena_src: 'INTEGER', ctathena_account: 'VARCHAR', ctathena_region: 'VARCHAR',
			ctathena_day: 'VARCHAR', ` + strings.Join(types, ", ") + `},
		format = 'newline_delimited',
		ignore_errors = true,
		maximum_object_size = ` + fmt.Sprint(max(int64(1<<20), maxLine+1024)) + `)
	WHERE ctathena_src IS NOT NULL`
	n, err := l.execLoad(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("load CloudTrail files: %w", err)
	}
	return n, nil
}

// execLoad runs a load statement. The lean load memory limit is measured,
// not guaranteed: a statement that runs out of memory (a chunk of unusually
// wide records, a file too big to stream) is retried (an INSERT is atomic)
// with more, the larger limit staying for the rest of the load. A limit the
// caller chose is kept. It returns the rows the statement changed.
func (l *loader) execLoad(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := l.db.ExecContext(ctx, q, args...)
	for isOOM(err) && ctx.Err() == nil {
		cur, perr := ParseSize(l.memoryLimit)
		if perr != nil || cur >= l.ceiling {
			break
		}
		more := mib(moreMemory(cur, 256<<20, l.ceiling))
		if _, serr := l.db.ExecContext(ctx, "SET memory_limit = "+sqlString(more)); serr != nil {
			break
		}
		l.memoryLimit = more
		res, err = l.db.ExecContext(ctx, q, args...)
	}
	if isOOM(err) {
		return 0, fmt.Errorf("DuckDB ran out of memory at %s while loading (spilling to %s/spill beyond it): run again with a larger --memory, such as --memory %s", l.memoryLimit, l.tmp, mib(2*l.ceiling))
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// windowStrings are the window's bounds as eventTime strings ("" =
// unbounded), compared the way windowFilter compares them.
func (l *loader) windowStrings() (from, to string) {
	if !l.from.IsZero() {
		from = l.from.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !l.to.IsZero() {
		to = l.to.UTC().Format("2006-01-02T15:04:05Z")
	}
	return from, to
}

// recordFilter is what the stream workers keep: the window and the
// narrowing (see Options.Narrow), as eventTime strings.
func (l *loader) recordFilter() *recordFilter {
	f := &recordFilter{}
	f.from, f.to = l.windowStrings()
	if len(l.fields) < len(recordFields) {
		f.keys = map[string]bool{}
		for _, fd := range l.fields {
			f.keys[fd.json] = true
		}
	}
	if l.narrow != nil && len(l.narrow.Events) > 0 {
		f.events = map[string]map[string]bool{}
		for src, names := range l.narrow.Events {
			var m map[string]bool
			if len(names) > 0 {
				m = map[string]bool{}
				for _, n := range names {
					m[n] = true
				}
			}
			f.events[src] = m
		}
	}
	if beforeActive(l.narrow, l.from) {
		f.before = l.narrow.Before.UTC().Format("2006-01-02T15:04:05Z")
		f.keep = map[string]map[string]bool{}
		for src, names := range l.narrow.Keep {
			m := map[string]bool{}
			for _, n := range names {
				m[n] = true
			}
			f.keep[src] = m
		}
	}
	return f
}

// eventPredicates is m (eventSource -> eventNames; a nil set is every name,
// an empty one none) as SQL alternatives over the record r, in a stable
// order, with their arguments.
func eventPredicates(m map[string]map[string]bool) (alts []string, args []any) {
	srcs := make([]string, 0, len(m))
	for s := range m {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for _, s := range srcs {
		if m[s] == nil {
			alts = append(alts, "r.eventSource = ?")
			args = append(args, s)
			continue
		}
		names := make([]string, 0, len(m[s]))
		for n := range m[s] {
			names = append(names, n)
		}
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		alts = append(alts, "(r.eventSource = ? AND r.eventName IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")+"))")
		args = append(args, s)
		for _, n := range names {
			args = append(args, n)
		}
	}
	return alts, args
}

// windowFilter keeps events inside [from, to), narrowed like recordFilter,
// and every placeholder row (files read directly, see insert).
func (l *loader) windowFilter() (string, []any) {
	var where []string
	var args []any
	f := l.recordFilter()
	if f.from != "" {
		where = append(where, "r.eventTime >= ?")
		args = append(args, f.from)
	}
	if f.to != "" {
		where = append(where, "r.eventTime < ?")
		args = append(args, f.to)
	}
	if f.events != nil {
		alts, a := eventPredicates(f.events)
		where = append(where, "("+strings.Join(alts, " OR ")+")")
		args = append(args, a...)
	}
	if f.before != "" {
		alts, a := eventPredicates(f.keep)
		alts = append([]string{"r.eventTime IS NULL", "r.eventTime >= ?"}, alts...)
		args = append(append(args, f.before), a...)
		where = append(where, "("+strings.Join(alts, " OR ")+")")
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE r IS NULL OR (" + strings.Join(where, " AND ") + ")", args
}
