package athena

import (
	"context"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/engine"
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
