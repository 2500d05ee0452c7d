// Package attack maps CloudTrail events (eventSource and eventName) to MITRE
// ATT&CK tactics and techniques, so that every hunt hit can say which
// adversary behaviour it may be evidence of. The mapping is generated from
// the TrailDiscover catalog (https://github.com/adanalvarez/TrailDiscover,
// by adanalvarez, licensed CC BY 4.0) by tools/attackgen, committed as
// traildiscover.json, embedded, and parsed once; a small hand-written
// supplement covers the few events the hunt catalog names that TrailDiscover
// does not describe yet, each with the reason it is there.
package attack

//go:generate go run ../../tools/attackgen -in ../../../shared/datasets/traildiscover -out traildiscover.json

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed traildiscover.json
var traildiscover []byte

// Credit is the attribution the mapping's licence asks for; reports print it.
const Credit = "ATT&CK mapping: TrailDiscover (adanalvarez/TrailDiscover), CC BY 4.0"

// Ref is an ATT&CK tactic or technique: its id and name.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// String renders "T1562.008 Impair Defenses: Disable or Modify Cloud Logs".
func (r Ref) String() string {
	if r.Name == "" {
		return r.ID
	}
	return r.ID + " " + r.Name
}

// Event is what the mapping knows about one CloudTrail event.
type Event struct {
	Source        string `json:"source"`
	Name          string `json:"name"`
	Service       string `json:"service"`
	Description   string `json:"description"`
	Tactics       []Ref  `json:"tactics"`
	Techniques    []Ref  `json:"techniques"`
	UsedInTheWild bool   `json:"used_in_the_wild"`
	// Reason is set on supplement entries only: why the entry is
	// hand-written rather than generated.
	Reason string `json:"-"`
}

// Mapping is the shape of the generated file (tools/attackgen writes it).
type Mapping struct {
	Credit string  `json:"credit"`
	Events []Event `json:"events"`
}

type index struct {
	events     []Event
	bySource   map[string]int // "source name" -> index into events
	byName     map[string][]int
	techniques map[string]string
}

var (
	once   sync.Once
	loaded *index
	errIdx error
)

// versionSuffix is the API version some services (Lambda) append to event
// names: UpdateFunctionCode20150331v2 is UpdateFunctionCode.
var versionSuffix = regexp.MustCompile(`[0-9]{8}(v[0-9]+)?$`)

// Normalize strips an API version suffix from an event name.
func Normalize(name string) string { return versionSuffix.ReplaceAllString(name, "") }

func load() (*index, error) {
	once.Do(func() { loaded, errIdx = parse(traildiscover) })
	return loaded, errIdx
}

func parse(b []byte) (*index, error) {
	var m Mapping
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse embedded ATT&CK mapping: %w", err)
	}
	if len(m.Events) == 0 {
		return nil, fmt.Errorf("parse embedded ATT&CK mapping: no events")
	}
	ix := &index{bySource: map[string]int{}, byName: map[string][]int{}, techniques: map[string]string{}}
	add := func(e Event) {
		key := e.Source + " " + Normalize(e.Name)
		if _, dup := ix.bySource[key]; dup {
			return // the generated mapping wins over the supplement
		}
		ix.bySource[key] = len(ix.events)
		ix.byName[Normalize(e.Name)] = append(ix.byName[Normalize(e.Name)], len(ix.events))
		ix.events = append(ix.events, e)
		for _, t := range e.Techniques {
			if _, ok := ix.techniques[t.ID]; !ok && t.Name != "" {
				ix.techniques[t.ID] = t.Name
			}
		}
	}
	for _, e := range m.Events {
		add(e)
	}
	for _, e := range Supplement {
		add(e)
	}
	return ix, nil
}

func mustLoad() *index {
	ix, err := load()
	if err != nil {
		// The file is generated and embedded; a test parses it, so this
		// only fires on a broken build.
		panic(err)
	}
	return ix
}

// Lookup returns the mapping for an event. The source must match when the
// name is known under several sources; an unknown source falls back to the
// name when exactly one source describes it.
func Lookup(source, name string) (Event, bool) {
	ix := mustLoad()
	n := Normalize(name)
	if i, ok := ix.bySource[strings.ToLower(source)+" "+n]; ok {
		return ix.events[i], true
	}
	if source == "" {
		if is := ix.byName[n]; len(is) == 1 {
			return ix.events[is[0]], true
		}
	}
	return Event{}, false
}

// Events returns every mapped event, sorted by source and name.
func Events() []Event {
	ix := mustLoad()
	out := append([]Event(nil), ix.events...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Describe turns ATT&CK ids (as in a query's `-- attack:` header) into refs
// with names; an id the tables do not know keeps an empty name.
func Describe(ids []string) []Ref {
	ix := mustLoad()
	out := make([]Ref, 0, len(ids))
	for _, id := range ids {
		name := tactics[id]
		if name == "" {
			name = ix.techniques[id]
		}
		if name == "" {
			name = extraTechniques[id]
		}
		out = append(out, Ref{ID: id, Name: name})
	}
	return out
}

// tactics are the Enterprise ATT&CK tactics.
var tactics = map[string]string{
	"TA0001": "Initial Access", "TA0002": "Execution", "TA0003": "Persistence",
	"TA0004": "Privilege Escalation", "TA0005": "Defense Evasion", "TA0006": "Credential Access",
	"TA0007": "Discovery", "TA0008": "Lateral Movement", "TA0009": "Collection",
	"TA0010": "Exfiltration", "TA0011": "Command and Control", "TA0040": "Impact",
	"TA0042": "Resource Development", "TA0043": "Reconnaissance",
}

// IsTactic reports whether id is an Enterprise ATT&CK tactic id.
func IsTactic(id string) bool { _, ok := tactics[id]; return ok }
