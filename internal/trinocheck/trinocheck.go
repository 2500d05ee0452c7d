// Package trinocheck drives tools/trinocheck, the parser generated from
// Trino's own grammar (testdata/trino/SqlBase.g4), for the tests that check
// queries as Athena receives them: the catalog's (sql) and the translated
// Sigma rules' (sql/sigma). It runs node; it is used by tests only.
package trinocheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Input is one query as Athena would receive it: the SQL with `?` and each
// parameter as the SQL literal it binds to.
type Input struct {
	Name   string   `json:"name"`
	SQL    string   `json:"sql"`
	Params []string `json:"params"`
}

// Call is one function call the parser found.
type Call struct {
	Name   string `json:"name"`
	Args   int    `json:"args"` // -1 for f(*)
	Line   int    `json:"line"`
	Method bool   `json:"method"`
}

// Mark is one `?` and the clause it stands in.
type Mark struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Clause string `json:"clause"`
}

// Ident is one unquoted identifier.
type Ident struct {
	Name string `json:"name"`
	Line int    `json:"line"`
}

// Result is what the parser said of one Input.
type Result struct {
	Name          string   `json:"name"`
	Errors        []string `json:"errors"`
	BoundErrors   []string `json:"bound_errors"`
	Functions     []Call   `json:"functions"`
	Placeholders  []Mark   `json:"placeholders"`
	Identifiers   []Ident  `json:"identifiers"`
	QuestionMarks int      `json:"question_marks"`
}

// Unavailable says the checker cannot run here (no node, no modules); a
// test skips on it, or fails under CI.
type Unavailable struct{ Why string }

func (u *Unavailable) Error() string {
	return "Trino grammar check unavailable: " + u.Why + " (install node and npm, then `npm ci` in tools/trinocheck)"
}

// IsUnavailable reports whether err is an Unavailable.
func IsUnavailable(err error) bool {
	var u *Unavailable
	return errors.As(err, &u)
}

// Run parses qs with the parser in root/tools/trinocheck (root is the
// repository), generating it first when it is missing or was made from
// another grammar.
func Run(root string, qs []Input) ([]Result, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, &Unavailable{"node not found"}
	}
	dir := filepath.Join(root, "tools", "trinocheck")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "antlr4", "package.json")); err != nil {
		return nil, &Unavailable{"tools/trinocheck/node_modules is missing"}
	}
	if _, err := os.Stat(filepath.Join(dir, "gen", "SqlBaseParser.js")); err != nil || stale(root, dir) {
		if out, err := exec.Command(node, filepath.Join(dir, "generate.mjs")).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("generate the Trino parser: %v\n%s", err, out)
		}
	}
	in, err := json.Marshal(qs)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "check.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("trinocheck: %v\n%s", err, stderr.String())
	}
	var out []Result
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("trinocheck output: %v\n%.2000s", err, stdout.String())
	}
	if len(out) != len(qs) {
		return nil, fmt.Errorf("trinocheck answered %d queries of %d", len(out), len(qs))
	}
	return out, nil
}

// stale reports whether the generated parser was made from another
// grammar than testdata/trino/SqlBase.g4.
func stale(root, dir string) bool {
	made, err := os.ReadFile(filepath.Join(dir, "gen", "grammar.sha256"))
	if err != nil {
		return true
	}
	g, err := os.ReadFile(filepath.Join(root, "testdata", "trino", "SqlBase.g4"))
	if err != nil {
		return true
	}
	s := sha256.Sum256(g)
	return strings.TrimSpace(string(made)) != hex.EncodeToString(s[:])
}
