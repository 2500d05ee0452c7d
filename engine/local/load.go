package local

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// minObjectSize is DuckDB's default maximum_object_size; larger files raise
// the limit to fit (see loader.objectSize).
const minObjectSize = 16 << 20

// loader reads source files into the events table, batch by batch, and
// isolates unreadable files by bisection.
type loader struct {
	db       *sql.DB
	from, to time.Time
	narrow   *Narrow
	tmp      string
	batch    int
	// format is read_json's format option; "unstructured" measured fastest
	// (see bench_test.go).
	format  string
	skipped []engine.SkippedFile
	// notCT are plain files that turned out not to be CloudTrail logs
	// (listed, not a gap; see skip).
	notCT []engine.SkippedFile
	links int // names files made in tmp
	// autodetect makes insert only read the files with DuckDB's schema
	// inference (benchmark comparison; the result is not loaded).
	autodetect bool
	// transcodeAbove is the size above which files are rewritten per line.
	transcodeAbove int64
	// streamed maps each file read by the stream workers (by id) to the
	// number of records they wrote for it.
	streamed map[int32]int
	// skippedIDs are the files in skipped.
	skippedIDs map[int32]bool
	// memoryLimit is DuckDB's memory_limit while loading; ceiling is the
	// most a statement that runs out of memory may raise it to.
	memoryLimit string
	ceiling     int64
	// stats is what narrowing dropped (see Narrow).
	stats splitStats
	// fileRead is Options.FileRead.
	fileRead func(path string, sha256 []byte)
	// inflateHash asks for each file's inflated SHA-256 for fileRead: only
	// when the folder holds digest files, the only use of that hash.
	inflateHash bool
	// fields are the record columns loaded (see Options.Columns).
	fields []field
	// sums are the size and SHA-256 of every file read whole, by id (with
	// chunkDone, of the files read directly: the streamed files' sums
	// travel in their settledFile).
	sums   map[int32]fileSum
	noHash bool // benchmark baseline only
	// chunkDone, if set, is called by streamLoad after each chunk's rows
	// are in the table (inserted of its lines; 0 and no chunk when only
	// files without rows settled), in order, with the files whose last
	// lines the chunk held or that have none (settled) and the file whose
	// lines continue in the next chunk (carry): the evidence store commits
	// them. Chunks are then exactly chunkRows lines (see streamLoad),
	// and the caller accounts for the files itself (see store.go's
	// ingestBatch): load is not used.
	chunkDone func(ctx context.Context, files []sourceFile, inserted, lines int64, settled []settledFile, carry *carriedFile) error
	// chunkRows is the rows at which streamLoad hands a chunk over (0:
	// streamChunkRows).
	chunkRows int
}

// fileSum is a source file's size and SHA-256, taken from the bytes the
// loader read (ok false: the file was not read whole).
type fileSum struct {
	ok   bool
	size int64
	sha  [32]byte
}

// hashReader hashes what is read through it; finish reads the rest of the
// file, so the sum covers every byte even when the parser stopped early.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err != nil && err != io.EOF {
		h.err = err
	}
	return n, err
}

func (h *hashReader) finish() fileSum {
	if _, err := io.Copy(io.Discard, h); err != nil || h.err != nil {
		return fileSum{}
	}
	s := fileSum{ok: true, size: h.n}
	h.h.Sum(s.sha[:0])
	return s
}

func (l *loader) record(id int32, s fileSum) {
	if !s.ok {
		return
	}
	if l.sums == nil {
		l.sums = map[int32]fileSum{}
	}
	l.sums[id] = s
}

func (l *loader) load(ctx context.Context, files []sourceFile) error {
	// Small files (nearly all CloudTrail deliveries) stream through Go into
	// NDJSON chunks; big ones are rewritten per record and read directly.
	// Sizes are read by the streaming workers (one open per file); a file
	// too big to stream is handed back and rewritten per record.
	if l.autodetect {
		estimateAll(files)
		return l.loadAll(ctx, files)
	}
	l.streamed = make(map[int32]int, len(files))
	big, err := l.streamLoad(ctx, files, 2)
	if err != nil {
		return err
	}
	if err := l.loadAll(ctx, big); err != nil {
		return err
	}
	return l.account(ctx, files, len(big) > 0)
}

