package sigma

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/ctathena/ctathena/sql"
)

//go:embed rules/*.yml rules/LICENSE rules/LICENSE.Detection.Rules.md rules/PROVENANCE
var bundled embed.FS

// The SigmaHQ commit the bundled rules were copied from, and their licence
// as it is shown beside every rule (the DRL 1.1 asks for the author and a
// link to the rule wherever it is shared).
const (
	BundledCommit  = "8eaafff1f2845a696050e05e72ba1140ee190698"
	BundledLicense = "Detection Rule License (DRL) 1.1, SigmaHQ"
	// Credit is the line the evidence bundle's credits carry.
	Credit = "Sigma rules for AWS CloudTrail: SigmaHQ/sigma (https://github.com/SigmaHQ/sigma, commit " + BundledCommit +
		"), by the authors named on each rule, under the Detection Rule License (DRL) 1.1 (https://github.com/SigmaHQ/Detection-Rule-License)."
)

// Source links to where a rule came from: the rule at SigmaHQ for a
// bundled one, its file otherwise.
func Source(r *Rule) string {
	if r.Bundled {
		return "https://github.com/SigmaHQ/sigma/blob/" + BundledCommit + "/rules/cloud/aws/cloudtrail/" + path.Base(r.File)
	}
	return r.File
}

var (
	bundledOnce    sync.Once
	bundledRules   []*Rule
	bundledRefused []Refusal
)

// Bundled returns SigmaHQ's AWS CloudTrail rules shipped with the tool,
// parsed once, in file order.
func Bundled() ([]*Rule, []Refusal) {
	bundledOnce.Do(func() {
		names, _ := fs.Glob(bundled, "rules/*.yml")
		sort.Strings(names)
		for _, n := range names {
			b, err := fs.ReadFile(bundled, n)
			if err != nil {
				bundledRefused = append(bundledRefused, Refusal{File: n, Reason: err.Error()})
				continue
			}
			rs, refs := Parse(n, b)
			for _, r := range rs {
				r.Bundled = true
			}
			bundledRules = append(bundledRules, rs...)
			bundledRefused = append(bundledRefused, refs...)
		}
	})
	return bundledRules, bundledRefused
}

// TranslateAll translates rules in order, giving each a catalog name
// (sigma/<file slug>, with _2, _3, ... when two files share a slug or a
// file holds several rules). The rules that cannot be translated are
// refused with the reason.
func TranslateAll(rules []*Rule, taken map[string]bool) ([]*Query, []Refusal) {
	used := map[string]bool{}
	for n := range taken {
		used[n] = true
	}
	var out []*Query
	var refused []Refusal
	for _, r := range rules {
		base := Slug(r.File)
		slug := base
		for i := 2; used[Pack+"/"+slug]; i++ {
			slug = fmt.Sprintf("%s_%d", base, i)
		}
		q, err := Translate(r, slug)
		if err != nil {
			refused = append(refused, Refusal{File: r.File, Title: r.Title, ID: r.ID, Reason: err.Error()})
			continue
		}
		used[q.Name] = true
		out = append(out, q)
	}
	return out, refused
}

// Catalog returns base with the translated queries added, so that they
// render, run and are recorded like every other catalog query.
func Catalog(base *sql.Catalog, qs []*Query) (*sql.Catalog, error) {
	files := make(map[string]string, len(qs))
	for _, q := range qs {
		files[q.File] = q.Text
	}
	c, err := base.WithQueries(files)
	if err != nil {
		return nil, fmt.Errorf("sigma: %w", err)
	}
	return c, nil
}

// Values returns the rendering values of q: the window's and the rule's.
func (q *Query) RenderValues(window map[string]string) map[string]string {
	out := make(map[string]string, len(q.Values)+len(window))
	for k, v := range window {
		out[k] = v
	}
	for k, v := range q.Values {
		out[k] = v
	}
	return out
}

// Describe is a short name for a rule in lists and findings: its title and
// level, one line.
func (r *Rule) Describe() string {
	return strings.Join(strings.Fields(fmt.Sprintf("%q (level %s)", r.Title, orDash(r.Level))), " ")
}
