package investigate

import (
	"testing"

	"github.com/ctathena/ctathena/sql"
)

// sigmaNarrow is the SQL of the bundled Sigma queries, for the local
// engine's column narrowing in tests that run hunt.
func sigmaNarrow(t *testing.T, cat *sql.Catalog) []string {
	t.Helper()
	texts, err := SigmaSQL(&Env{Catalog: cat}, HuntOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}