// account makes sure every file is either loaded or reported. A streamed
// file must have exactly as many rows as records Go wrote for it; one that
// has fewer had a record rejected by DuckDB, so its rows are removed and
// it is reported, as a file that could not be read. Files read directly
// (big ones) must have left a row: files that parsed without a "Records"
// array left a placeholder, and files that left nothing are checked for
// being cut off or empty. Then the placeholder rows are removed.
func (l *loader) account(ctx context.Context, files []sourceFile, direct bool) error {
	if len(files) == 0 {
		return nil
	}
	// Only the rows of the files' ids are looked at: the evidence store's
	// table holds earlier ingests too.
	lo, hi := files[0].id, files[0].id
	for _, f := range files {
		lo, hi = min(lo, f.id), max(hi, f.id)
	}
	rows, err := l.db.QueryContext(ctx, `SELECT src, count(*), bool_or(norecords) FROM `+table+` WHERE src BETWEEN ? AND ? GROUP BY src`, lo, hi)
	if err != nil {
		return fmt.Errorf("list loaded files: %w", err)
	}
	loaded := map[int32]int{}
	noRecords := map[int32]bool{}
	for rows.Next() {
		var id sql.NullInt32
		var n int
		var nr sql.NullBool
		if err := rows.Scan(&id, &n, &nr); err != nil {
			rows.Close()
			return fmt.Errorf("list loaded files: %w", err)
		}
		loaded[id.Int32] = n
		if nr.Bool {
			noRecords[id.Int32] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list loaded files: %w", err)
	}
	for i := range files {
		if noRecords[files[i].id] {
			l.skip(&files[i], `not CloudTrail JSON: no "Records" array`)
		}
	}
	var rejected []int32
	for i := range files {
		f := &files[i]
		if l.skippedIDs[f.id] {
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("check files: %w", ctx.Err())
		}
		if want, ok := l.streamed[f.id]; ok {
			if loaded[f.id] != want {
				rejected = append(rejected, f.id)
				l.skip(f, diagnose(f.path(), errors.New("the JSON reader rejected a record")))
			}
			continue
		}
		if _, ok := loaded[f.id]; ok {
			continue
		}
		if reason := silentReason(f.path()); reason != "" {
			l.skip(f, reason)
		}
	}
	if len(rejected) > 0 {
		if _, err := l.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE src IN (SELECT unnest(?::INTEGER[]))`, rejected); err != nil {
			return fmt.Errorf("drop rejected files: %w", err)
		}
	}
	if direct {
		if _, err := l.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE src BETWEEN ? AND ? AND (norecords OR marker)`, lo, hi); err != nil {
			return fmt.Errorf("drop placeholder rows: %w", err)
		}
	}
	return nil
}

// skip reports f as unreadable, for reason; notCT says it was listed as
// not a CloudTrail log instead.
func (l *loader) skip(f *sourceFile, reason string) (notCT bool) {
	if l.skippedIDs == nil {
		l.skippedIDs = map[int32]bool{}
	}
	l.skippedIDs[f.id] = true
	if notCloudTrail(f, reason) {
		l.notCT = append(l.notCT, engine.SkippedFile{Path: f.path(), Reason: reason})
		return true
	}
	l.skipped = append(l.skipped, engine.SkippedFile{Path: f.path(), Reason: reason})
	return false
}

// notCloudTrail reports whether a file skipped for reason is not a
// CloudTrail log at all. Outside AWSLogs/ a folder holds what the responder
// put there: other JSON, notes, an earlier report. A file that does not
// even start like a CloudTrail log is not a log that could not be read.
func notCloudTrail(f *sourceFile, reason string) bool {
	return !f.dir.layout && strings.HasPrefix(reason, "not CloudTrail JSON") && !sniff(f.path())
}

// silentReason says why a file that DuckDB read without error and without a
// row is unreadable, or "" when it is whole.
func silentReason(path string) string {
	_, reason := readLog(path)
	return reason
}

// readLog reads a log file whole, through gzip when its name says so, and
// says why it cannot ("" when it can): a truncated or corrupt stream is
// named as such before anyone tries to parse it.
func readLog(path string) ([]byte, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "cannot open: " + err.Error()
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); isGzipData(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "not gzip: " + err.Error()
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, "truncated gzip: unexpected EOF"
	case err != nil:
		return nil, "corrupt file: " + err.Error()
	case len(b) == 0:
		return nil, "empty file"
	}
	return b, ""
}

func (l *loader) loadAll(ctx context.Context, files []sourceFile) error {
	if l.batch <= 0 {
		l.batch = 512
	}
	for start := 0; start < len(files); start += l.batch {
		end := min(start+l.batch, len(files))
		batch, cleanup, err := l.prepare(ctx, files[start:end])
		if err != nil {
			return err
		}
		err = l.loadBisect(ctx, batch)
		cleanup()
		if err != nil {
			return err
		}
	}
	return nil
}

// loadBisect loads files in one statement; if DuckDB rejects the batch it
// splits it in two and retries each half, so one bad file costs a few
// re-reads of its neighbours instead of a per-file pass over everything.
// Each INSERT is atomic, so a failed attempt leaves nothing behind.
func (l *loader) loadBisect(ctx context.Context, files []sourceFile) error {
	err := l.insert(ctx, files)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("load CloudTrail files: %w", ctx.Err())
	}
	if len(files) == 1 {
		l.skip(&files[0], diagnose(files[0].path(), err))
		return nil
	}
	mid := len(files) / 2
	if err := l.loadBisect(ctx, files[:mid]); err != nil {
		return err
	}
	return l.loadBisect(ctx, files[mid:])
}

