package sigma

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// expr is a parsed Sigma condition.
type expr interface {
	sql(compile func(ident string) (string, error)) (string, error)
}

type identExpr struct{ name string }
type notExpr struct{ e expr }
type boolExpr struct {
	op    string // "AND" or "OR"
	parts []expr
}

func (e identExpr) sql(c func(string) (string, error)) (string, error) { return c(e.name) }

func (e notExpr) sql(c func(string) (string, error)) (string, error) {
	s, err := e.e.sql(c)
	if err != nil {
		return "", err
	}
	return "(NOT " + s + ")", nil
}

func (e boolExpr) sql(c func(string) (string, error)) (string, error) {
	var out []string
	for _, p := range e.parts {
		s, err := p.sql(c)
		if err != nil {
			return "", err
		}
		out = append(out, s)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return "(" + strings.Join(out, " "+e.op+" ") + ")", nil
}

var condTokenRe = regexp.MustCompile(`\(|\)|[^\s()]+`)

// parseCondition parses Sigma's condition language: search identifiers,
// and, or, not, parentheses, and "1 of X" / "all of X" where X is an
// identifier, a pattern with *, or "them". idents are the rule's search
// identifiers in their order.
func parseCondition(s string, idents []string) (expr, error) {
	if strings.Contains(s, "|") {
		return nil, errors.New("aggregations (| count() ...) are not supported")
	}
	p := &condParser{toks: condTokenRe.FindAllString(s, -1), idents: idents}
	if len(p.toks) == 0 {
		return nil, errors.New("the condition is empty")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	return e, nil
}

type condParser struct {
	toks   []string
	i      int
	idents []string
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i])
	}
	return ""
}

func (p *condParser) or() (expr, error) {
	var parts []expr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if p.peek() != "or" {
			break
		}
		p.i++
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return boolExpr{"OR", parts}, nil
}

func (p *condParser) and() (expr, error) {
	var parts []expr
	for {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if p.peek() != "and" {
			break
		}
		p.i++
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return boolExpr{"AND", parts}, nil
}

func (p *condParser) not() (expr, error) {
	if p.peek() == "not" {
		p.i++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (expr, error) {
	t := p.peek()
	switch t {
	case "":
		return nil, errors.New("the condition ends too early")
	case "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("a parenthesis is not closed")
		}
		p.i++
		return e, nil
	case ")", "and", "or":
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i])
	case "near":
		return nil, errors.New("near is not supported")
	}
	if p.i+1 < len(p.toks) && strings.ToLower(p.toks[p.i+1]) == "of" {
		quant := t
		if quant != "1" && quant != "all" && quant != "any" {
			return nil, fmt.Errorf("%q of is not supported (only 1 of and all of)", p.toks[p.i])
		}
		if p.i+2 >= len(p.toks) {
			return nil, fmt.Errorf("%s of what?", quant)
		}
		target := p.toks[p.i+2]
		p.i += 3
		var names []string
		for _, id := range p.idents {
			switch {
			case target == "them":
				if !strings.HasPrefix(id, "_") {
					names = append(names, id)
				}
			default:
				if ok, _ := path.Match(target, id); ok {
					names = append(names, id)
				}
			}
		}
		if strings.ContainsAny(target, "?[]\\") {
			return nil, fmt.Errorf("identifier pattern %q: only * is a wildcard", target)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no search identifier matches %q", target)
		}
		parts := make([]expr, len(names))
		for i, n := range names {
			parts[i] = identExpr{n}
		}
		op := "OR"
		if quant == "all" {
			op = "AND"
		}
		return boolExpr{op, parts}, nil
	}
	name := p.toks[p.i]
	p.i++
	for _, id := range p.idents {
		if id == name {
			return identExpr{name}, nil
		}
	}
	return nil, fmt.Errorf("no search identifier %q", name)
}
