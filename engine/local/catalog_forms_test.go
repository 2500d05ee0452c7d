package local

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ctathena/ctathena/sql"
)

// TestCatalogParameterForms runs on DuckDB the forms the catalog renders
// for Athena's limits: a list as one placeholder per element, the empty
// list as NULL, and a value too long for one parameter as (? || ?).
func TestCatalogParameterForms(t *testing.T) {
	src := func(name, in string) []byte {
		return []byte(`-- name: p/` + name + `
-- summary: s
-- param: accts account_list optional
-- param: long text
-- table: data
SELECT count(*) AS n
FROM {{data}}
WHERE account ` + in + ` (:accts) AND length(:long) = 1000 AND starts_with(:long, 'it''s/')
`)
	}
	cat, err := sql.Load(fstest.MapFS{"q/p/listed.sql": {Data: src("listed", "IN")}, "q/p/unlisted.sql": {Data: src("unlisted", "NOT IN")}}, "q")
	if err != nil {
		t.Fatal(err)
	}
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	long := strings.Repeat("it's/", 200)
	total := one(t, e, `SELECT count(*) FROM cloudtrail`)
	for accts, want := range map[string][2]any{
		"444444444444":              {one(t, e, `SELECT count(*) FROM cloudtrail WHERE account = '444444444444'`), one(t, e, `SELECT count(*) FROM cloudtrail WHERE account <> '444444444444'`)},
		"444444444444,555555555555": {total, int64(0)},
		"":                          {int64(0), int64(0)}, // NULL: in nothing, and not "not in" anything
	} {
		for i, name := range []string{"p/listed", "p/unlisted"} {
			r, err := cat.MustGet(name).Render(map[string]string{"data": View}, map[string]string{"accts": accts, "long": long})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.SQL, "(? || ?)") {
				t.Fatalf("the long value is not split:\n%s", r.SQL)
			}
			if got := one(t, e, r.SQL, r.Args...); got != want[i] {
				t.Errorf("%s with accounts %q: %v events, want %v of %v", name, accts, got, want[i], total)
			}
		}
	}
}
