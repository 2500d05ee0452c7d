package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
)

// SourceFiles is the list of source files a run read (Coverage.Files),
// held compactly: a month of an organization's trail is ~150,000 files,
// and as a []SourceFile, with a path string and a hex SHA-256 string per
// file, the 30-day benchmark tree's list took 42 MiB of Go heap (and
// Coverage copied it). Here a file is its folder (one string per folder),
// its name, its size and its SHA-256 as 32 bytes.
//
// The zero value is an empty list. A copy shares the files: add to one
// list only. It encodes to JSON exactly as the []SourceFile it holds
// would, and decodes from it.
type SourceFiles struct {
	dirs  []string
	files []sourceEntry
	// etags are the files' ETags (Athena's inventory), if any has one.
	etags []string
	// odd are SHA-256 strings that are not 64 lowercase hex digits, by
	// file (kept as they were given).
	odd map[int]string
}

type sourceEntry struct {
	name   string
	size   int64
	dir    int32 // index into dirs; -1: the path is name
	hasSum bool
	sum    [32]byte
}

// NewSourceFiles holds list, in its order.
func NewSourceFiles(list []SourceFile) SourceFiles {
	var l SourceFiles
	for _, f := range list {
		l.Append(f)
	}
	return l
}

// Len is the number of files.
func (l SourceFiles) Len() int { return len(l.files) }

// Grow makes room for n more files.
func (l *SourceFiles) Grow(n int) { l.files = slices.Grow(l.files, n) }

// Add adds the file name in the folder dir ("" for none: the path is
// name), with its size and SHA-256 (nil for none). It shares dir and
// name.
func (l *SourceFiles) Add(dir, name string, size int64, sum *[32]byte) {
	e := sourceEntry{name: name, size: size, dir: -1}
	if dir != "" {
		if n := len(l.dirs); n > 0 && l.dirs[n-1] == dir {
			e.dir = int32(n - 1)
		} else {
			l.dirs = append(l.dirs, dir)
			e.dir = int32(n)
		}
	}
	if sum != nil {
		e.hasSum, e.sum = true, *sum
	}
	l.files = append(l.files, e)
	if l.etags != nil {
		l.etags = append(l.etags, "")
	}
}

// Append adds f (its strings copied, so f's may be let go).
func (l *SourceFiles) Append(f SourceFile) {
	dir, name := "", f.Path
	if i := strings.LastIndexByte(f.Path, '/'); i > 0 {
		dir, name = f.Path[:i], f.Path[i+1:]
	}
	if n := len(l.dirs); dir != "" && (n == 0 || l.dirs[n-1] != dir) {
		dir = strings.Clone(dir)
	}
	var sum [32]byte
	ok := decodeHex(&sum, f.SHA256)
	if ok {
		l.Add(dir, strings.Clone(name), f.Size, &sum)
	} else {
		l.Add(dir, strings.Clone(name), f.Size, nil)
		if f.SHA256 != "" {
			if l.odd == nil {
				l.odd = map[int]string{}
			}
			l.odd[len(l.files)-1] = strings.Clone(f.SHA256)
		}
	}
	if f.ETag != "" && l.etags == nil {
		l.etags = make([]string, len(l.files))
	}
	if l.etags != nil {
		l.etags[len(l.files)-1] = strings.Clone(f.ETag)
	}
}

// At is the i-th file.
func (l SourceFiles) At(i int) SourceFile {
	e := &l.files[i]
	f := SourceFile{Path: e.name, Size: e.size}
	if e.dir >= 0 {
		f.Path = l.dirs[e.dir] + "/" + e.name
	}
	switch {
	case e.hasSum:
		f.SHA256 = hexString(&e.sum)
	case l.odd != nil:
		f.SHA256 = l.odd[i]
	}
	if l.etags != nil {
		f.ETag = l.etags[i]
	}
	return f
}

