package local

// macro is one Athena (Trino) function emulated on DuckDB.
type macro struct {
	name string
	sql  string // CREATE MACRO body after "CREATE MACRO name"
	note string // how it differs from Athena, if at all
}

// macros makes Athena SQL run unchanged on DuckDB. Where DuckDB already has
// a function of the same name and meaning (arbitrary, split, strpos,
// split_part, starts_with, count_if, max_by, min_by, bool_or, date_diff,
// date_trunc, try, try_cast, regexp_extract_all), nothing
// is defined. Builtins with a different meaning are shadowed by a macro in
// the main schema and reached inside it as system.main.<name>.
//
// Athena's json_extract_scalar and json_extract return NULL for text that is
// not JSON, where DuckDB raises an error; the macros check json_valid first
// so one odd value cannot fail a whole query. Trino's bracket paths
// ($["x-amz-id"]) are rewritten to DuckDB's quoted form ($."x-amz-id").
var macros = []macro{
	{"_ct_jsonpath", `(p) AS system.main.regexp_replace(p, '\["([^"]*)"\]', '."\1"', 'g')`, "internal: Trino JSONPath brackets to DuckDB"},
	{"json_extract_scalar", `(j, p) AS CASE WHEN json_valid(j) AND json_type(j, _ct_jsonpath(p)) NOT IN ('OBJECT', 'ARRAY') THEN json_extract_string(j, _ct_jsonpath(p)) END`, ""},
	{"json_extract", `(j, p) AS CASE WHEN json_valid(j) THEN json_extract_path(j, _ct_jsonpath(p)) END`, "returns DuckDB JSON"},
	{"json_parse", `(s) AS json(s)`, "minified, like Trino"},
	{"json_format", `(j) AS CAST(j AS VARCHAR)`, ""},
	{"from_iso8601_timestamp", `(s) AS CAST(s AS TIMESTAMPTZ)`, "session time zone is UTC"},
	{"from_iso8601_date", `(s) AS CAST(s AS DATE)`, ""},
	{"to_iso8601", `(t) AS strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')`, "always UTC with milliseconds, like Athena's timestamp(3) with time zone"},
	{"from_unixtime", `(n) AS to_timestamp(n)`, ""},
	{"to_unixtime", `(t) AS epoch(t)`, ""},
	{"_ct_mysqlfmt", `(f) AS replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
		replace(replace(f, '%M', chr(1) || 'B'), '%W', chr(1) || 'A'),
		'%i', '%M'), '%s', '%S'), '%T', '%H:%M:%S'), '%r', '%I:%M:%S %p'), '%e', '%-d'), '%c', '%-m'),
		'%k', '%-H'), '%l', '%-I'), '%h', '%I'), '%v', '%V'), '%x', '%G'), chr(1), '%')`, "internal: MySQL date format to strftime"},
	{"date_format", `(t, f) AS strftime(t, _ct_mysqlfmt(f))`, "MySQL specifiers %Y %y %m %c %d %e %H %k %h %I %l %i %s %S %f %p %T %r %M %b %W %a %j"},
	{"date_add", `(unit, n, t) AS t + CAST(CAST(n AS VARCHAR) || ' ' || unit AS INTERVAL)`, "Trino argument order (unit, value, timestamp)"},
	{"regexp_like", `(s, p) AS regexp_matches(s, p)`, ""},
	{"regexp_replace", `(s, p) AS system.main.regexp_replace(s, p, '', 'g'), (s, p, r) AS system.main.regexp_replace(s, p, system.main.regexp_replace(r, '\$(\d)', '\\\1', 'g'), 'g')`, "replaces every match; $1 back-references"},
	{"regexp_extract", `(s, p) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p) END, (s, p, g) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, g) END`, "NULL when nothing matches, like Trino"},
	{"sequence", `(a, b) AS generate_series(a, b), (a, b, s) AS generate_series(a, b, s)`, "integers only"},
	{"cardinality", `(x) AS len(x)`, "arrays only"},
	{"element_at", `(c, k) AS c[k]`, "arrays (1-based, negative from the end) and maps"},
	{"array_join", `(a, sep) AS array_to_string(a, sep)`, ""},
	{"approx_distinct", `(x) AS count(DISTINCT x)`, "exact, not approximate"},
	{"url_extract_host", `(u) AS nullif(system.main.regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)', 1), '')`, ""},
	{"contains", ipContainsMacro, "IP form contains(cidr, CAST(x AS IPADDRESS)) parsed as Trino does (see ipaddr.go); arrays as DuckDB's list contains"},
	{"url_extract_path", `(u) AS system.main.regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1)`, ""},
}

// Macros lists the Athena functions the local engine emulates, so the
// catalog's allow-list can accept them. Internal helpers are left out.
func Macros() []string {
	var out []string
	for _, m := range macros {
		if m.name[0] == '_' {
			continue
		}
		out = append(out, m.name)
	}
	return out
}

// NativeFunctions lists Athena functions DuckDB already runs with the same
// name and meaning; together with Macros it is what catalog SQL may call
// besides plain SQL operators and common aggregates.
func NativeFunctions() []string {
	return []string{
		"abs", "arbitrary", "array_agg", "array_distinct", "avg", "bool_and", "bool_or", "ceil",
		"coalesce", "concat", "concat_ws", "count", "count_if", "date_diff", "date_trunc",
		"floor", "greatest", "json_array_length", "least", "length", "lower", "lpad", "ltrim", "max",
		"max_by", "min", "min_by", "nullif", "regexp_extract_all", "replace", "reverse", "round",
		"rpad", "rtrim", "split", "split_part", "starts_with", "strpos", "substr", "sum", "trim",
		"try", "try_cast", "upper",
	}
}

func macroStatements() []string {
	out := append(make([]string, 0, len(typeStatements)+len(macros)), typeStatements...)
	for _, m := range macros {
		out = append(out, "CREATE OR REPLACE MACRO "+m.name+m.sql)
	}
	return out
}
