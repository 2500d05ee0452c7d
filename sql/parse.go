package sql

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

var (
	nameRe   = regexp.MustCompile(`^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$`)
	identRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	attackRe = regexp.MustCompile(`^(TA\d{4}|T\d{4}(\.\d{3})?)$`)
)

type segKind int

const (
	segText segKind = iota
	segParam
	segTable
	segInclude
	// segOwnData and segEndOwnData enclose SQL that is rendered only when
	// the data table is a table of its own, {{#own_data}} ... {{/own_data}}:
	// a query reading both tables reads the management table once when
	// data events share it (the default setup, and the local engine's one
	// view), instead of scanning it twice through UNION ALL.
	segOwnData
	segEndOwnData
)

// ownData is the section name of segOwnData.
const ownData = "own_data"

type segment struct {
	kind segKind
	text string // SQL text, parameter name, table name or fragment name
	line int
	// file is set on segments spliced in from a fragment, so errors point
	// into the fragment.
	file string
}

// fragmentRe names a fragment: a file sql/<pack>/_<name>.sql, included
// in a query's body as {{> <pack>/_<name>}}. Fragments hold the CTEs several
// queries share; the SQL that runs, and that the bundle records, is always
// the expanded text.
var fragmentRe = regexp.MustCompile(`^[a-z][a-z0-9_]*/_[a-z][a-z0-9_]*$`)

// parseFragment tokenizes a fragment file; its own includes are expanded
// later by expandFragments.
func parseFragment(file, src string) ([]segment, error) {
	// The leading comment block documents the fragment in its file; the
	// SQL that runs (and that the bundle records) gets only the SQL, without
	// a trailing newline, so it reads naturally where it is included.
	lines := strings.Split(src, "\n")
	first := 0
	for first < len(lines) && (strings.HasPrefix(strings.TrimSpace(lines[first]), "--") || strings.TrimSpace(lines[first]) == "") {
		first++
	}
	src = strings.TrimRight(strings.Join(lines[first:], "\n"), " \t\r\n")
	segs, err := tokenize(src, first+1)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	for i := range segs {
		segs[i].file = file
	}
	return segs, nil
}

// expandFragments replaces includes inside fragments with the included
// fragment's segments, so a fragment can build on another (a shared column
// list on the shared principal expression). A cycle is an error.
func expandFragments(frags map[string][]segment) error {
	done := map[string]bool{}
	var expand func(name string, stack []string) error
	expand = func(name string, stack []string) error {
		if done[name] {
			return nil
		}
		for _, n := range stack {
			if n == name {
				return fmt.Errorf("fragments include each other: %s", strings.Join(append(stack, name), " -> "))
			}
		}
		var out []segment
		for _, sg := range frags[name] {
			if sg.kind != segInclude {
				out = append(out, sg)
				continue
			}
			if _, ok := frags[sg.text]; !ok {
				return fmt.Errorf("%s:%d: unknown fragment {{> %s}}", sg.file, sg.line, sg.text)
			}
			if err := expand(sg.text, append(stack, name)); err != nil {
				return err
			}
			out = append(out, frags[sg.text]...)
		}
		frags[name] = out
		done[name] = true
		return nil
	}
	names := make([]string, 0, len(frags))
	for n := range frags {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := expand(n, nil); err != nil {
			return err
		}
	}
	return nil
}

