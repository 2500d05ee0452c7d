package sigma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/internal/trinocheck"
)

// TestSigmaAgainstTrinoGrammar parses every translated rule, as Athena
// receives it, with the parser tools/trinocheck generates from Trino's own
// grammar: as sent and with each `?` bound, every `?` in a WHERE clause.
// Without node or tools/trinocheck's modules it skips, and fails under CI.
func TestSigmaAgainstTrinoGrammar(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := Bundled()
	qs, _ := TranslateAll(rules, nil)
	// The team-rule constructs too (or, parentheses, all of, cidr, exists,
	// re with flags, endswith, cased, hostile values).
	team, err := translateOne(t, ruleHead+`detection:
  sel_a: {eventName: A}
  sel_b: {eventName|endswith: "B'; --"}
  sel_c: {sourceIPAddress|cidr: 10.1.0.0/20}
  sel_d: {userAgent|re|i: '^curl/'}
  sel_e: {userAgent|cased: "x' OR '1'='1"}
  filter: {errorCode|exists: true}
  condition: (sel_a or sel_b) and not filter or all of sel_* or 1 of them
`)
	if err != nil {
		t.Fatal(err)
	}
	qs = append(qs, team)
	cat := catalogOf(t, qs)
	var ins []trinocheck.Input
	for _, q := range qs {
		r := render(t, cat, q)
		in := trinocheck.Input{Name: q.Name, SQL: r.SQL}
		for _, a := range r.Args {
			in.Params = append(in.Params, "'"+strings.ReplaceAll(a.(string), "'", "''")+"'")
		}
		ins = append(ins, in)
	}
	out, err := trinocheck.Run(root, ins)
	if trinocheck.IsUnavailable(err) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; .ci/run installs node and runs `npm ci` in tools/trinocheck", err)
		}
		t.Skipf("%v; CI fails instead of skipping", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		for _, e := range append(r.Errors, r.BoundErrors...) {
			t.Errorf("%s does not parse with Trino's grammar: %s", r.Name, e)
		}
		if r.QuestionMarks != len(ins[i].Params) {
			t.Errorf("%s: %d `?`, %d parameters", r.Name, r.QuestionMarks, len(ins[i].Params))
		}
		for _, p := range r.Placeholders {
			if p.Clause != "where" {
				t.Errorf("%s: line %d: `?` in the %s clause", r.Name, p.Line, p.Clause)
			}
		}
	}
	t.Logf("%d Sigma queries parsed with Trino's grammar, as sent and bound", len(out))
}
