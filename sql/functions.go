package sql

import (
	"sort"
	"strings"
)

// Functions lists every SQL function a catalog query may call: each runs on
// Athena engine v3 (Trino) and on DuckDB, natively or through the local
// engine's compatibility macros (marked "macro"). A test fails when a query
// calls anything else, so a query that works on one engine cannot silently
// break the other.
var Functions = map[string]string{
	"abs":                    "both",
	"approx_distinct":        "both",
	"avg":                    "both",
	"cardinality":            "macro on DuckDB",
	"coalesce":               "both",
	"concat":                 "both (Trino: NULL in, NULL out; guard with coalesce)",
	"contains":               "contains(cidr, TRY_CAST(x AS IPADDRESS)) on both (a Go function on DuckDB)",
	"count":                  "both",
	"count_if":               "both",
	"date_trunc":             "both",
	"element_at":             "macro on DuckDB",
	"from_iso8601_timestamp": "macro on DuckDB",
	"greatest":               "both",
	"json_extract":           "both (DuckDB returns JSON)",
	"json_extract_scalar":    "macro on DuckDB",
	"least":                  "both",
	"length":                 "both",
	"lower":                  "both",
	"max":                    "both",
	"max_by":                 "both",
	"min":                    "both",
	"min_by":                 "both",
	"nullif":                 "both",
	"rank":                   "both",
	"regexp_extract":         "both",
	"regexp_like":            "both",
	"replace":                "both",
	"round":                  "both",
	"row_number":             "both",
	"split_part":             "both",
	"starts_with":            "both",
	"strpos":                 "both",
	"substr":                 "both",
	"sum":                    "both",
	"trim":                   "both",
	"upper":                  "both",
}

// keywords that are followed by '(' in valid SQL but are not functions.
var sqlKeywords = map[string]bool{
	"as": true, "in": true, "exists": true, "over": true, "values": true, "cast": true,
	"try_cast": true, "and": true, "or": true, "not": true, "on": true, "using": true,
	"from": true, "join": true, "select": true, "where": true, "filter": true, "with": true,
	"then": true, "else": true, "when": true, "by": true, "unnest": true, "interval": true,
	"all": true, "any": true, "distinct": true, "between": true, "is": true,
}

// FunctionsUsed returns the lower-case names of functions q's SQL calls.
func (q *Query) FunctionsUsed() []string {
	seen := map[string]bool{}
	for _, s := range q.segments {
		if s.kind != segText {
			continue
		}
		code := stripLiterals(s.text)
		for i := 0; i < len(code); i++ {
			if code[i] != '(' {
				continue
			}
			j := i
			for j > 0 && code[j-1] == ' ' {
				j--
			}
			k := j
			for k > 0 && isIdentPart(code[k-1]) {
				k--
			}
			if k == j {
				continue
			}
			if k > 0 && code[k-1] == '.' {
				continue // a qualified name such as a struct field access
			}
			name := strings.ToLower(code[k:j])
			if !sqlKeywords[name] && !(name[0] >= '0' && name[0] <= '9') {
				seen[name] = true
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// stripLiterals blanks out string literals, quoted identifiers and comments
// so that what they contain is not mistaken for code.
func stripLiterals(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\'' || b[i] == '"':
			q := b[i]
			j := i + 1
			for j < len(b) {
				if b[j] == q {
					if j+1 < len(b) && b[j+1] == q {
						j += 2
						continue
					}
					break
				}
				j++
			}
			for k := i + 1; k < j && k < len(b); k++ {
				b[k] = ' '
			}
			i = j
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		}
	}
	return string(b)
}