// insert reads files with one read_json call. Partition columns come from
// the path for layout files and from each event for plain files.
func (l *loader) insert(ctx context.Context, files []sourceFile) error {
	paths := make([]string, len(files))
	var maxSize int64
	var values strings.Builder
	for i, f := range files {
		p := f.readAs
		if p == "" {
			p = f.path()
		}
		paths[i] = sqlString(p)
		maxSize = max(maxSize, f.estimatedUncompressed)
		if i > 0 {
			values.WriteString(", ")
		}
		if f.dir.layout {
			fmt.Fprintf(&values, "(%s, %d, %s, %s, %s)", sqlString(p), f.id, sqlString(f.dir.account), sqlString(f.dir.region), sqlString(f.dir.day))
		} else {
			fmt.Fprintf(&values, "(%s, %d, NULL, NULL, NULL)", sqlString(p), f.id)
		}
	}
	filter, args := l.windowFilter()
	var cols []string
	for _, f := range l.fields {
		cols = append(cols, `r."`+f.json+`"`)
	}
	q := `INSERT INTO ` + table + ` SELECT ` + strings.Join(cols, ", ") + `,
		coalesce(f.account, r.recipientAccountId),
		coalesce(f.region, r.awsRegion),
		coalesce(f.day, replace(substr(r.eventTime, 1, 10), '-', '/')),
		f.real, r IS NULL, false
	FROM (
		SELECT filename, unnest(CASE WHEN Records IS NULL THEN [NULL] ELSE Records END) AS r
		FROM read_json([` + strings.Join(paths, ", ") + `],
			columns = {Records: ` + sqlString(recordType(l.fields)+"[]") + `},
			format = ` + sqlString(l.format) + `,
			filename = true,
			maximum_object_size = ` + fmt.Sprint(objectSize(maxSize)) + `)
	) s
	JOIN (VALUES ` + values.String() + `) f(path, real, account, region, day) ON f.path = s.filename` + filter
	if l.autodetect {
		q = `SELECT count(*) FROM (SELECT unnest(Records) FROM read_json([` + strings.Join(paths, ", ") + `],
			union_by_name = true, format = ` + sqlString(l.format) + `,
			maximum_object_size = ` + fmt.Sprint(objectSize(maxSize)) + `))`
		args = nil
	}
	_, err := l.execLoad(ctx, q, args...)
	return err
}

// objectSize is the read_json maximum_object_size for a batch: each file is
// one JSON object, so the limit must exceed the biggest file; it is not
// set higher than needed because DuckDB sizes its read buffers from it.
func objectSize(maxUncompressed int64) int64 {
	n := maxUncompressed + maxUncompressed/8 + 1<<20
	if n < minObjectSize {
		return minObjectSize
	}
	if n > 4<<30-1 {
		return 4<<30 - 1
	}
	return n
}

// defaultTranscodeAbove is the uncompressed size above which a file is rewritten
// as one small JSON document per line before DuckDB reads it. DuckDB parses
// a file that is one JSON object into memory whole, needing about seven
// times its size; a 20 MiB file did not fit a 160 MB memory_limit. Per-line
// documents keep the reader's memory proportional to one event.
const defaultTranscodeAbove = 4 << 20

// prepare gives each file of a batch the path DuckDB will read: the file
// itself, a link with a plain name (DuckDB expands glob characters in file
// names), or a per-line rewrite of a big file. Files that fail to rewrite
// are skipped with their reason. cleanup removes what prepare wrote.
func (l *loader) prepare(ctx context.Context, files []sourceFile) ([]sourceFile, func(), error) {
	var made []string
	cleanup := func() {
		for _, p := range made {
			os.Remove(p)
		}
	}
	out := make([]sourceFile, 0, len(files))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			cleanup()
			return nil, func() {}, fmt.Errorf("load CloudTrail files: %w", err)
		}
		switch {
		case f.estimatedUncompressed > l.transcodeAbove:
			l.links++
			dst := filepath.Join(l.tmp, fmt.Sprintf("big%06d.ndjson", l.links))
			made = append(made, dst)
			st := splitStats{plain: !f.dir.layout}
			var sum fileSum
			maxLine, err := transcode(f.path(), dst, l.recordFilter(), &st, &sum)
			l.record(f.id, sum)
			if err != nil {
				l.skip(&f, diagnose(f.path(), err))
				continue
			}
			l.stats.add(&st)
			f.readAs = dst
			f.estimatedUncompressed = maxLine
		case strings.ContainsAny(f.path(), "*?[]{}"):
			l.links++
			ext := ".json"
			if isGzip(f.name) {
				ext = ".json.gz"
			}
			link := filepath.Join(l.tmp, fmt.Sprintf("f%06d%s", l.links, ext))
			if err := os.Symlink(f.path(), link); err != nil {
				cleanup()
				return nil, func() {}, fmt.Errorf("link %s under a plain name: %w", f.path(), err)
			}
			made = append(made, link)
			f.readAs = link
		}
		out = append(out, f)
	}
	return out, cleanup, nil
}

