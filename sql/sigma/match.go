package sigma

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"

	"github.com/ctathena/ctathena/sql"
)

// builder collects a query's parameters while its condition is written.
type builder struct {
	params []param
}

type param struct{ name, field, value string }

var paramSlugRe = regexp.MustCompile(`[^a-z0-9]+`)

// bind makes value a parameter of the query and returns its placeholder.
// The value must pass the catalog's text type and fit Athena's limit as
// sent; otherwise the rule is refused.
func (b *builder) bind(fieldName, value string) (string, error) {
	if value == "" {
		return "", errors.New("internal: empty values are written as ''")
	}
	if _, err := sql.Check("text", value); err != nil {
		return "", fmt.Errorf("value for %s: %v", fieldName, err)
	}
	if n := sentLen(value); n > MaxSentLen {
		return "", fmt.Errorf("value for %s is %d characters as Athena receives it; at most %d fit in one parameter", fieldName, n, MaxSentLen)
	}
	f := strings.Trim(paramSlugRe.ReplaceAllString(strings.ToLower(fieldName), "_"), "_")
	for len(f) > 40 && strings.Contains(f, "_") {
		// Keep the end of a long path: its last keys say the most.
		_, f, _ = strings.Cut(f, "_")
	}
	if len(f) > 40 {
		f = f[len(f)-40:]
	}
	name := fmt.Sprintf("v%d_%s", len(b.params)+1, f)
	b.params = append(b.params, param{name: name, field: fieldName, value: value})
	return ":" + name, nil
}

// sentLen is the length of value as Athena receives it (quoted, quotes
// doubled), in UTF-16 code units as a Java service counts characters.
func sentLen(value string) int {
	n := 2
	for _, r := range value {
		n += utf16.RuneLen(r)
		if r == '\'' {
			n++
		}
	}
	return n
}

// search compiles one search identifier: a map (every field matches), or a
// list of maps (any of them matches).
func (b *builder) search(name string, n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			return "", fmt.Errorf("search %s is empty", name)
		}
		var parts []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			s, err := b.fieldCond(n.Content[i].Value, n.Content[i+1])
			if err != nil {
				return "", fmt.Errorf("search %s: %w", name, err)
			}
			parts = append(parts, s)
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return "(" + strings.Join(parts, " AND ") + ")", nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return "", fmt.Errorf("search %s is an empty list", name)
		}
		var parts []string
		for _, c := range n.Content {
			if c.Kind != yaml.MappingNode {
				return "", fmt.Errorf("search %s is a keyword search (values without a field); CloudTrail has no free-text field to search", name)
			}
			s, err := b.search(name, c)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return "(" + strings.Join(parts, " OR ") + ")", nil
	}
	return "", fmt.Errorf("search %s is a keyword search (a value without a field); CloudTrail has no free-text field to search", name)
}

// value is one value of a field condition.
type value struct {
	null bool
	s    string
	tag  string
}

