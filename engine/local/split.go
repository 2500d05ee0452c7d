package local

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Why Go splits the Records array: DuckDB parsing one line per file into a
// list of nested structs and unnesting it was 95% of the load (75 of 77 s
// for the 149,182-file benchmark tree). A byte scan in Go finds each record
// and its top-level eventTime without decoding anything, drops records
// outside the window before DuckDB sees them (two thirds of what a one-day
// window reads, because folders are padded by a day on each side), and
// writes one record per line, which DuckDB reads straight into the table's
// columns.
//
// The scan checks structure only (strings, brackets, separators), not
// every literal; a record DuckDB still rejects is caught by the loader's
// per-file count (see loader.account), so nothing is dropped silently.

// jsonSpace reports JSON insignificant whitespace.
func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && jsonSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"',
// or -1 if it is not closed.
func skipString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// structural marks the bytes skipValue must look at inside a container.
var structural = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		var buf [64]byte
		stack := buf[:0]
		for j := i; j < len(b); j++ {
			c := b[j]
			if !structural[c] {
				continue
			}
			switch c {
			case '"':
				k := skipString(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				stack = append(stack, c)
			case '}', ']':
				if len(stack) == 0 || (c == '}') != (stack[len(stack)-1] == '{') {
					return -1
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return j + 1
				}
			}
		}
		return -1
	case ',', '}', ']', ':':
		return -1
	default:
		j := i
		for j < len(b) && !jsonSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		return j
	}
}

