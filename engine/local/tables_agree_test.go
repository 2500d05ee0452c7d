package local

import (
	"context"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/tables"
)

// TestViewAgreesWithGlueTable: the same catalog SQL runs on both engines only
// if the local view has the Glue table's columns, in the same order, with the
// same kind of type (string, struct, array). Nested type spellings differ
// between Hive and DuckDB, so the outermost type is compared.
func TestViewAgreesWithGlueTable(t *testing.T) {
	e, err := Open(context.Background(), Options{Dir: "../../testdata/local/single", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want := append(tables.Columns(), tables.PartitionColumns()...)
	rows, err := e.db.QueryContext(context.Background(), "SELECT column_name, column_type FROM (DESCRIBE "+View+")")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]string
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]string{n, ty})
	}
	if len(got) != len(want) {
		t.Fatalf("view has %d columns, the Glue table %d:\nview %v\nglue %v", len(got), len(want), got, want)
	}
	for i, w := range want {
		g := got[i]
		if g[0] != w.Name {
			t.Errorf("column %d: view %q, Glue %q", i, g[0], w.Name)
			continue
		}
		kind := map[string]string{"string": "VARCHAR", "struct": "STRUCT", "array": "[]", "map": "MAP"}[w.Top()]
		switch {
		case kind == "[]":
			if !strings.HasSuffix(g[1], "[]") {
				t.Errorf("column %s: view type %s, Glue %s", g[0], g[1], w.HiveType)
			}
		case !strings.HasPrefix(g[1], kind) || kind == "":
			t.Errorf("column %s: view type %s, Glue %s", g[0], g[1], w.HiveType)
		}
	}
}