func values(n *yaml.Node) ([]value, error) {
	one := func(c *yaml.Node) (value, error) {
		if c.Kind == yaml.AliasNode {
			c = c.Alias
		}
		if c.Kind != yaml.ScalarNode {
			return value{}, errors.New("a value is a list or a map; Sigma values are text, numbers, booleans or null")
		}
		switch c.ShortTag() {
		case "!!null":
			return value{null: true, tag: "!!null"}, nil
		case "!!bool":
			return value{s: strings.ToLower(c.Value), tag: "!!bool"}, nil
		}
		return value{s: c.Value, tag: c.ShortTag()}, nil
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return nil, errors.New("an empty list of values matches nothing")
		}
		var out []value
		for _, c := range n.Content {
			v, err := one(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := one(n)
	return []value{v}, err
}

// modifiers the translator knows; the rest are refused by name.
var knownMods = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "re": true,
	"i": true, "m": true, "s": true, "cidr": true, "fieldref": true, "exists": true, "cased": true,
}

// fieldCond compiles `field|mod|mod: value(s)`.
func (b *builder) fieldCond(key string, n *yaml.Node) (string, error) {
	parts := strings.Split(key, "|")
	name := parts[0]
	mods := map[string]bool{}
	for _, m := range parts[1:] {
		m = strings.ToLower(m)
		if !knownMods[m] {
			return "", fmt.Errorf("modifier |%s (on %s) is not supported", m, name)
		}
		mods[m] = true
	}
	if name == "" {
		return "", errors.New("a condition has no field name (keyword searches are not supported)")
	}
	f, err := resolve(name)
	if err != nil {
		return "", err
	}
	vals, err := values(n)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	count := 0
	for _, m := range []string{"contains", "startswith", "endswith"} {
		if mods[m] {
			count++
		}
	}
	if count > 1 {
		return "", fmt.Errorf("%s: contains, startswith and endswith cannot be combined", name)
	}
	for _, m := range []string{"re", "cidr", "fieldref", "exists"} {
		if mods[m] && (count > 0 || exclusiveWith(mods, m)) {
			return "", fmt.Errorf("%s: |%s cannot be combined with the other modifiers given", name, m)
		}
	}
	if (mods["i"] || mods["m"] || mods["s"]) && !mods["re"] {
		return "", fmt.Errorf("%s: |i, |m and |s apply only to |re", name)
	}
	join := " OR "
	if mods["all"] {
		join = " AND "
	}
	var leaves []string
	switch {
	case mods["exists"]:
		if len(vals) != 1 || vals[0].tag != "!!bool" {
			return "", fmt.Errorf("%s|exists takes true or false", name)
		}
		if vals[0].s == "true" {
			return "(" + f.present() + ")", nil
		}
		return "(NOT " + f.present() + ")", nil
	case mods["fieldref"]:
		for _, v := range vals {
			if v.null {
				return "", fmt.Errorf("%s|fieldref: null is not a field name", name)
			}
			other, err := resolve(v.s)
			if err != nil {
				return "", fmt.Errorf("%s|fieldref: %w", name, err)
			}
			a, o := f.text(), other.text()
			if !mods["cased"] {
				a, o = "lower("+a+")", "lower("+o+")"
			}
			leaves = append(leaves, fmt.Sprintf("COALESCE(%s = %s, FALSE)", a, o))
		}
	case mods["re"]:
		for _, v := range vals {
			if v.null {
				return "", fmt.Errorf("%s|re: null is not a pattern", name)
			}
			pat := v.s
			flags := ""
			for _, fl := range []string{"i", "m", "s"} {
				if mods[fl] {
					flags += fl
				}
			}
			if flags != "" {
				pat = "(?" + flags + ")" + pat
			}
			if _, err := regexp.Compile(pat); err != nil {
				return "", fmt.Errorf("%s|re: the pattern %q is not one both engines read the same way (RE2 syntax): %v", name, v.s, err)
			}
			p, err := b.bind(name, pat)
			if err != nil {
				return "", err
			}
			leaves = append(leaves, fmt.Sprintf("COALESCE(regexp_like(%s, %s), FALSE)", f.text(), p))
		}
	case mods["cidr"]:
		for _, v := range vals {
			pat, err := cidrPattern(v.s)
			if err != nil {
				return "", fmt.Errorf("%s|cidr: %w", name, err)
			}
			p, err := b.bind(name, pat)
			if err != nil {
				return "", err
			}
			leaves = append(leaves, fmt.Sprintf("COALESCE(regexp_like(%s, %s), FALSE)", f.text(), p))
		}
	default:
		var eq []string
		for _, v := range vals {
			if v.null {
				if mods["contains"] || mods["startswith"] || mods["endswith"] {
					return "", fmt.Errorf("%s: null cannot be combined with contains, startswith or endswith", name)
				}
				leaves = append(leaves, nullCond(f))
				continue
			}
			ps := wildcards(v.s)
			if mods["contains"] || mods["endswith"] {
				ps = append([]piece{{wild: '*'}}, ps...)
			}
			if mods["contains"] || mods["startswith"] {
				ps = append(ps, piece{wild: '*'})
			}
			ps = compact(ps)
			s, isEq, err := b.match(f, ps, !mods["cased"])
			if err != nil {
				return "", err
			}
			if isEq && !mods["all"] {
				eq = append(eq, s)
				continue
			}
			leaves = append(leaves, s)
		}
		if len(eq) > 0 {
			lhs := f.text()
			if !mods["cased"] {
				lhs = "lower(" + lhs + ")"
			}
			if len(eq) == 1 {
				leaves = append(leaves, fmt.Sprintf("COALESCE(%s = %s, FALSE)", lhs, eq[0]))
			} else {
				leaves = append(leaves, fmt.Sprintf("COALESCE(%s IN (%s), FALSE)", lhs, strings.Join(eq, ", ")))
			}
		}
	}
	if len(leaves) == 1 {
		return leaves[0], nil
	}
	return "(" + strings.Join(leaves, join) + ")", nil
}

func exclusiveWith(mods map[string]bool, m string) bool {
	for _, o := range []string{"re", "cidr", "fieldref", "exists"} {
		if o != m && mods[o] {
			return true
		}
	}
	return false
}

func nullCond(f field) string {
	if f.kind == kindPath {
		return "(json_extract(" + f.col + ", '" + f.path + "') IS NULL)"
	}
	return "(" + f.col + " IS NULL)"
}

// piece is part of a Sigma value: literal text, or a wildcard ('*' any
// run of characters, '?' one character).
type piece struct {
	lit  string
	wild byte
}

// wildcards splits a Sigma value at its unescaped wildcards. A backslash
// escapes *, ? and itself; before any other character it is literal.
func wildcards(s string) []piece {
	var out []piece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			out = append(out, piece{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// compact merges runs of '*'.
func compact(ps []piece) []piece {
	var out []piece
	for _, p := range ps {
		if p.wild == '*' && len(out) > 0 && out[len(out)-1].wild == '*' {
			continue
		}
		out = append(out, p)
	}
	return out
}

// match writes the condition that f matches the pieces. For a plain value
// it returns only the right-hand side (the placeholder, lowered unless
// cased) with isEq set, so that a list of them becomes one IN.
func (b *builder) match(f field, ps []piece, fold bool) (string, bool, error) {
	low := func(s string) string {
		if fold {
			return "lower(" + s + ")"
		}
		return s
	}
	onlyStars, hasWild := true, false
	for _, p := range ps {
		if p.wild != 0 {
			hasWild = true
		}
		if p.wild != '*' {
			onlyStars = false
		}
	}
	switch {
	case len(ps) == 0:
		// The empty string: no user text, so a literal.
		return low("''"), true, nil
	case onlyStars:
		// Any value at all: the field is there and not empty.
		if f.kind == kindPath {
			return "(" + f.present() + ")", false, nil
		}
		return "(" + f.col + " IS NOT NULL AND " + f.col + " <> '')", false, nil
	case !hasWild && f.kind != kindObject:
		p, err := b.bind(f.name, ps[0].lit)
		if err != nil {
			return "", false, err
		}
		return low(p), true, nil
	}
	like := func(text string, pat string) (string, error) {
		p, err := b.bind(f.name, pat)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("COALESCE(%s LIKE %s ESCAPE '\\', FALSE)", low(text), low(p)), nil
	}
	pat := likePattern(ps, false)
	switch f.kind {
	case kindObject:
		// A whole object is matched as its JSON text, where a quote or a
		// backslash of a nested string is escaped: try both spellings.
		s, err := like(f.col, pat)
		if err != nil {
			return "", false, err
		}
		if esc := likePattern(ps, true); esc != pat {
			s2, err := like(f.col, esc)
			if err != nil {
				return "", false, err
			}
			s = "(" + s + " OR " + s2 + ")"
		}
		return s, false, nil
	case kindPath:
		s, err := like(f.text(), pat)
		if err != nil {
			return "", false, err
		}
		if ps[0].wild == '*' && ps[len(ps)-1].wild == '*' {
			// contains on a path whose value is a list or an object (for
			// example requestParameters.containerDefinitions.command):
			// json_extract_scalar gives NULL, so the JSON text of the
			// whole column is searched, for events that have the path's
			// first key.
			alt, err := like(f.col, likePattern(ps, true))
			if err != nil {
				return "", false, err
			}
			s = fmt.Sprintf("(%s OR (%s IS NULL AND json_extract(%s, '%s') IS NOT NULL AND %s))", s, f.text(), f.col, f.top, alt)
		}
		return s, false, nil
	}
	s, err := like(f.col, pat)
	return s, false, err
}

// likePattern writes pieces as a LIKE pattern with '\' as the escape
// character; jsonText spells the literal parts as they appear inside a JSON
// string.
func likePattern(ps []piece, jsonText bool) string {
	var sb strings.Builder
	for _, p := range ps {
		switch p.wild {
		case '*':
			sb.WriteByte('%')
		case '?':
			sb.WriteByte('_')
		default:
			lit := p.lit
			if jsonText {
				lit = jsonEscape(lit)
			}
			for _, r := range lit {
				if r == '%' || r == '_' || r == '\\' {
					sb.WriteByte('\\')
				}
				sb.WriteRune(r)
			}
		}
	}
	return sb.String()
}

func jsonEscape(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// cidrPattern turns an IPv4 CIDR into an anchored regular expression over
// the address as CloudTrail writes it (leading zeros allowed, as in
// anonymised logs). Both engines lack IP functions that agree, and the
// pattern is a parameter like any other value.
func cidrPattern(s string) (string, error) {
	pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%q is not a CIDR such as 198.51.100.0/24", s)
	}
	if !pfx.Addr().Is4() {
		return "", fmt.Errorf("%q: IPv6 ranges are not supported (CloudTrail writes IPv6 addresses in more than one form)", s)
	}
	pfx = pfx.Masked()
	a := pfx.Addr().As4()
	bits := pfx.Bits()
	var octets []string
	for i := 0; i < 4; i++ {
		keep := bits - 8*i
		switch {
		case keep >= 8:
			octets = append(octets, fmt.Sprintf("0*%d", a[i]))
		case keep <= 0:
			octets = append(octets, `[0-9]{1,3}`)
		default:
			lo := int(a[i])
			hi := lo + (1 << (8 - keep)) - 1
			alts := make([]string, 0, hi-lo+1)
			for v := lo; v <= hi; v++ {
				alts = append(alts, fmt.Sprint(v))
			}
			octets = append(octets, "0*(?:"+strings.Join(alts, "|")+")")
		}
	}
	return `^` + strings.Join(octets, `\.`) + `$`, nil
}
