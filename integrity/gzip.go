package integrity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
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

// hashContent reads r to its end. keep keeps the uncompressed bytes.
func hashContent(r io.Reader, keep bool) (contentHash, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h hash.Hash = sha256.New()
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
		if _, err := io.Copy(w, br); err != nil {
			return out, err
		}
	} else {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return out, fmt.Errorf("not a gzip file: %v", err)
		}
		zr.Multistream(false)
		if _, err := io.Copy(w, zr); err != nil {
			return out, fmt.Errorf("gzip content unreadable: %v", err)
		}
		if err := zr.Close(); err != nil {
			return out, fmt.Errorf("gzip content unreadable: %v", err)
		}
		n, err := io.Copy(io.Discard, br)
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