// parse reads one query file. The header is the leading block of `-- key:
// value` lines; everything after the first line that is not a header line is
// the body.
func parse(file, src string, fragments map[string][]segment) (*Query, error) {
	q := &Query{File: file, Pack: path.Dir(file)}
	lines := strings.Split(src, "\n")
	fail := func(line int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, a...))
	}
	seen := map[string]int{}
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r")
		ln := i + 1
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !strings.HasPrefix(l, "--") {
			break
		}
		rest := strings.TrimSpace(strings.TrimPrefix(l, "--"))
		key, val, ok := strings.Cut(rest, ":")
		if !ok {
			// A plain comment ends nothing but must not look like a typo'd key.
			if strings.Contains(rest, " ") || rest == "" {
				continue
			}
			return nil, fail(ln, "header line %q is not `-- key: value`", l)
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		switch key {
		case "name":
			if q.Name != "" {
				return nil, fail(ln, "name given twice (first on line %d)", seen["name"])
			}
			if !nameRe.MatchString(val) {
				return nil, fail(ln, "name %q must be <pack>/<name> in lowercase letters, digits and _", val)
			}
			want := strings.TrimSuffix(file, ".sql")
			if val != want {
				return nil, fail(ln, "name %q does not match the file path %q", val, want)
			}
			q.Name = val
		case "summary":
			if q.Summary != "" {
				return nil, fail(ln, "summary given twice (first on line %d)", seen["summary"])
			}
			if val == "" {
				return nil, fail(ln, "summary is empty")
			}
			q.Summary = val
		case "param":
			f := strings.Fields(val)
			if len(f) < 2 {
				return nil, fail(ln, "param needs `name type [optional] [description]`, got %q", val)
			}
			p := Param{Name: f[0], Line: ln}
			if !identRe.MatchString(p.Name) {
				return nil, fail(ln, "param name %q must be lowercase letters, digits and _", p.Name)
			}
			if _, dup := q.Param(p.Name); dup {
				return nil, fail(ln, "param %q declared twice", p.Name)
			}
			t, ok := types[Type(f[1])]
			if !ok {
				return nil, fail(ln, "param %q has unknown type %q (known: %s)", p.Name, f[1], strings.Join(TypeNames(), ", "))
			}
			p.Type = t.name
			doc := f[2:]
			if len(doc) > 0 && doc[0] == "optional" {
				p.Optional = true
				doc = doc[1:]
			}
			p.Doc = strings.Join(doc, " ")
			q.Params = append(q.Params, p)
		case "table":
			for _, t := range strings.Fields(val) {
				if !knownTables[t] {
					return nil, fail(ln, "unknown table %q (known: data, management)", t)
				}
				for _, have := range q.Tables {
					if have == t {
						return nil, fail(ln, "table %q declared twice", t)
					}
				}
				q.Tables = append(q.Tables, t)
			}
		case "attack":
			for _, a := range strings.Fields(val) {
				if !attackRe.MatchString(a) {
					return nil, fail(ln, "attack id %q is not an ATT&CK tactic (TA0001) or technique (T1078, T1078.004)", a)
				}
				q.Attack = append(q.Attack, a)
			}
		default:
			return nil, fail(ln, "unknown header key %q (known: name, summary, param, table, attack)", key)
		}
		if _, ok := seen[key]; !ok {
			seen[key] = ln
		}
	}
	if q.Name == "" {
		return nil, fail(1, "missing `-- name:` header")
	}
	if q.Summary == "" {
		return nil, fail(1, "missing `-- summary:` header")
	}
	if len(q.Tables) == 0 {
		return nil, fail(1, "missing `-- table:` header")
	}
	q.BodyLine = i + 1
	q.Body = strings.Join(lines[i:], "\n")
	if strings.TrimSpace(q.Body) == "" {
		return nil, fail(q.BodyLine, "query has no SQL")
	}
	raw, err := tokenize(q.Body, q.BodyLine)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	var segs []segment
	for _, sg := range raw {
		if sg.kind != segInclude {
			segs = append(segs, sg)
			continue
		}
		frag, ok := fragments[sg.text]
		if !ok {
			return nil, fail(sg.line, "unknown fragment {{> %s}} (fragments are sql/<pack>/_<name>.sql)", sg.text)
		}
		segs = append(segs, frag...)
	}
	q.segments = segs
	at := func(sg segment) string {
		if sg.file != "" {
			return sg.file
		}
		return file
	}
	usedP := map[string]bool{}
	usedT := map[string]bool{}
	open := false
	for i, s := range segs {
		switch s.kind {
		case segOwnData:
			if open {
				return nil, fmt.Errorf("%s:%d: {{#%s}} inside another (by %s)", at(s), s.line, ownData, q.Name)
			}
			open = true
		case segEndOwnData:
			if !open {
				return nil, fmt.Errorf("%s:%d: {{/%s}} without {{#%s}} (by %s)", at(s), s.line, ownData, ownData, q.Name)
			}
			open = false
		case segParam:
			if p, ok := q.Param(s.text); ok && isList(p.Type) && !inList(segs, i) {
				return nil, fmt.Errorf("%s:%d: list parameter :%s must be the whole of an IN list, `x IN (:%s)` (by %s)", at(s), s.line, s.text, s.text, q.Name)
			}
			if _, ok := q.Param(s.text); !ok {
				return nil, fmt.Errorf("%s:%d: parameter :%s is used but not declared (by %s)", at(s), s.line, s.text, q.Name)
			}
			usedP[s.text] = true
		case segTable:
			if !knownTables[s.text] {
				return nil, fmt.Errorf("%s:%d: unknown table {{%s}}", at(s), s.line, s.text)
			}
			declared := false
			for _, t := range q.Tables {
				declared = declared || t == s.text
			}
			if !declared {
				return nil, fmt.Errorf("%s:%d: table {{%s}} is used but not declared in `-- table:` (by %s)", at(s), s.line, s.text, q.Name)
			}
			usedT[s.text] = true
		}
	}
	if open {
		return nil, fail(1, "{{#%s}} is never closed", ownData)
	}
	for _, p := range q.Params {
		if !usedP[p.Name] {
			return nil, fail(p.Line, "parameter %q is declared but never used", p.Name)
		}
	}
	for _, t := range q.Tables {
		if !usedT[t] {
			return nil, fail(1, "table %q is declared but never used", t)
		}
	}
	return q, nil
}

