// Command attackgen turns the TrailDiscover catalog (adanalvarez/TrailDiscover,
// CC BY 4.0) into the compact ATT&CK mapping that package internal/attack
// embeds: one entry per eventSource and eventName with its tactics,
// techniques (sub-techniques included), description and whether the call is
// known to have been used in real attacks. The output is sorted and
// indented so that a regeneration shows as a readable diff.
//
//	go run ./tools/attackgen -in /path/to/traildiscover -out internal/attack/traildiscover.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ctathena/ctathena/internal/attack"
)

// source is the part of a TrailDiscover event file the mapping keeps.
type source struct {
	EventName     string   `json:"eventName"`
	EventSource   string   `json:"eventSource"`
	AWSService    string   `json:"awsService"`
	Description   string   `json:"description"`
	Tactics       []string `json:"mitreAttackTactics"`
	Techniques    []string `json:"mitreAttackTechniques"`
	SubTechniques []string `json:"mitreAttackSubTechniques"`
	UsedInWild    bool     `json:"usedInWild"`
}

// The output types are internal/attack's, which embeds the file.
type (
	Ref     = attack.Ref
	Event   = attack.Event
	Mapping = attack.Mapping
)

// refRe reads "T1562.008 - Impair Defenses: Disable ..." and the few
// entries that use ':' or no separator after the id.
var refRe = regexp.MustCompile(`^\s*(TA\d{4}|T\d{4}(?:\.\d{3})?)\s*[-:]?\s*(.*?)\s*$`)

func main() {
	in := flag.String("in", "", "TrailDiscover checkout (the folder holding events/)")
	out := flag.String("out", "internal/attack/traildiscover.json", "file to write")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "attackgen: -in is required")
		os.Exit(2)
	}
	m, err := build(os.DirFS(*in))
	if err != nil {
		fmt.Fprintln(os.Stderr, "attackgen:", err)
		os.Exit(1)
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "attackgen: encode mapping:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "attackgen: write mapping:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "attackgen: %d events written to %s\n", len(m.Events), *out)
}

func build(fsys fs.FS) (*Mapping, error) {
	m := &Mapping{Credit: "TrailDiscover (https://github.com/adanalvarez/TrailDiscover), CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); reduced to ids, names, descriptions and used-in-the-wild flags."}
	seen := map[string]string{}
	err := fs.WalkDir(fsys, "events", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".json" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		var s source
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if s.EventName == "" || s.EventSource == "" {
			return fmt.Errorf("read %s: no eventName or eventSource", p)
		}
		key := s.EventSource + " " + s.EventName
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("read %s: %s already described by %s", p, key, prev)
		}
		seen[key] = p
		e := Event{Source: s.EventSource, Name: s.EventName, Service: s.AWSService,
			Description: strings.TrimSpace(s.Description), UsedInTheWild: s.UsedInWild}
		if e.Tactics, err = refs(s.Tactics); err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if e.Techniques, err = refs(append(append([]string{}, s.Techniques...), s.SubTechniques...)); err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		m.Events = append(m.Events, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk events: %w", err)
	}
	if len(m.Events) == 0 {
		return nil, errors.New("no event files under events/")
	}
	sort.Slice(m.Events, func(i, j int) bool {
		if m.Events[i].Source != m.Events[j].Source {
			return m.Events[i].Source < m.Events[j].Source
		}
		return m.Events[i].Name < m.Events[j].Name
	})
	return m, nil
}

// refs parses ATT&CK entries, dropping duplicates and keeping id order.
func refs(in []string) ([]Ref, error) {
	out := []Ref{}
	seen := map[string]bool{}
	for _, s := range in {
		m := refRe.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%q is not an ATT&CK id and name", s)
		}
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		out = append(out, Ref{ID: m[1], Name: m[2]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