// List is the files as a slice.
func (l SourceFiles) List() []SourceFile {
	out := make([]SourceFile, l.Len())
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

// MarshalJSON encodes the list as the []SourceFile it holds.
func (l SourceFiles) MarshalJSON() ([]byte, error) {
	if l.Len() == 0 {
		return []byte("[]"), nil
	}
	var b bytes.Buffer
	if err := l.writeJSON(&b, "", "", ":"); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a list of SourceFile.
func (l *SourceFiles) UnmarshalJSON(b []byte) error {
	var list []SourceFile
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*l = NewSourceFiles(list)
	return nil
}

// WriteIndented writes the (non-empty) list as an encoding/json Encoder
// with SetIndent(prefix, indent) writes it, from its "[" to its "]",
// without holding it: the 30-day benchmark tree's list is 36.8 MB, and
// encoding/json took 0.33 s of CPU to write it a file at a time.
func (l SourceFiles) WriteIndented(w io.Writer, prefix, indent string) error {
	return l.writeJSON(w, "\n"+prefix+indent, indent, ": ")
}

// writeJSON writes the list; nl starts each element's line (with its
// prefix), in indents an element's fields further, colon follows a key.
// With nl "" it is compact.
func (l SourceFiles) writeJSON(w io.Writer, nl, in, colon string) error {
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, '[')
	field := nl + in
	end := nl
	if nl != "" {
		end = nl[:len(nl)-len(in)]
	}
	for i := range l.files {
		e := &l.files[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, nl...)
		buf = append(buf, '{')
		buf = append(buf, field...)
		buf = append(buf, `"path"`...)
		buf = append(buf, colon...)
		if e.dir >= 0 {
			buf = appendString2(buf, l.dirs[e.dir], e.name)
		} else {
			buf = appendString2(buf, "", e.name)
		}
		buf = append(buf, ',')
		buf = append(buf, field...)
		buf = append(buf, `"size"`...)
		buf = append(buf, colon...)
		buf = strconv.AppendInt(buf, e.size, 10)
		buf = append(buf, ',')
		buf = append(buf, field...)
		buf = append(buf, `"sha256"`...)
		buf = append(buf, colon...)
		switch {
		case e.hasSum:
			buf = append(buf, '"')
			buf = appendHex(buf, &e.sum)
			buf = append(buf, '"')
		case l.odd != nil:
			buf = appendString2(buf, "", l.odd[i])
		default:
			buf = append(buf, `""`...)
		}
		if l.etags != nil && l.etags[i] != "" {
			buf = append(buf, ',')
			buf = append(buf, field...)
			buf = append(buf, `"etag"`...)
			buf = append(buf, colon...)
			buf = appendString2(buf, "", l.etags[i])
		}
		buf = append(buf, nl...)
		buf = append(buf, '}')
		if len(buf) >= 60<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, end...)
	buf = append(buf, ']')
	_, err := w.Write(buf)
	return err
}

// appendString2 appends the JSON string of dir + "/" + name (just name
// when dir is ""), as encoding/json writes it without HTML escaping.
func appendString2(buf []byte, dir, name string) []byte {
	if plain(dir) && plain(name) {
		buf = append(buf, '"')
		if dir != "" {
			buf = append(append(buf, dir...), '/')
		}
		buf = append(buf, name...)
		return append(buf, '"')
	}
	s := name
	if dir != "" {
		s = dir + "/" + name
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}

// plain reports whether s needs no escaping in JSON: printable ASCII
// without quote or backslash.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

func appendHex(buf []byte, sum *[32]byte) []byte {
	for _, b := range sum {
		buf = append(buf, hexDigits[b>>4], hexDigits[b&15])
	}
	return buf
}

func hexString(sum *[32]byte) string { return string(appendHex(make([]byte, 0, 64), sum)) }

// decodeHex reads 64 lowercase hex digits (the form hexString writes, so
// that the list gives back the very string it was given) into sum.
func decodeHex(sum *[32]byte, s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range sum {
		hi, lo := strings.IndexByte(hexDigits, s[2*i]), strings.IndexByte(hexDigits, s[2*i+1])
		if hi < 0 || lo < 0 {
			return false
		}
		sum[i] = byte(hi<<4 | lo)
	}
	return true
}
