package sql

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// WithQueries returns a new catalog holding c's queries and the queries in
// files (a path "<pack>/<name>.sql" to its text), parsed exactly as the
// embedded files are: the same strict header, the same checks, and the
// embedded fragments ({{> hunt/_columns}}) to include. Queries generated at
// run time (Sigma rules translated to SQL) become catalog queries this way,
// so every engine and the evidence bundle treat them like the others. A
// name already in c is an error.
func (c *Catalog) WithQueries(files map[string]string) (*Catalog, error) {
	fragments := map[string][]segment{}
	var errs []string
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".sql" || !strings.HasPrefix(path.Base(p), "_") {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		segs, ferr := parseFragment(p, string(b))
		if ferr != nil {
			errs = append(errs, ferr.Error())
			return nil
		}
		fragments[strings.TrimSuffix(p, ".sql")] = segs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load query fragments: %w", err)
	}
	if ferr := expandFragments(fragments); ferr != nil {
		errs = append(errs, ferr.Error())
	}
	out := &Catalog{byName: map[string]*Query{}, names: append([]string{}, c.names...)}
	for n, q := range c.byName {
		out.byName[n] = q
	}
	rels := make([]string, 0, len(files))
	for rel := range files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		if strings.HasPrefix(path.Base(rel), "_") {
			errs = append(errs, fmt.Sprintf("%s: an added query may not be a fragment", rel))
			continue
		}
		if e := out.add(rel, files[rel], fragments); e != "" {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("add queries to the catalog:\n  %s", strings.Join(errs, "\n  "))
	}
	sort.Strings(out.names)
	return out, nil
}
