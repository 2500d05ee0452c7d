//go:build !unix

package local

import (
	"bytes"
	"io"
	"os"
)

// readUpTo reads the file at path into buf (reused), at most limit bytes;
// more reports that the file holds more than limit. See readfile_unix.go.
func readUpTo(path string, buf []byte, limit int) ([]byte, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], false, err
	}
	defer f.Close()
	b := bytes.NewBuffer(buf[:0])
	n, err := io.Copy(b, io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return b.Bytes(), false, err
	}
	if n > int64(limit) {
		return b.Bytes()[:limit], true, nil
	}
	return b.Bytes(), false, nil
}
