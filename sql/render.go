package sql

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Athena's limits on what StartQueryExecution takes (Athena API reference,
// StartQueryExecution: each ExecutionParameters member is 1 to 1,024
// characters; QueryString at most 262,144 bytes). Render keeps every query
// within them at any list length, so a run never fails at Athena's door.
const (
	// MaxParamLen is the longest one parameter may be as sent: the
	// literal, quotes and doubled quotes included (see SentLen).
	MaxParamLen = 1024
	// MaxQueryBytes is the longest query text, in bytes.
	MaxQueryBytes = 262144
)

// Literal is an argument as Athena receives it in ExecutionParameters: a
// string single-quoted with each quote doubled, an int64 as digits.
// engine/athena.Parameters formats them (the engine knows nothing of the
// catalog); its tests hold the two equal for every catalog query.
func Literal(a any) string {
	switch v := a.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(a)
}

// SentLen is the length of a string argument as Athena receives it (see
// Literal), counted in UTF-16 code units, as a Java service counts
// characters (a character outside the Basic Multilingual Plane counts twice,
// never less than the API may).
func SentLen(v string) int {
	n := 2
	for _, r := range v {
		if r == '\'' {
			n += 2
			continue
		}
		n += utf16.RuneLen(r)
	}
	return n
}

// chunks splits v into the fewest pieces whose literals are each at most
// MaxParamLen as sent, never inside a character.
func chunks(v string) []string {
	if SentLen(v) <= MaxParamLen {
		return []string{v}
	}
	var out []string
	start, n := 0, 2
	for i, r := range v {
		w := utf16.RuneLen(r)
		if r == '\'' {
			w = 2
		}
		if n+w > MaxParamLen {
			out = append(out, v[start:i])
			start, n = i, 2
		}
		n += w
	}
	return append(out, v[start:])
}

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
	// Args are the positional arguments, one per `?` (strings or int64),
	// each at most MaxParamLen as sent.
	Args []any
	// ArgNames name the parameter behind each of Args (a parameter used
	// twice fills two placeholders): "name" for a value, "name[3]" for the
	// third element of a list, and "name part 2/3" for the second of three
	// pieces of a value too long for one parameter.
	ArgNames []string
	// Params are the declared parameters with their validated values, in
	// declaration order.
	Params []Bound
	// Scans are the table scans a scoped render made (RenderScoped), in
	// text order; empty when the tables are read whole.
	Scans []Scan
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
	return q.RenderScoped(tables, values, nil)
}

