package local

import "time"

// interner shares the text values a result repeats (principals, event
// names, regions, user agents, error codes): a large result such as a
// hunt rule matching 200,000 events would otherwise hold each of them once
// per row, boxed once per cell. Long values (policies, request
// parameters) are rarely repeated and are kept as they are, and the table
// stops growing at maxInterned entries, so memory stays bounded by the
// result itself. A column whose values do not repeat (event ids, most
// source IPs) stops being looked up once its first internTrial values
// found fewer than one in sixteen already seen: on the 10,000,000-event
// trail, errors_by_source_ip's 599,920 rows filled the table with such
// values. With a cut at one in four and a row's equal times sharing a
// box, the query's Go heap at its peak went from 291 to 238 MB and the
// 10M hunt from 1,023 to 1,009 MiB RSS (164 to 154 s; one run each, the
// same 84 CSVs). One in sixteen keeps interning a column that repeats
// little at first and much later (a time-ordered result); the two
// columns that gave up there, source_ip and event_id, repeated none of
// their first 4,096 values.
type interner struct {
	seen  map[string]any
	tries []int
	hits  []int
	// The last time boxed in the current row (nil at its start): a row's
	// first and last times are often the same instant (an event seen
	// once).
	lastTime any
}

const (
	maxInternLen = 256
	maxInterned  = 1 << 18
	internTrial  = 4096
)

func newInterner(columns int) *interner {
	return &interner{seen: map[string]any{}, tries: make([]int, columns), hits: make([]int, columns)}
}

// value returns s boxed, the same box for every equal short s of a
// column that repeats its values.
func (in *interner) value(col int, s string) any {
	if len(s) > maxInternLen || in.tries[col] < 0 {
		return s
	}
	in.tries[col]++
	v, ok := in.seen[s]
	if ok {
		in.hits[col]++
	}
	if in.tries[col] == internTrial && in.hits[col]*16 < internTrial {
		in.tries[col] = -1 // unique values: stop looking them up
	}
	if ok {
		return v
	}
	v = s
	if len(in.seen) < maxInterned {
		in.seen[s] = v
	}
	return v
}

// newRow starts a row: its times are boxed afresh.
func (in *interner) newRow() { in.lastTime = nil }

// time returns t boxed, the box of the row's previous time if it is the
// same instant.
func (in *interner) time(t time.Time) any {
	if last, ok := in.lastTime.(time.Time); ok && t.Equal(last) {
		return in.lastTime
	}
	in.lastTime = t
	return in.lastTime
}