// walkObject calls fn for each member of the object starting at b[i] ==
// '{' with the raw key (without quotes) and the value's bounds, and returns
// the index after the object, or -1 if it is malformed.
func walkObject(b []byte, i int, fn func(ks int, key []byte, vs, ve int)) int {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		ke := skipString(b, i)
		if ke < 0 {
			return -1
		}
		ks, key := i, b[i+1:ke-1]
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipSpace(b, i+1)
		ve := skipValue(b, i)
		if ve < 0 {
			return -1
		}
		if fn != nil {
			fn(ks, key, i, ve)
		}
		i = skipSpace(b, ve)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// splitResult says what splitRecords found in one document.
type splitResult int

const (
	splitOK        splitResult = iota
	splitNoRecords             // no "Records" key, or "Records": null
	splitMalformed             // not a well-formed object with a Records array of objects
)

// recordFilter says which records splitRecords keeps: eventTime in
// [from, to) (eventTime strings; "" is unbounded); if events is set, only
// records whose eventSource is a key of it and whose eventName is in its
// set (a nil set keeps every name of the source); and, for records whose eventTime is
// before before (if set), only those whose eventSource and eventName are in
// keep (see Options.Narrow). A record without eventTime is never narrowed by
// before: its time is unknown. Records dropped by narrowing (not by the
// window) are counted in stats, if set.
type recordFilter struct {
	from, to string
	events   map[string]map[string]bool
	before   string
	keep     map[string]map[string]bool
	stats    *splitStats
	// keys, if set, are the only top-level keys written for a record: the
	// columns loaded (DuckDB ignores the others; writing them cost chunk
	// bytes and DuckDB parsing).
	keys map[string]bool
}

// splitStats is what narrowing dropped, per stream worker.
type splitStats struct {
	// narrowed counts in-window records narrowing dropped.
	narrowed int64
	// plain is set while splitting a file outside the AWSLogs layout: the
	// partitions of dropped records are then kept in parts, so Coverage
	// still lists every account, region and day the files hold.
	plain bool
	parts map[partition]bool
	// noTime counts records without an eventTime, which no window holds.
	noTime int64
	// first and last are the eventTime range of every record judged, in
	// the window or not: where the logs' events fall.
	first, last string
}

// see widens the eventTime range by et.
func (s *splitStats) see(et []byte) {
	if len(et) < 10 {
		return
	}
	if s.first == "" || string(et) < s.first {
		s.first = string(et)
	}
	if string(et) > s.last {
		s.last = string(et)
	}
}

// add merges o into s.
func (s *splitStats) add(o *splitStats) {
	s.narrowed += o.narrowed
	s.noTime += o.noTime
	if o.first != "" {
		s.see([]byte(o.first))
		s.see([]byte(o.last))
	}
	for p := range o.parts {
		if s.parts == nil {
			s.parts = map[partition]bool{}
		}
		s.parts[p] = true
	}
}

// partition is one (account, region, day) of the table.
type partition struct{ account, region, day string }

// narrows reports whether f drops records by their source or name.
func (f *recordFilter) narrows() bool { return f.before != "" || f.events != nil }

// allowed reports whether a record of that source and name is kept before
// f.before; a record missing either is not.
func (f *recordFilter) allowed(src, name []byte, hasSrc, hasName bool) bool {
	if !hasSrc || !hasName {
		return false
	}
	names, ok := f.keep[string(src)]
	return ok && names[string(name)]
}

// judge walks the record object starting at doc[i] and says whether f
// keeps it and whether narrowing (not the window) dropped it; end is the
// index after the record, or -1 if it is malformed. dropped, if not nil,
// receives the partition of a narrowed record (for plain files); spans, if
// not nil, receives the bounds of the members whose keys f.keys keeps.
// noTime is set for a record the window dropped because it has no
// eventTime; the eventTime of every record widens f.stats's range.
func (f *recordFilter) judge(doc []byte, i int, dropped *partition, spans *[][2]int) (keep, narrowed bool, end int, noTime bool) {
	narrow := f.narrows()
	var et, src, name, acct, region []byte
	hasTime, hasSrc, seenSrc, hasName, seenName := false, false, false, false, false
	if spans != nil {
		*spans = (*spans)[:0]
	}
	end = walkObject(doc, i, func(ks int, key []byte, vs, ve int) {
		// A key written with escapes is kept: DuckDB matches it unescaped.
		if spans != nil && (f.keys[string(key)] || bytes.IndexByte(key, '\\') >= 0) {
			*spans = append(*spans, [2]int{ks, ve})
		}
		switch string(key) {
		case "eventTime":
			if !hasTime {
				hasTime = true
				et = doc[vs:ve]
				if len(et) >= 2 && et[0] == '"' {
					et = et[1 : len(et)-1]
				} else if string(et) == "null" {
					hasTime = false
				}
			}
		case "eventSource":
			if narrow && !seenSrc {
				seenSrc = true
				src, hasSrc = stringValue(doc[vs:ve])
			}
		case "eventName":
			if narrow && !seenName {
				seenName = true
				name, hasName = stringValue(doc[vs:ve])
			}
		case "recipientAccountId":
			if dropped != nil && acct == nil {
				acct, _ = stringValue(doc[vs:ve])
			}
		case "awsRegion":
			if dropped != nil && region == nil {
				region, _ = stringValue(doc[vs:ve])
			}
		}
	})
	if end < 0 {
		return false, false, end, false
	}
	if hasTime && f.stats != nil {
		f.stats.see(et)
	}
	keep = (f.from == "" || hasTime && string(et) >= f.from) && (f.to == "" || hasTime && string(et) < f.to)
	if !keep || !narrow {
		return keep, false, end, !keep && !hasTime
	}
	if f.events != nil {
		names, ok := f.events[string(src)]
		keep = hasSrc && ok && (names == nil || hasName && names[string(name)])
	}
	if keep && f.before != "" && hasTime && string(et) < f.before {
		keep = f.allowed(src, name, hasSrc, hasName)
	}
	if !keep && dropped != nil {
		// The day as the loader derives it for plain files (eventTime's date).
		day := ""
		if len(et) >= 10 {
			day = string(et[0:4]) + "/" + string(et[5:7]) + "/" + string(et[8:10])
		}
		*dropped = partition{string(acct), string(region), day}
	}
	return keep, !keep, end, false
}

// stringValue is the content of the JSON string value raw, unescaped only
// when it holds an escape; ok is false for null and non-strings.
func stringValue(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	v := raw[1 : len(raw)-1]
	if bytes.IndexByte(v, '\\') < 0 {
		return v, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// splitRecords appends to out one line per record of doc's Records array
// that f keeps: prefix, then the record's members, newlines folded. It
// returns the grown out, how many records it wrote and what it found.
func splitRecords(out, doc, prefix []byte, f *recordFilter) ([]byte, int, splitResult) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return out, 0, splitMalformed
	}
	rs, re := -1, -1
	end := walkObject(doc, i, func(_ int, key []byte, vs, ve int) {
		if rs < 0 && string(key) == "Records" {
			rs, re = vs, ve
		}
	})
	if end < 0 || skipSpace(doc, end) != len(doc) {
		return out, 0, splitMalformed
	}
	if rs < 0 || string(doc[rs:re]) == "null" {
		return out, 0, splitNoRecords
	}
	if doc[rs] != '[' {
		return out, 0, splitMalformed
	}
	start := len(out)
	n := 0
	// Narrowing is counted only once the whole document has split (a
	// malformed one is split again record by record, see splitChecked).
	var nNarrowed, nNoTime int64
	var parts []partition
	var spans [][2]int
	ok := func() ([]byte, int, splitResult) {
		if f.stats != nil {
			f.stats.narrowed += nNarrowed
			f.stats.noTime += nNoTime
			for _, p := range parts {
				if f.stats.parts == nil {
					f.stats.parts = map[partition]bool{}
				}
				f.stats.parts[p] = true
			}
		}
		return out, n, splitOK
	}
	i = skipSpace(doc, rs+1)
	if doc[i] == ']' {
		return out, 0, splitOK
	}
	for {
		switch doc[i] {
		case '{':
			var part partition
			var dropped *partition
			if f.stats != nil && f.stats.plain {
				dropped = &part
			}
			var sp *[][2]int
			if f.keys != nil {
				sp = &spans
			}
			keep, narrowed, e, noTime := f.judge(doc, i, dropped, sp)
			if noTime {
				nNoTime++
			}
			if e < 0 {
				return out[:start], 0, splitMalformed
			}
			if keep && sp != nil {
				out = appendMembers(out, prefix, doc, spans)
				n++
			} else if keep {
				out = appendRecord(out, prefix, doc[i:e])
				n++
			} else if narrowed {
				nNarrowed++
				if dropped != nil {
					parts = append(parts, part)
				}
			}
			i = e
		case 'n':
			// A null element holds no event.
			e := skipValue(doc, i)
			if e < 0 || string(doc[i:e]) != "null" {
				return out[:start], 0, splitMalformed
			}
			i = e
		default:
			return out[:start], 0, splitMalformed
		}
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return out[:start], 0, splitMalformed
		}
		if doc[i] == ']' {
			return ok()
		}
		if doc[i] != ',' {
			return out[:start], 0, splitMalformed
		}
		i = skipSpace(doc, i+1)
		if i >= len(doc) {
			return out[:start], 0, splitMalformed
		}
	}
}

