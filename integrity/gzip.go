package integrity

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"sync"

	gzip "github.com/klauspost/compress/gzip"
)

// contentHash is what CloudTrail hashes of a file: the SHA-256 of its
// uncompressed content, which for a gzip file is its first member. Bytes
// after that member are counted apart: AWS's own validator hashes only the
// first member and so passed a log file with a second member appended, which
// gzip, zcat, DuckDB and Athena all read as more records.
type contentHash struct {
	sum [32]byte
	// trailing is the number of bytes after the first gzip member.
	trailing int64
	// data is the uncompressed content, when asked for.
	data []byte
}

// readers are reused: a 150,000-file month allocated 64 KiB and a gzip
// reader per file otherwise.
type readers struct {
	br  *bufio.Reader
	zr  *gzip.Reader
	h   hash.Hash
	buf []byte
}

var readerPool = sync.Pool{New: func() any {
	return &readers{br: bufio.NewReaderSize(nil, 64<<10), h: sha256.New(), buf: make([]byte, 64<<10)}
}}

// hashContent reads r to its end. keep keeps the uncompressed bytes.
func hashContent(r io.Reader, keep bool) (contentHash, error) {
	rd := readerPool.Get().(*readers)
	defer func() {
		rd.br.Reset(nil)
		readerPool.Put(rd)
	}()
	br := rd.br
	br.Reset(r)
	h := rd.h
	h.Reset()
	var buf *bytes.Buffer
	var w io.Writer = h
	if keep {
		buf = &bytes.Buffer{}
		w = io.MultiWriter(h, buf)
	}
	var out contentHash
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		// Not gzip: the content is the bytes themselves.
		if _, err := io.CopyBuffer(w, onlyReader{br}, rd.buf); err != nil {
			return out, err
		}
	} else {
		var err error
		if rd.zr == nil {
			rd.zr, err = gzip.NewReader(br)
		} else {
			err = rd.zr.Reset(br)
		}
		if err != nil {
			return out, fmt.Errorf("not a gzip file: %v", err)
		}
		zr := rd.zr
		zr.Multistream(false)
		if _, err := io.CopyBuffer(w, onlyReader{zr}, rd.buf); err != nil {
			return out, fmt.Errorf("gzip content unreadable: %v", err)
		}
		if err := zr.Close(); err != nil {
			return out, fmt.Errorf("gzip content unreadable: %v", err)
		}
		n, err := io.CopyBuffer(io.Discard, onlyReader{br}, rd.buf)
		if err != nil {
			return out, err
		}
		out.trailing = n
	}
	copy(out.sum[:], h.Sum(nil))
	if keep {
		out.data = buf.Bytes()
	}
	return out, nil
}

// onlyReader hides WriterTo so io.CopyBuffer uses the pooled buffer.
type onlyReader struct{ io.Reader }
