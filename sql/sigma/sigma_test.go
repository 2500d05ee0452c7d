package sigma

import (
	"testing"

	"github.com/ctathena/ctathena/sql"
)

func TestBundledTranslate(t *testing.T) {
	rules, refused := Bundled()
	if len(refused) != 0 {
		t.Fatalf("parse: %v", refused)
	}
	qs, refused := TranslateAll(rules, nil)
	for _, r := range refused {
		t.Logf("refused: %s", r)
	}
	base, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(base, qs)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		cq := cat.MustGet(q.Name)
		if testing.Verbose() {
			t.Logf("%s\n%s\n%v", q.Name, cq.SQLText()[len(cq.SQLText())-400:], q.Values)
		}
	}
	t.Logf("%d of %d translate", len(qs), len(rules))
}