// RenderScoped is Render with each reference to a table role in scopes
// replaced by scans of that scope's partitions (see Shard): a
// parenthesised SELECT * of the table constrained by account, region and
// the query's day range, or a UNION ALL of such scans, every value a
// parameter. Roles not in scopes are read whole, as Render reads them.
func (q *Query) RenderScoped(tables map[string]string, values map[string]string, scopes map[string]Scope) (*Rendered, error) {
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
			if isList(p.Type) {
				args[p.Name] = []string{}
			} else {
				args[p.Name] = ""
			}
			r.Params = append(r.Params, Bound{Name: p.Name, Value: ""})
			continue
		}
		a, err := Check(p.Type, v)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("%s: parameter %s: %v", q.Name, p.Name, err)}
		}
		args[p.Name] = a
		shown := fmt.Sprint(a)
		if l, ok := a.([]string); ok {
			shown = strings.Join(l, ",")
		}
		r.Params = append(r.Params, Bound{Name: p.Name, Value: shown})
	}
	var sb strings.Builder
	// value writes one value's placeholder: `?`, or a parenthesised
	// concatenation of pieces when its literal would be longer than one
	// parameter takes. The text depends only on the value's length.
	value := func(name string, a any) {
		s, ok := a.(string)
		if !ok {
			sb.WriteByte('?')
			r.Args = append(r.Args, a)
			r.ArgNames = append(r.ArgNames, name)
			return
		}
		cs := chunks(s)
		if len(cs) == 1 {
			sb.WriteByte('?')
			r.Args = append(r.Args, s)
			r.ArgNames = append(r.ArgNames, name)
			return
		}
		sb.WriteByte('(')
		for i, c := range cs {
			if i > 0 {
				sb.WriteString(" || ")
			}
			sb.WriteByte('?')
			r.Args = append(r.Args, c)
			r.ArgNames = append(r.ArgNames, fmt.Sprintf("%s part %d/%d", name, i+1, len(cs)))
		}
		sb.WriteByte(')')
	}
	// One table serves both roles when data events share the management
	// table: {{#own_data}} sections are left out.
	shared := tables[TableData] == "" || tables[TableData] == tables[TableManagement]
	skip := false
	for _, s := range q.segments {
		if s.kind == segOwnData {
			skip = shared
			continue
		}
		if s.kind == segEndOwnData {
			skip = false
			continue
		}
		if skip {
			continue
		}
		switch s.kind {
		case segText:
			sb.WriteString(s.text)
		case segParam:
			list, ok := args[s.text].([]string)
			if !ok {
				value(s.text, args[s.text])
				continue
			}
			// A list is the whole of an IN list (checked when the
			// catalog loads): one placeholder per element. The empty
			// list is NULL, which no value equals and no value is
			// NOT IN: `x IN (NULL)` and `x NOT IN (NULL)` both keep
			// no row.
			if len(list) == 0 {
				sb.WriteString("NULL")
			}
			for i, e := range list {
				if i > 0 {
					sb.WriteString(", ")
				}
				value(fmt.Sprintf("%s[%d]", s.text, i+1), e)
			}
		case segTable:
			id, ok := tables[s.text]
			if !ok || id == "" {
				return nil, fmt.Errorf("render %s: no table configured for %q", q.Name, s.text)
			}
			quoted, err := QuoteTable(id)
			if err != nil {
				return nil, fmt.Errorf("render %s: %w", q.Name, err)
			}
			sc, scoped := scopes[s.text]
			if !scoped {
				sb.WriteString(quoted)
				continue
			}
			if err := r.writeScans(&sb, q, s.text, quoted, sc, args, value); err != nil {
				return nil, err
			}
		}
	}
	r.SQL = strings.TrimSpace(sb.String()) + "\n"
	if len(r.SQL) > MaxQueryBytes && len(r.Scans) > 0 {
		return nil, &UsageError{Msg: fmt.Sprintf("query %s would be %d bytes of SQL, more than the %d Athena takes, with its %d partition scans: narrow the window or the accounts set up", q.Name, len(r.SQL), MaxQueryBytes, len(r.Scans))}
	}
	if len(r.SQL) > MaxQueryBytes {
		return nil, &UsageError{Msg: fmt.Sprintf("query %s would be %d bytes of SQL, more than the %d Athena takes: give fewer values", q.Name, len(r.SQL), MaxQueryBytes)}
	}
	return r, nil
}

// writeScans writes one scoped table reference.
func (r *Rendered) writeScans(sb *strings.Builder, q *Query, role, quoted string, sc Scope, args map[string]any, value func(string, any)) error {
	from, to := q.dayBounds(args)
	days := int64(DaysIn(from, to))
	if days == 0 {
		return fmt.Errorf("render %s: the query has no partition day range to scope {{%s}} by", q.Name, role)
	}
	where := ""
	if sc.Where != "" {
		where = " under " + sc.Where
	}
	shards, err := Shard(sc.Pairs, days, sc.Budget)
	if err != nil {
		// The user's window or setup is what does not fit: exit code 2,
		// before any query starts.
		return &UsageError{Msg: fmt.Sprintf("query %s cannot be scoped to the partitions of its %s table%s: %v", q.Name, role, where, err)}
	}
	sb.WriteByte('(')
	for i, sh := range shards {
		if i > 0 {
			sb.WriteString("\n  UNION ALL ")
		}
		tag := fmt.Sprintf("%s scan %d/%d", role, i+1, len(shards))
		sb.WriteString("SELECT * FROM " + quoted + " WHERE account IN (")
		for j, a := range sh[0] {
			if j > 0 {
				sb.WriteString(", ")
			}
			value(fmt.Sprintf("%s account[%d]", tag, j+1), a)
		}
		sb.WriteString(") AND region IN (")
		for j, g := range sh[1] {
			if j > 0 {
				sb.WriteString(", ")
			}
			value(fmt.Sprintf("%s region[%d]", tag, j+1), g)
		}
		sb.WriteString(") AND day BETWEEN ")
		value(tag+" day_from", from)
		sb.WriteString(" AND ")
		value(tag+" day_to", to)
		r.Scans = append(r.Scans, Scan{Role: role, Table: quoted, Accounts: sh[0], Regions: sh[1], DayFrom: from, DayTo: to})
	}
	sb.WriteByte(')')
	return nil
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
