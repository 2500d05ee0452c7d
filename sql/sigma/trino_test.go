package sigma

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSigmaAgainstTrinoGrammar parses every translated rule, as Athena
// receives it, with the parser tools/trinocheck generates from Trino's own
// grammar: as sent and with each `?` bound, every `?` in a WHERE clause.
// It runs where the tree has tools/trinocheck (the catalog's grammar
// check); without node or its modules it skips, and fails under CI.
func TestSigmaAgainstTrinoGrammar(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "trinocheck"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "check.mjs")); err != nil {
		t.Skip("this tree has no tools/trinocheck")
	}
	unavailable := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("Trino grammar check unavailable in CI: %s", why)
		}
		t.Skipf("Trino grammar check unavailable: %s (install node, then `npm ci` in tools/trinocheck)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node not found")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "antlr4", "package.json")); err != nil {
		unavailable("tools/trinocheck/node_modules is missing")
	}
	if _, err := os.Stat(filepath.Join(dir, "gen", "SqlBaseParser.js")); err != nil {
		if out, err := exec.Command(node, filepath.Join(dir, "generate.mjs")).CombinedOutput(); err != nil {
			t.Fatalf("generate the Trino parser: %v\n%s", err, out)
		}
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
	type input struct {
		Name   string   `json:"name"`
		SQL    string   `json:"sql"`
		Params []string `json:"params"`
	}
	var ins []input
	for _, q := range qs {
		r := render(t, cat, q)
		in := input{Name: q.Name, SQL: r.SQL}
		for _, a := range r.Args {
			in.Params = append(in.Params, "'"+strings.ReplaceAll(a.(string), "'", "''")+"'")
		}
		ins = append(ins, in)
	}
	b, err := json.Marshal(ins)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "check.mjs"))
	cmd.Stdin = bytes.NewReader(b)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trinocheck: %v\n%s", err, stderr.String())
	}
	var out []struct {
		Name         string   `json:"name"`
		Errors       []string `json:"errors"`
		BoundErrors  []string `json:"bound_errors"`
		Placeholders []struct {
			Line   int    `json:"line"`
			Clause string `json:"clause"`
		} `json:"placeholders"`
		QuestionMarks int `json:"question_marks"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out) != len(ins) {
		t.Fatalf("trinocheck answered %d of %d queries: %v", len(out), len(ins), err)
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