// transcode streams path's Records array into dst as one
// {"Records":[event]} document per line, so the same load SQL reads it,
// leaving out the records filter drops (counted into st). A file without a
// Records array becomes one "{}" line, which the loader reports like any
// other. It returns the longest line written, and sets sum to the file's
// size and SHA-256 from the bytes it read.
func transcode(path, dst string, filter *recordFilter, st *splitStats, sum *fileSum) (int64, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("cannot open: %v", err)
	}
	defer in.Close()
	h := &hashReader{r: in, h: sha256.New()}
	defer func() { *sum = h.finish() }()
	br := bufio.NewReaderSize(h, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); isGzipData(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("not gzip: %v", err)
		}
		r = zr
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, fmt.Errorf("cannot rewrite for reading: %v", err)
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	dec := json.NewDecoder(r)
	var maxLine int64
	bad := func(err error) error {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("truncated: unexpected EOF")
		}
		return fmt.Errorf("not CloudTrail JSON: %v", err)
	}
	if tok, err := dec.Token(); err != nil {
		return 0, bad(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return 0, errors.New("not CloudTrail JSON: not a JSON object")
	}
	found := false
	var buf bytes.Buffer
	// Narrowing counts only once the whole file has been read.
	var cut struct {
		narrowed, noTime int64
		parts            []partition
	}
	judged := *filter
	judged.stats = st
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, bad(err)
		}
		if key, _ := tok.(string); key != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, bad(err)
			}
			continue
		}
		if tok, err := dec.Token(); err != nil {
			return 0, bad(err)
		} else if d, ok := tok.(json.Delim); !ok || d != '[' {
			return 0, errors.New(`not CloudTrail JSON: "Records" is not an array`)
		}
		found = true
		for dec.More() {
			var rec json.RawMessage
			if err := dec.Decode(&rec); err != nil {
				return 0, bad(err)
			}
			buf.Reset()
			buf.WriteString(`{"Records":[`)
			if err := json.Compact(&buf, rec); err != nil {
				return 0, bad(err)
			}
			if one := buf.Bytes()[len(`{"Records":[`):]; len(one) > 0 && one[0] == '{' {
				var part partition
				var dropped *partition
				if st.plain {
					dropped = &part
				}
				if keep, narrowed, _, noTime := judged.judge(one, 0, dropped, nil); !keep {
					if noTime {
						cut.noTime++
					}
					if narrowed {
						cut.narrowed++
						if dropped != nil {
							cut.parts = append(cut.parts, part)
						}
					}
					continue
				}
			}
			buf.WriteString("]}\n")
			maxLine = max(maxLine, int64(buf.Len()))
			if _, err := w.Write(buf.Bytes()); err != nil {
				return 0, fmt.Errorf("cannot rewrite for reading: %v", err)
			}
		}
		if _, err := dec.Token(); err != nil {
			return 0, bad(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return 0, bad(err)
	}
	if !found {
		w.WriteString("{}\n")
	}
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("cannot rewrite for reading: %v", err)
	}
	if err := out.Close(); err != nil {
		return 0, fmt.Errorf("cannot rewrite for reading: %v", err)
	}
	st.narrowed += cut.narrowed
	st.noTime += cut.noTime
	for _, p := range cut.parts {
		if st.parts == nil {
			st.parts = map[partition]bool{}
		}
		st.parts[p] = true
	}
	return maxLine, nil
}

func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// diagnose explains in plain words why DuckDB could not read a file. It
// reads the file again in Go, which is cheap because only files that already
// failed get here, and falls back to DuckDB's own message.
func diagnose(path string, duckErr error) string {
	b, reason := readLog(path)
	if reason != "" {
		return reason
	}
	var doc struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return "not CloudTrail JSON: " + err.Error()
	}
	if doc.Records == nil {
		return `not CloudTrail JSON: no "Records" array`
	}
	for i, rec := range doc.Records {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(rec, &obj); err != nil {
			return fmt.Sprintf("not CloudTrail JSON: record %d is not an object", i+1)
		}
	}
	return "unreadable: " + firstLine(duckErr.Error())
}

// nestedText renders a nested DuckDB value (list, struct, map) as JSON text.
func nestedText(v any) string {
	b, err := json.Marshal(plain(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
