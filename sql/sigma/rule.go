// Package sigma turns Sigma detection rules for AWS CloudTrail into catalog
// queries (package sql): one query per rule, in the SQL subset both engines
// run (Athena's Trino and the local DuckDB), with the same window and
// partition predicates as every hunt query and every value of the rule
// passed as a parameter, never as SQL text. A rule that uses something the
// translator cannot express faithfully is refused with the reason, so a
// caller can list it; nothing is dropped silently.
//
// The SigmaHQ rules for CloudTrail are embedded (rules/, under the Detection
// Rule License 1.1, which requires their authors' names wherever they are
// shown); Load reads a team's own rules from files or folders.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule is one Sigma rule as read from its YAML document.
type Rule struct {
	// File is where the rule came from (a path, or rules/<name>.yml for the
	// bundled ones); Doc is its document number in the file, from 1.
	File string
	Doc  int
	// Bundled marks SigmaHQ's rules shipped with the tool.
	Bundled bool

	Title, ID, Status, Description, Author, Level, Date, Modified string
	License                                                       string
	References, Tags, FalsePositives                              []string
	Product, Service, Category                                    string

	detection *yaml.Node
	raw       *yaml.Node
}

// Refusal is a rule that was not translated, and why.
type Refusal struct {
	File, Title, ID string
	Reason          string
}

func (r Refusal) String() string {
	name := r.Title
	if name == "" {
		name = filepath.Base(r.File)
	}
	if r.ID != "" {
		name += " (" + r.ID + ")"
	}
	return fmt.Sprintf("%s [%s]: %s", name, r.File, r.Reason)
}

// Parse reads every YAML document of one Sigma file. A document that is
// not a usable rule becomes a Refusal; a file that is not YAML at all is
// one Refusal.
func Parse(file string, data []byte) ([]*Rule, []Refusal) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	var refused []Refusal
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			refused = append(refused, Refusal{File: file, Reason: "not valid YAML: " + err.Error()})
			break
		}
		r, err := fromNode(file, doc, &n)
		if err != nil {
			ref := Refusal{File: file, Reason: err.Error()}
			if r != nil {
				ref.Title, ref.ID = r.Title, r.ID
			}
			refused = append(refused, ref)
			continue
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 && len(refused) == 0 {
		refused = append(refused, Refusal{File: file, Reason: "the file holds no YAML document"})
	}
	return rules, refused
}

func fromNode(file string, doc int, n *yaml.Node) (*Rule, error) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	r := &Rule{File: file, Doc: doc, raw: n}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("document %d is not a YAML mapping, so not a Sigma rule", doc)
	}
	str := func(key string) string {
		if v := mapGet(n, key); v != nil && v.Kind == yaml.ScalarNode {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	list := func(key string) []string {
		v := mapGet(n, key)
		if v == nil {
			return nil
		}
		if v.Kind == yaml.ScalarNode {
			return []string{v.Value}
		}
		var out []string
		for _, c := range v.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	r.Title, r.ID, r.Status, r.Description = str("title"), str("id"), str("status"), str("description")
	r.Author, r.Level, r.Date, r.Modified = str("author"), strings.ToLower(str("level")), str("date"), str("modified")
	r.License = str("license")
	r.References, r.Tags, r.FalsePositives = list("references"), list("tags"), list("falsepositives")
	if ls := mapGet(n, "logsource"); ls != nil && ls.Kind == yaml.MappingNode {
		get := func(k string) string {
			if v := mapGet(ls, k); v != nil && v.Kind == yaml.ScalarNode {
				return strings.ToLower(strings.TrimSpace(v.Value))
			}
			return ""
		}
		r.Product, r.Service, r.Category = get("product"), get("service"), get("category")
	}
	switch {
	case mapGet(n, "action") != nil:
		return r, fmt.Errorf("rule collections (action: %s) are not supported; give each rule its own document", str("action"))
	case mapGet(n, "correlation") != nil:
		return r, errors.New("correlation rules (several events together) are not supported")
	case r.Title == "":
		return r, errors.New("the rule has no title")
	}
	r.detection = mapGet(n, "detection")
	if r.detection == nil || r.detection.Kind != yaml.MappingNode {
		return r, errors.New("the rule has no detection section")
	}
	return r, nil
}

// mapGet returns the value of key in a mapping node, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Load reads the Sigma rules at each path: a .yml/.yaml file, or a folder
// searched recursively for them. A path that does not exist, or a folder
// that holds no rule file, is an error (the caller's usage error); a file
// that is not a usable rule is a Refusal.
func Load(paths []string) ([]*Rule, []Refusal, error) {
	var rules []*Rule
	var refused []Refusal
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		var files []string
		if st.IsDir() {
			err = filepath.WalkDir(p, func(f string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && isRuleFile(f) {
					files = append(files, f)
				}
				return nil
			})
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			if len(files) == 0 {
				return nil, nil, fmt.Errorf("%s: the folder holds no .yml or .yaml file", p)
			}
			sort.Strings(files)
		} else {
			files = []string{p}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			rs, refs := Parse(f, b)
			rules = append(rules, rs...)
			refused = append(refused, refs...)
		}
	}
	return rules, refused, nil
}

func isRuleFile(f string) bool {
	ext := strings.ToLower(filepath.Ext(f))
	return ext == ".yml" || ext == ".yaml"
}
