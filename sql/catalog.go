// Package sql holds the query catalog: one .sql file per query under
// <pack>/ beside this file, each with a strict metadata header, embedded into the
// binary and parsed once. It validates user values against the declared
// parameter types and renders a query into SQL text with positional `?`
// placeholders plus an ordered argument list, within Athena's limits at any
// list length (render.go). It knows nothing of engines: user values never
// enter the SQL text, and the only substitutions are a table identifier that
// comes from configuration and the sections that read a separate data table.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed */*.sql
var embedded embed.FS

// Tables a query may read. Both are substituted with identifiers from the
// configuration: on Athena the Glue tables, locally the engine's one view.
const (
	TableManagement = "management"
	TableData       = "data"
)

var knownTables = map[string]bool{TableManagement: true, TableData: true}

// Param is one declared parameter of a query.
type Param struct {
	Name     string
	Type     Type
	Optional bool
	Doc      string
	Line     int
}

// Query is one parsed catalog entry.
type Query struct {
	Name    string // "<pack>/<name>"
	Pack    string
	Summary string
	File    string
	Params  []Param
	Tables  []string
	// Attack holds ATT&CK ids the query detects (tactics TAxxxx, techniques Txxxx[.xxx]).
	Attack []string
	// Body is the SQL text after the header, still with :name and {{table}} placeholders.
	Body string
	// BodyLine is the file line the body starts on, for error messages.
	BodyLine int

	segments []segment
}

// Catalog is the set of parsed queries.
type Catalog struct {
	byName map[string]*Query
	names  []string
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the embedded catalog, parsed once. A broken file is an
// error naming file:line.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = Load(embedded, ".") })
	return defaultCat, defaultErr
}

// Load parses every .sql file under root in fsys.
func Load(fsys fs.FS, root string) (*Catalog, error) {
	c := &Catalog{byName: map[string]*Query{}}
	var errs []string
	sources := map[string]string{}
	var order []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".sql" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		sources[rel] = string(b)
		order = append(order, rel)
		return nil
	})
	if err == nil {
		// Fragments first, then the queries that include them.
		fragments := map[string][]segment{}
		for _, rel := range order {
			if strings.HasPrefix(path.Base(rel), "_") {
				segs, ferr := parseFragment(rel, sources[rel])
				if ferr != nil {
					errs = append(errs, ferr.Error())
					continue
				}
				fragments[strings.TrimSuffix(rel, ".sql")] = segs
			}
		}
		if ferr := expandFragments(fragments); ferr != nil {
			errs = append(errs, ferr.Error())
		}
		for _, rel := range order {
			if strings.HasPrefix(path.Base(rel), "_") {
				continue
			}
			if e := c.add(rel, sources[rel], fragments); e != "" {
				errs = append(errs, e)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load query catalog: %w", err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load query catalog:\n  %s", strings.Join(errs, "\n  "))
	}
	sort.Strings(c.names)
	return c, nil
}

// SQLText is the query's SQL with its fragments spliced in and its
// parameters and tables left as placeholders (":name", "{{table}}"): the
// text to look for column names in, not to run.
func (q *Query) SQLText() string {
	var b strings.Builder
	for _, s := range q.segments {
		switch s.kind {
		case segText:
			b.WriteString(s.text)
		case segParam:
			b.WriteString(":" + s.text)
		case segTable:
			b.WriteString("{{" + s.text + "}}")
		case segOwnData:
			b.WriteString("{{#" + ownData + "}}")
		case segEndOwnData:
			b.WriteString("{{/" + ownData + "}}")
		}
	}
	return b.String()
}

// Get returns the named query.
func (c *Catalog) Get(name string) (*Query, bool) {
	q, ok := c.byName[name]
	return q, ok
}

// MustGet returns the named query or panics; for names fixed in code, which a
// test checks.
func (c *Catalog) MustGet(name string) *Query {
	q, ok := c.byName[name]
	if !ok {
		panic("catalog: no query " + name)
	}
	return q
}

// List returns every query sorted by name.
func (c *Catalog) List() []*Query {
	out := make([]*Query, 0, len(c.names))
	for _, n := range c.names {
		out = append(out, c.byName[n])
	}
	return out
}

// Pack returns the queries of one pack, sorted by name.
func (c *Catalog) Pack(pack string) []*Query {
	var out []*Query
	for _, n := range c.names {
		if q := c.byName[n]; q.Pack == pack {
			out = append(out, q)
		}
	}
	return out
}

// Param returns the declared parameter with the given name.
func (q *Query) Param(name string) (Param, bool) {
	for _, p := range q.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// add parses one query file into c; it returns what is wrong with it, or
// "" (a parse error naming file:line, or a name already taken).
func (c *Catalog) add(rel, src string, fragments map[string][]segment) string {
	q, err := parse(rel, src, fragments)
	if err != nil {
		return err.Error()
	}
	if prev, dup := c.byName[q.Name]; dup {
		return fmt.Sprintf("%s:1: query name %q already used by %s", rel, q.Name, prev.File)
	}
	c.byName[q.Name] = q
	c.names = append(c.names, q.Name)
	return ""
}
