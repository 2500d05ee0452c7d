package sql_test

// The catalog against Trino's own grammar (Athena engine v3 is Trino): every
// query, rendered as the Athena engine sends it, is parsed by a parser that
// tools/trinocheck generates from testdata/trino/SqlBase.g4, both as sent
// and with each `?` bound to its ExecutionParameter; every function it calls
// must be documented by Trino (testdata/trino/functions.txt) with that many
// arguments; and it must keep Athena's limits on parameters and query text.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ctathena/ctathena/internal/trinocheck"
	"github.com/ctathena/ctathena/sql"
)

// The checker's inputs and answers (internal/trinocheck).
type (
	trinoInput  = trinocheck.Input
	trinoResult = trinocheck.Result
)

// athenaOnlyReserved are words Athena's documentation says must be quoted
// as identifiers in SELECT statements although Trino's grammar takes them
// bare (testdata/trino/README.md, "Athena is not the same as this
// snapshot").
var athenaOnlyReserved = map[string]bool{"execute": true, "first": true, "last": true, "of": true}

// trinoUnavailable skips, or fails under CI, like internal/moto.
func trinoUnavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; .ci/run installs node and runs `npm ci` in tools/trinocheck", why)
	}
	t.Skipf("%s; CI fails instead of skipping", why)
}