// tokenize splits SQL into text, :param and {{table}} segments. It skips
// string literals, quoted identifiers and comments, so a ':' or '{{' inside
// them is just text. A bare '?' is refused: positions belong to the catalog.
func tokenize(sql string, firstLine int) ([]segment, error) {
	var segs []segment
	var buf strings.Builder
	line := firstLine
	flush := func() {
		if buf.Len() > 0 {
			segs = append(segs, segment{kind: segText, text: buf.String(), line: line})
			buf.Reset()
		}
	}
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '\n':
			buf.WriteByte(c)
			line++
			i++
		case c == '\'' || c == '"':
			// literal or quoted identifier; a doubled quote escapes itself
			j := i + 1
			for {
				if j >= n {
					return nil, fmt.Errorf("%d: unterminated %c-quoted text", line, c)
				}
				if sql[j] == c {
					if j+1 < n && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			lit := sql[i : j+1]
			line += strings.Count(lit, "\n")
			buf.WriteString(lit)
			i = j + 1
		case c == '-' && i+1 < n && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = n - i
			}
			buf.WriteString(sql[i : i+j])
			i += j
		case c == '/' && i+1 < n && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("%d: unterminated /* comment", line)
			}
			cm := sql[i : i+2+j+2]
			line += strings.Count(cm, "\n")
			buf.WriteString(cm)
			i += len(cm)
		case c == '?':
			return nil, fmt.Errorf("%d: bare '?' placeholder; use a named :param", line)
		case c == ':' && i+1 < n && sql[i+1] == ':':
			return nil, fmt.Errorf("%d: '::' casts are not Trino SQL; use CAST(x AS type)", line)
		case c == ':' && i+1 < n && isIdentStart(sql[i+1]):
			j := i + 1
			for j < n && isIdentPart(sql[j]) {
				j++
			}
			flush()
			segs = append(segs, segment{kind: segParam, text: sql[i+1 : j], line: line})
			i = j
		case c == '{' && strings.HasPrefix(sql[i:], "{{"):
			j := strings.Index(sql[i:], "}}")
			if j < 0 {
				return nil, fmt.Errorf("%d: unterminated {{", line)
			}
			flush()
			inner := strings.TrimSpace(sql[i+2 : i+j])
			if inner == "#"+ownData || inner == "/"+ownData {
				kind := segOwnData
				if inner[0] == '/' {
					kind = segEndOwnData
				}
				end := i + j + 2
				// A marker alone on its line takes the line with it, so
				// the SQL reads the same either way.
				if k := len(segs) - 1; k >= 0 && segs[k].kind == segText && end < n && sql[end] == '\n' {
					t := segs[k].text
					if ls := strings.LastIndexByte(t, '\n') + 1; ls > 0 && strings.Trim(t[ls:], " \t") == "" {
						segs[k].text = t[:ls]
						end++
					}
				}
				segs = append(segs, segment{kind: kind, text: ownData, line: line})
				if end > i+j+2 {
					line++
				}
				i = end
				continue
			}
			if strings.HasPrefix(inner, "#") || strings.HasPrefix(inner, "/") {
				return nil, fmt.Errorf("%d: unknown section {{%s}} (known: {{#%s}} ... {{/%s}})", line, inner, ownData, ownData)
			}
			if name, ok := strings.CutPrefix(inner, ">"); ok {
				name = strings.TrimSpace(name)
				if !fragmentRe.MatchString(name) {
					return nil, fmt.Errorf("%d: fragment name %q must be <pack>/_<name>", line, name)
				}
				segs = append(segs, segment{kind: segInclude, text: name, line: line})
			} else {
				segs = append(segs, segment{kind: segTable, text: inner, line: line})
			}
			i += j + 2
		default:
			buf.WriteByte(c)
			i++
		}
	}
	flush()
	return segs, nil
}

var (
	inOpenRe  = regexp.MustCompile(`(?i)\bIN\s*\(\s*$`)
	inCloseRe = regexp.MustCompile(`^\s*\)`)
)

// inList reports whether segs[i] stands alone between `IN (` and `)`.
func inList(segs []segment, i int) bool {
	return i > 0 && i+1 < len(segs) && segs[i-1].kind == segText && segs[i+1].kind == segText &&
		inOpenRe.MatchString(segs[i-1].text) && inCloseRe.MatchString(segs[i+1].text)
}

func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') }
