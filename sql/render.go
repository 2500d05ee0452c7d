package sql

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Bound is one parameter value as bound, for the evidence bundle.
type Bound struct {
	Name  string
	Value string
}

// Rendered is a query ready for an engine.
type Rendered struct {
	Name    string
	Summary string
	// SQL has `?` where parameters go; it contains no user value.
	SQL string
	// Args are the positional arguments, one per `?` (strings or int64).
	Args []any
	// ArgNames name the parameter behind each of Args (a parameter used
	// twice fills two placeholders).
	ArgNames []string
	// Params are the declared parameters with their validated values, in
	// declaration order.
	Params []Bound
}

// UsageError is a bad parameter value: the user's fault, exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

var tablePartRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$`)

// QuoteTable turns a configured dotted identifier (catalog.db.table,
// db.table or table) into a double-quoted SQL identifier.
func QuoteTable(id string) (string, error) {
	parts := strings.Split(id, ".")
	if len(parts) > 3 {
		return "", fmt.Errorf("table %q has more than three dotted parts", id)
	}
	for i, p := range parts {
		if !tablePartRe.MatchString(p) {
			return "", fmt.Errorf("table %q: part %q may only hold letters, digits, _ and -", id, p)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// Render validates values against q's declared parameters and produces the
// SQL and arguments. tables maps "management"/"data" to configured
// identifiers. Values not declared by q are an error; optional parameters
// left out are bound as the empty string.
func (q *Query) Render(tables map[string]string, values map[string]string) (*Rendered, error) {
	var unknown []string
	for k := range values {
		if _, ok := q.Param(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &UsageError{Msg: fmt.Sprintf("query %s has no parameter %s (it takes: %s)", q.Name, strings.Join(unknown, ", "), q.paramNames())}
	}
	args := map[string]any{}
	r := &Rendered{Name: q.Name, Summary: q.Summary}
	for _, p := range q.Params {
		v, given := values[p.Name]
		if !given || v == "" {
			if !p.Optional {
				return nil, &UsageError{Msg: fmt.Sprintf("query %s needs parameter %s (%s)", q.Name, p.Name, TypeDoc(p.Type))}
			}
			args[p.Name] = ""
			r.Params = append(r.Params, Bound{Name: p.Name, Value: ""})
			continue
		}
		a, err := Check(p.Type, v)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("%s: parameter %s: %v", q.Name, p.Name, err)}
		}
		args[p.Name] = a
		r.Params = append(r.Params, Bound{Name: p.Name, Value: fmt.Sprint(a)})
	}
	var sb strings.Builder
	for _, s := range q.segments {
		switch s.kind {
		case segText:
			sb.WriteString(s.text)
		case segParam:
			sb.WriteByte('?')
			r.Args = append(r.Args, args[s.text])
			r.ArgNames = append(r.ArgNames, s.text)
		case segTable:
			id, ok := tables[s.text]
			if !ok || id == "" {
				return nil, fmt.Errorf("render %s: no table configured for %q", q.Name, s.text)
			}
			quoted, err := QuoteTable(id)
			if err != nil {
				return nil, fmt.Errorf("render %s: %w", q.Name, err)
			}
			sb.WriteString(quoted)
		}
	}
	r.SQL = strings.TrimSpace(sb.String()) + "\n"
	return r, nil
}

func (q *Query) paramNames() string {
	var n []string
	for _, p := range q.Params {
		n = append(n, p.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}
