package local

// interner shares the text values a result repeats (principals, event
// names, regions, user agents, error codes): a large result such as a
// hunt rule matching 200,000 events would otherwise hold each of them once
// per row, boxed once per cell. Long values (policies, request
// parameters) are rarely repeated and are kept as they are, and the table
// stops growing at maxInterned entries, so memory stays bounded by the
// result itself.
type interner struct {
	seen map[string]any
}

const (
	maxInternLen = 256
	maxInterned  = 1 << 18
)

func newInterner() *interner { return &interner{seen: map[string]any{}} }

// value returns s boxed, the same box for every equal short s.
func (in *interner) value(s string) any {
	if len(s) > maxInternLen {
		return s
	}
	if v, ok := in.seen[s]; ok {
		return v
	}
	var v any = s
	if len(in.seen) < maxInterned {
		in.seen[s] = v
	}
	return v
}