// appendRecord writes prefix (an object opening with keys, no closing
// brace) merged with the object rec as one line.
func appendRecord(out, prefix, rec []byte) []byte {
	out = append(out, prefix...)
	rest := rec[skipSpace(rec, 1):]
	if rest[0] != '}' {
		out = append(out, ',')
	}
	if bytes.IndexByte(rest, '\n') < 0 && bytes.IndexByte(rest, '\r') < 0 {
		out = append(out, rest...)
	} else {
		for _, c := range rest {
			if c == '\n' || c == '\r' {
				c = ' '
			}
			out = append(out, c)
		}
	}
	return append(out, '\n')
}

// appendMembers writes prefix and the members of a record at the given
// bounds of doc as one line (newlines folded, as appendRecord does).
func appendMembers(out, prefix, doc []byte, spans [][2]int) []byte {
	out = append(out, prefix...)
	for _, sp := range spans {
		out = append(out, ',')
		m := doc[sp[0]:sp[1]]
		if bytes.IndexByte(m, '\n') < 0 && bytes.IndexByte(m, '\r') < 0 {
			out = append(out, m...)
			continue
		}
		for _, c := range m {
			if c == '\n' || c == '\r' {
				c = ' '
			}
			out = append(out, c)
		}
	}
	return append(out, '}', '\n')
}

// splitChecked is splitRecords with encoding/json as the judge when the
// byte scan finds the document malformed: a valid document the scan could
// not follow is split from its decoded records instead of being skipped,
// and an invalid one gets the decoder's reason. reason is "" on success.
func splitChecked(out, doc, prefix []byte, f *recordFilter) ([]byte, int, string) {
	out, n, res := splitRecords(out, doc, prefix, f)
	switch res {
	case splitOK:
		return out, n, ""
	case splitNoRecords:
		return out, 0, `not CloudTrail JSON: no "Records" array`
	}
	var d struct {
		Records *[]json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return out, 0, "not CloudTrail JSON: " + err.Error()
	}
	if d.Records == nil {
		return out, 0, `not CloudTrail JSON: no "Records" array`
	}
	start := len(out)
	for i, rec := range *d.Records {
		var c bytes.Buffer
		if err := json.Compact(&c, rec); err != nil {
			return out[:start], 0, fmt.Sprintf("not CloudTrail JSON: record %d: %v", i+1, err)
		}
		if c.String() == "null" {
			continue
		}
		if c.Len() == 0 || c.Bytes()[0] != '{' {
			return out[:start], 0, fmt.Sprintf("not CloudTrail JSON: record %d is not an object", i+1)
		}
		var one []byte
		one = append(one, `{"Records":[`...)
		one = append(one, c.Bytes()...)
		one = append(one, "]}"...)
		var k int
		var r splitResult
		out, k, r = splitRecords(out, one, prefix, f)
		if r != splitOK {
			return out[:start], 0, fmt.Sprintf("not CloudTrail JSON: record %d could not be read", i+1)
		}
		n += k
	}
	return out, n, ""
}
