package local

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ctathena/ctathena/engine"
)

// Why the loader streams: CloudTrail delivers one small file per account,
// region and five minutes, so an organization's month is well over 100,000
// files of a few KB. Handed to read_json file by file, DuckDB spends its
// time opening files and sizing buffers (measured: 310 s for 149,182 files
// and 500,000 events, against 23 s for a plain Go reader). Instead, Go
// workers decompress the files and write each one as one line of a large
// newline-delimited JSON chunk, with the file's provenance and partition
// columns injected as extra keys; DuckDB then ingests a chunk at a time.

// streamChunkBytes is the size at which a chunk is handed to DuckDB.
const streamChunkBytes = 48 << 20

type streamLine struct {
	file   int
	line   []byte
	reason string // non-empty: the file is unreadable, and why
	big    *sourceFile // set: too big to stream, read it per record
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
	jobs := make(chan int)
	lines := make(chan streamLine, 2*workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f := files[i]
				line, reason, big := streamFile(&f, l.transcodeAbove)
				sl := streamLine{file: i, line: line, reason: reason}
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

	var chunk *os.File
	var w *bufio.Writer
	var size, maxLine int64
	n := 0
	flush := func() error {
		if chunk == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write load chunk: %w", err)
		}
		name := chunk.Name()
		chunk.Close()
		chunk = nil
		defer os.Remove(name)
		return l.ingestChunk(ctx, name, maxLine)
	}
	var big []sourceFile
	for sl := range lines {
		if sl.big != nil {
			big = append(big, *sl.big)
			continue
		}
		if sl.reason != "" {
			l.skipped = append(l.skipped, engine.SkippedFile{Path: files[sl.file].path, Reason: sl.reason})
			continue
		}
		if chunk == nil {
			n++
			f, err := os.Create(filepath.Join(l.tmp, fmt.Sprintf("chunk%05d.ndjson", n)))
			if err != nil {
				return nil, fmt.Errorf("create load chunk: %w", err)
			}
			chunk, w, size, maxLine = f, bufio.NewWriterSize(f, 1<<20), 0, 0
		}
		w.Write(sl.line)
		size += int64(len(sl.line))
		maxLine = max(maxLine, int64(len(sl.line)))
		if size >= streamChunkBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load CloudTrail files: %w", err)
	}
	sort.Slice(big, func(i, j int) bool { return big[i].path < big[j].path })
	return big, flush()
}

// streamFile reads one file and returns it as one NDJSON line: the
// document with its newlines folded (JSON strings cannot hold a raw
// newline, so only whitespace changes) and the provenance keys injected
// after its opening brace.
// A file whose decompressed size exceeds bigAbove is not read: big is true
// and f's sizes are filled in.
func streamFile(f *sourceFile, bigAbove int64) (line []byte, reason string, big bool) {
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, "cannot open: " + err.Error(), false
	}
	defer fh.Close()
	if err := estimateSize(f, fh); err != nil {
		return nil, "cannot open: " + err.Error(), false
	}
	if f.estimatedUncompressed > bigAbove {
		return nil, "", true
	}
	raw := make([]byte, f.size)
	if _, err := io.ReadFull(fh, raw); err != nil {
		return nil, "cannot open: " + err.Error(), false
	}
	doc := raw
	if strings.HasSuffix(strings.ToLower(f.path), ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, "not gzip: " + err.Error(), false
		}
		var buf bytes.Buffer
		buf.Grow(len(raw) * 8)
		if _, err := io.Copy(&buf, zr); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, "truncated gzip: unexpected EOF", false
			}
			return nil, "corrupt gzip: " + err.Error(), false
		}
		doc = buf.Bytes()
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, "empty file", false
	}
	if doc[0] != '{' {
		return nil, "not CloudTrail JSON: not a JSON object", false
	}
	prefix := provenance(*f)
	rest := bytes.TrimLeft(doc[1:], " \t\r\n")
	out := make([]byte, 0, len(prefix)+len(doc)+2)
	out = append(out, prefix...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	for _, c := range rest {
		if c == '\n' || c == '\r' {
			c = ' '
		}
		out = append(out, c)
	}
	return append(out, '\n'), "", false
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
	return []byte(`{"ctathena_src":` + q(f.path, true) + `,"ctathena_account":` + q(f.account, f.layout) +
		`,"ctathena_region":` + q(f.region, f.layout) + `,"ctathena_day":` + q(f.day, f.layout))
}

// ingestChunk loads one chunk. A line DuckDB cannot parse is skipped
// (ignore_errors) and its file has no marker row afterwards, which the
// loader reports; every parsed line yields one marker row besides its
// events, so a file whose events all fall outside the window still shows
// it was read.
func (l *loader) ingestChunk(ctx context.Context, path string, maxLine int64) error {
	var cols []string
	for _, f := range recordFields {
		cols = append(cols, `r."`+f.json+`"`)
	}
	where, args := l.windowFilter()
	q := `INSERT INTO ` + table + ` SELECT ` + strings.Join(cols, ", ") + `,
		coalesce(s.ctathena_account, r.recipientAccountId),
		coalesce(s.ctathena_region, r.awsRegion),
		coalesce(s.ctathena_day, replace(substr(r.eventTime, 1, 10), '-', '/')),
		s.ctathena_src, s.norecords, r IS NULL
	FROM (
		SELECT ctathena_src, ctathena_account, ctathena_region, ctathena_day, Records IS NULL AS norecords,
			unnest(CASE WHEN Records IS NULL THEN [NULL] ELSE list_append(Records, NULL) END) AS r
		FROM read_json(` + sqlString(path) + `,
			columns = {ctathena_src: 'VARCHAR', ctathena_account: 'VARCHAR', ctathena_region: 'VARCHAR',
				ctathena_day: 'VARCHAR', Records: ` + sqlString(recordType()+"[]") + `},
			format = 'newline_delimited',
			ignore_errors = true,
			maximum_object_size = ` + fmt.Sprint(max(int64(minObjectSize), maxLine+1024)) + `)
	) s` + where
	if _, err := l.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("load CloudTrail files: %w", err)
	}
	return nil
}

// windowFilter keeps events inside [from, to) and every marker row.
func (l *loader) windowFilter() (string, []any) {
	var where []string
	var args []any
	if !l.from.IsZero() {
		where = append(where, "r.eventTime >= ?")
		args = append(args, l.from.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if !l.to.IsZero() {
		where = append(where, "r.eventTime < ?")
		args = append(args, l.to.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE r IS NULL OR (" + strings.Join(where, " AND ") + ")", args
}
