package athena

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/sql"
)

// TestRunRefusesWhatAthenaWouldRefuse: a parameter over 1,024 characters as
// sent, or a query text over 262,144 bytes, never reaches
// StartQueryExecution.
func TestRunRefusesWhatAthenaWouldRefuse(t *testing.T) {
	for name, q := range map[string]engine.Query{
		"parameter": {Name: "t/param", SQL: "SELECT 1 WHERE 'a' = ?", Args: []any{strings.Repeat("'", 512)}},
		"astral":    {Name: "t/astral", SQL: "SELECT 1 WHERE 'a' = ?", Args: []any{strings.Repeat("𝄞", 512)}},
		"text":      {Name: "t/text", SQL: "SELECT 1" + strings.Repeat(" ", MaxQueryBytes)},
	} {
		f := newFake()
		_, err := New(f, f, fastOptions()).Run(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), "Athena takes at most") {
			t.Errorf("%s: got %v", name, err)
		}
		if n := f.Calls("StartQueryExecution"); n != 0 {
			t.Errorf("%s: %d queries started", name, n)
		}
	}
	// At the limit it is sent: 1,022 characters and two quotes.
	if p, err := Parameters([]any{strings.Repeat("x", 1022)}); err != nil || len(p[0]) != MaxParameterLen {
		t.Errorf("a parameter of exactly %d characters: %v", MaxParameterLen, err)
	}
}

// TestParametersAreTheCatalogs: the catalog renders every query within
// Athena's limits by its own reckoning of what is sent (sql.Literal,
// sql.MaxParamLen); this holds that reckoning to what Parameters sends, for
// every catalog query with long, quoted and list values.
func TestParametersAreTheCatalogs(t *testing.T) {
	if sql.MaxParamLen != MaxParameterLen || sql.MaxQueryBytes != MaxQueryBytes {
		t.Fatal("sql and engine/athena disagree on Athena's limits")
	}
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	accts := make([]string, 2000)
	for i := range accts {
		accts[i] = fmt.Sprintf("%012d", 300000000000+i)
	}
	vals := map[sql.Type]string{
		"timestamp": "2026-11-01T00:00:00Z", "day": "2026/11/01", "s3_bucket": "payroll-exports",
		"s3_bucket_list": "payroll-exports,org-logs", "account_id": "111122223333", "account_list": strings.Join(accts, ","),
		"arn": "arn:aws:iam::111122223333:user/" + strings.Repeat("q", 2000), "access_key": "AKIAIOSFODNN7EXAMPLE",
		"ip": "198.51.100.23", "int": "-1", "event_name": "GetObject", "text": strings.Repeat("o'k/𝄞", 170),
		"arn_list": "arn:aws:iam::111122223333:user/a,arn:aws:iam::111122223333:user/b", "access_key_list": "AKIAIOSFODNN7EXAMPLE",
		"ip_list": "198.51.100.23,2001:db8::1",
	}
	n := 0
	for _, q := range cat.List() {
		v := map[string]string{}
		for _, p := range q.Params {
			v[p.Name] = vals[p.Type]
		}
		r, err := q.Render(map[string]string{"management": "ctathena.management", "data": "ctathena.management"}, v)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		got, err := Parameters(r.Args)
		if err != nil {
			t.Fatalf("%s: the engine refuses what the catalog rendered: %v", q.Name, err)
		}
		if err := CheckQuery(r.SQL); err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		for i, a := range r.Args {
			if got[i] != sql.Literal(a) {
				t.Fatalf("%s: argument %d is sent as %q, the catalog reckons %q", q.Name, i+1, got[i], sql.Literal(a))
			}
			if s, ok := a.(string); ok && sentLen(got[i]) != sql.SentLen(s) {
				t.Fatalf("%s: argument %d is %d characters as sent, the catalog reckons %d", q.Name, i+1, sentLen(got[i]), sql.SentLen(s))
			}
			n++
		}
	}
	if n < 2000 {
		t.Fatalf("only %d arguments checked", n)
	}
}