// runTrino parses the queries with Trino's grammar.
func runTrino(t *testing.T, qs []trinoInput) []trinoResult {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := trinocheck.Run(root, qs)
	if trinocheck.IsUnavailable(err) {
		trinoUnavailable(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleValues are values of every parameter type: "small" as a single
// responder's run sends them, "org" at the scale of a 2,000-account
// organization, with the longest values each type takes.
func sampleValues(scale string) map[sql.Type]string {
	v := map[sql.Type]string{
		"timestamp": "2026-11-01T00:00:00Z", "day": "2026/11/01", "s3_bucket": "payroll-exports",
		"s3_bucket_list": "payroll-exports", "account_id": "111122223333",
		"account_list": "111122223333,444455556666,777788889999", "arn": "arn:aws:iam::111122223333:user/svc-backup",
		"access_key": "AKIAIOSFODNN7EXAMPLE", "ip": "198.51.100.23", "int": "-1",
		"event_name": "GetObject", "text": "exports/2026/",
		"arn_list":        "arn:aws:iam::111122223333:user/svc-backup,arn:aws:sts::111122223333:assumed-role/ops/alice",
		"access_key_list": "AKIAIOSFODNN7EXAMPLE,ASIAZZZZZZZZZZZZZZZZ", "ip_list": "198.51.100.23,2001:db8::17",
	}
	if scale == "small" {
		return v
	}
	list := func(n int, f func(i int) string) string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return strings.Join(out, ",")
	}
	v["account_list"] = list(2000, func(i int) string { return fmt.Sprintf("%012d", 100000000000+i*7919) })
	v["s3_bucket_list"] = list(100, func(i int) string { return fmt.Sprintf("org-bucket-%03d-%s", i, strings.Repeat("x", 40)) })
	v["arn_list"] = list(300, func(i int) string {
		return fmt.Sprintf("arn:aws:sts::%012d:assumed-role/%s/session-%d", 100000000000+i, strings.Repeat("r", 64), i)
	})
	v["access_key_list"] = list(500, func(i int) string { return fmt.Sprintf("ASIA%016d", i) })
	v["ip_list"] = list(500, func(i int) string { return fmt.Sprintf("2001:db8:%x::%x", i, i+1) })
	// The longest ARN and text the types take; the text full of quotes.
	v["arn"] = "arn:aws:iam::111122223333:user/" + strings.Repeat("p", 2048-len("arn:aws:iam::111122223333:user/"))
	v["text"] = strings.Repeat("it's/", 1024/5) + "ab''"
	return v
}

// arity is one documented signature's argument count: min..max, max -1
// for no upper bound; star for f(*).
type arity struct {
	min, max int
	star     bool
}

// trinoFunctions reads functions.txt into name -> signatures. Notation as the
// docs write it: `[, x]` is optional, `...` repeats, `f(*)` takes a star.
func trinoFunctions(t *testing.T) map[string][]arity {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "trino", "functions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]arity{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		open := strings.IndexByte(line, '(')
		if line == "" || open < 0 || !strings.HasSuffix(line, ")") {
			continue // current_date and friends: not call syntax
		}
		name := strings.ToLower(line[:open])
		out[name] = append(out[name], parseArity(line[open+1:len(line)-1]))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 400 {
		t.Fatalf("functions.txt gave only %d names", len(out))
	}
	return out
}

func parseArity(args string) arity {
	if strings.TrimSpace(args) == "*" {
		return arity{star: true}
	}
	if strings.TrimSpace(args) == "" {
		return arity{}
	}
	type arg struct {
		text     string
		optional bool
	}
	var list []arg
	cur := arg{}
	paren, opt := 0, 0
	for _, r := range args {
		switch {
		case r == '(':
			paren++
		case r == ')':
			paren--
		case r == '[':
			opt++
			continue
		case r == ']':
			opt--
			continue
		case r == ',' && paren == 0:
			list = append(list, cur)
			cur = arg{optional: opt > 0}
			continue
		}
		cur.text += string(r)
	}
	list = append(list, cur)
	a := arity{}
	for _, x := range list {
		txt := strings.TrimSpace(x.text)
		switch {
		case strings.Contains(txt, "..."):
			a.max = -1
		case txt == "":
		case x.optional:
			if a.max >= 0 {
				a.max++
			}
		default:
			a.min++
			if a.max >= 0 {
				a.max++
			}
		}
	}
	if a.max >= 0 && a.max < a.min {
		a.max = a.min
	}
	return a
}

func (a arity) fits(n int) bool {
	if n < 0 {
		return a.star
	}
	return !a.star && n >= a.min && (a.max < 0 || n <= a.max)
}

// judge returns every way the query breaks Trino's grammar, its function
// list or Athena's limits.
func judge(in trinoInput, r trinoResult, fns map[string][]arity) []string {
	var bad []string
	for _, e := range r.Errors {
		bad = append(bad, "does not parse as sent: "+short(e))
	}
	for _, e := range r.BoundErrors {
		bad = append(bad, "does not parse with its parameters bound: "+short(e))
	}
	if r.QuestionMarks != len(in.Params) {
		bad = append(bad, fmt.Sprintf("%d `?` but %d ExecutionParameters", r.QuestionMarks, len(in.Params)))
	}
	for _, c := range r.Functions {
		if c.Method {
			bad = append(bad, fmt.Sprintf("line %d: %s: method-call syntax, which Athena does not have", c.Line, c.Name))
			continue
		}
		sigs, ok := fns[c.Name]
		if !ok {
			bad = append(bad, fmt.Sprintf("line %d: %s() is not a documented Trino function", c.Line, c.Name))
			continue
		}
		fit := false
		for _, s := range sigs {
			fit = fit || s.fits(c.Args)
		}
		if !fit {
			n := fmt.Sprint(c.Args)
			if c.Args < 0 {
				n = "*"
			}
			bad = append(bad, fmt.Sprintf("line %d: %s() called with %s arguments; Trino documents %v", c.Line, c.Name, n, sigs))
		}
	}
	for _, id := range r.Identifiers {
		if athenaOnlyReserved[id.Name] {
			bad = append(bad, fmt.Sprintf("line %d: %s is reserved in Athena's SELECT statements; quote it", id.Line, id.Name))
		}
	}
	for _, m := range r.Placeholders {
		if m.Clause != "where" {
			bad = append(bad, fmt.Sprintf("line %d:%d: `?` in the %s clause; Athena takes parameters only in WHERE", m.Line, m.Column, strings.ToUpper(m.Clause)))
		}
	}
	for i, p := range in.Params {
		if n := utf16Len(p); n > sql.MaxParamLen || n < 1 {
			bad = append(bad, fmt.Sprintf("ExecutionParameter %d is %d characters as sent; Athena takes 1 to %d", i+1, n, sql.MaxParamLen))
		}
	}
	if n := len(in.SQL); n > sql.MaxQueryBytes {
		bad = append(bad, fmt.Sprintf("query text is %d bytes; Athena takes at most %d", n, sql.MaxQueryBytes))
	}
	return bad
}

// utf16Len counts characters as a Java service does.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// athenaTables are the table identifiers as configTables gives them for
// the default setup (data events in the management table) and for a
// separate data table.
var athenaTables = map[string]map[string]string{
	"one table":  {sql.TableManagement: "ctathena.management", sql.TableData: "ctathena.management"},
	"two tables": {sql.TableManagement: "ctathena.management", sql.TableData: "ctathena.data_events"},
}

// literals are the ExecutionParameters the Athena engine sends for args
// (engine/athena's tests hold its Parameters equal to sql.Literal).
func literals(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = sql.Literal(a)
	}
	return out
}

// sent renders q as the Athena engine sends it: the SQL and the
// ExecutionParameters.
func sent(t *testing.T, q *sql.Query, tables, vals map[string]string) trinoInput {
	t.Helper()
	r, err := q.Render(tables, vals)
	if err != nil {
		t.Fatalf("%s: render: %v", q.Name, err)
	}
	params := literals(r.Args)
	return trinoInput{Name: q.Name, SQL: r.SQL, Params: params}
}

func TestCatalogAgainstTrinoGrammar(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	fns := trinoFunctions(t)
	var ins []trinoInput
	var labels []string
	for _, scale := range []string{"small", "org"} {
		vals := sampleValues(scale)
		for _, tname := range []string{"one table", "two tables"} {
			for _, q := range cat.List() {
				v := map[string]string{}
				for _, p := range q.Params {
					v[p.Name] = vals[p.Type]
				}
				ins = append(ins, sent(t, q, athenaTables[tname], v))
				labels = append(labels, fmt.Sprintf("%s (%s, %s values)", q.Name, tname, scale))
				if len(q.Params) > 0 {
					// Optional parameters left out, as most runs send them.
					v2 := map[string]string{}
					for _, p := range q.Params {
						if !p.Optional {
							v2[p.Name] = vals[p.Type]
						}
					}
					ins = append(ins, sent(t, q, athenaTables[tname], v2))
					labels = append(labels, fmt.Sprintf("%s (%s, %s values, optional ones empty)", q.Name, tname, scale))
				}
			}
		}
	}
	res := runTrino(t, ins)
	calls := 0
	for i, r := range res {
		calls += len(r.Functions)
		for _, b := range judge(ins[i], r, fns) {
			t.Errorf("%s: %s", labels[i], b)
		}
	}
	if calls == 0 {
		t.Fatal("trinocheck found no function call in the whole catalog")
	}
	t.Logf("%d renderings of %d queries parsed with Trino's grammar; %d function calls checked", len(ins), len(cat.List()), calls)
}

// TestTrinoCheckCatchesBrokenQueries: the check is not a test that cannot
// fail.
func TestTrinoCheckCatchesBrokenQueries(t *testing.T) {
	fns := trinoFunctions(t)
	long := "'" + strings.Repeat("a", sql.MaxParamLen-1) + "'"
	cases := []struct {
		in   trinoInput
		want string
	}{
		{trinoInput{Name: "good", SQL: `SELECT count(*), lower(x) FROM "ctathena"."management" WHERE day BETWEEN ? AND ? AND x IN (?, ?)`, Params: []string{"'2026/11/01'", "'2026/11/02'", "'a''b'", "'c'"}}, ""},
		{trinoInput{Name: "syntax", SQL: `SELECT x FROM "t" WHERE x = ? AND`, Params: []string{"'a'"}}, "does not parse as sent"},
		{trinoInput{Name: "bound syntax", SQL: `SELECT x FROM "t" WHERE x = ?`, Params: []string{"'a' 'b"}}, "does not parse with its parameters bound"},
		{trinoInput{Name: "unknown function", SQL: `SELECT list_contains(x, 1) FROM "t"`}, "list_contains() is not a documented Trino function"},
		{trinoInput{Name: "arity", SQL: `SELECT strpos(x) FROM "t"`}, "strpos() called with 1 arguments"},
		{trinoInput{Name: "star", SQL: `SELECT sum(*) FROM "t"`}, "sum() called with * arguments"},
		{trinoInput{Name: "select param", SQL: `SELECT x / ? FROM "t" WHERE y = ?`, Params: []string{"2", "'a'"}}, "`?` in the SELECT clause"},
		{trinoInput{Name: "having param", SQL: `SELECT x FROM "t" GROUP BY x HAVING count(*) > ?`, Params: []string{"2"}}, "`?` in the HAVING clause"},
		{trinoInput{Name: "oversize", SQL: `SELECT x FROM "t" WHERE x = ?`, Params: []string{long}}, "is 1025 characters as sent"},
		{trinoInput{Name: "count", SQL: `SELECT x FROM "t" WHERE x = ?`}, "1 `?` but 0 ExecutionParameters"},
		{trinoInput{Name: "athena reserved", SQL: `SELECT itemid.first FROM "t"`}, "first is reserved in Athena's SELECT statements"},
		{trinoInput{Name: "athena reserved quoted", SQL: `SELECT itemid."first" FROM "t"`}, ""},
		{trinoInput{Name: "too long", SQL: `SELECT x FROM "t" WHERE x = 'a'` + strings.Repeat(" ", sql.MaxQueryBytes)}, "bytes; Athena takes at most"},
	}
	ins := make([]trinoInput, len(cases))
	for i, c := range cases {
		ins[i] = c.in
	}
	res := runTrino(t, ins)
	for i, c := range cases {
		bad := judge(c.in, res[i], fns)
		if c.want == "" {
			if len(bad) > 0 {
				t.Errorf("%s: a good query was refused: %v", c.in.Name, bad)
			}
			continue
		}
		if !strings.Contains(strings.Join(bad, "\n"), c.want) {
			t.Errorf("%s: want a complaint containing %q, got %q", c.in.Name, c.want, bad)
		}
	}
}
