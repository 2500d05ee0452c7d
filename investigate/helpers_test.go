package investigate

import (
	"context"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/sql"
)

// openLocal opens the local engine over dir for [from, to) and returns an
// Env on it, closed when the test ends.
// packNarrow loads only the columns the packs' queries name, as the CLI
// does, so the golden tests check answers from what a user's engine loads.
func packNarrow(t *testing.T, packs ...string) *local.Narrow {
	t.Helper()
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, p := range packs {
		texts = append(texts, PackSQL(cat, p)...)
		if p == "hunt" {
			texts = append(texts, sigmaNarrow(t, cat)...) // hunt runs the sigma pack too
		}
	}
	return &local.Narrow{Queries: texts}
}

func openLocal(t *testing.T, dir string, from, to time.Time) *Env {
	t.Helper()
	return openLocalNarrow(t, dir, from, to, packNarrow(t, "identity"))
}

// openLocalNarrow opens the local engine over dir for [from, to), loading
// what narrow says (every event and column when it is nil).
func openLocalNarrow(t *testing.T, dir string, from, to time.Time, narrow *local.Narrow) *Env {
	t.Helper()
	eng, err := local.Open(context.Background(), local.Options{Dir: dir, TempDir: t.TempDir(), From: from, To: to, Narrow: narrow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}}
}
