package investigate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/attack"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// IdentityOptions are the inputs of `ctathena identity`.
type IdentityOptions struct {
	ARNs       []string
	AccessKeys []string
	IPs        []string
	Window     Window
	// Pivot is the most expansion rounds; 0 runs no pivot.
	Pivot int
	// MaxQueries caps the queries the pivot may run (the activity
	// queries are not counted); 0 means DefaultMaxQueries.
	MaxQueries int
	// OrgAccounts are the organization's accounts (grants and shares to
	// any other account are called outside the organization); empty when
	// unknown.
	OrgAccounts []string
}

// DefaultMaxQueries is the pivot's query budget when none is given.
const DefaultMaxQueries = 40

// IdentityQueries are the activity queries identity runs, in report order.
var IdentityQueries = []string{"identity/activity", "identity/acts", "identity/object_reads", "identity/mutating", "identity/errors", "identity/created"}

// Names of the tables the pivot derives; they go to the report as
// reports.QueryRun{Derived: true}.
const (
	PivotQuery  = "identity/pivot_links"
	PivotNodes  = "identity/pivot_nodes"
	PivotEdges  = "identity/pivot_edges"
	PivotRounds = "identity/pivot_rounds"
)

// Node kinds in the pivot graph.
const (
	KindIdentity   = "identity"
	KindAccessKey  = "access_key"
	KindIP         = "ip"
	KindRole       = "role"
	KindAWSService = "aws_service"
)

// Relations in the pivot graph (from -> to).
const (
	RelUsesKey  = "uses_key"  // identity -> access key
	RelFromIP   = "from_ip"   // identity -> source address
	RelMinted   = "minted"    // key (or identity) -> session key in an STS response
	RelCreated  = "created"   // key (or identity) -> key in a CreateAccessKey response
	RelIssuedBy = "issued_by" // role session -> the role that issued it
)

// listBudget is how long one list parameter may grow before a round needs
// another query; a little under sql.MaxListLen.
var listBudget = sql.MaxListLen

// PlanIdentity validates the options and returns the activity queries over
// the given identities, keys and addresses.
func PlanIdentity(o IdentityOptions) ([]Planned, error) {
	arns, prefix, err := splitPrefix(o.ARNs)
	if err != nil {
		return nil, err
	}
	if prefix != "" && o.Pivot > 0 {
		return nil, &sql.UsageError{Msg: "--arn " + prefix + "*: a prefix cannot start a pivot (it would follow every identity it matches); run without --pivot, then pivot from the ARNs the report lists"}
	}
	o.ARNs = arns
	ips, rng, err := splitRange(o.IPs)
	if err != nil {
		return nil, err
	}
	if rng.cidr != "" && o.Pivot > 0 {
		return nil, &sql.UsageError{Msg: "--ip: a range cannot start a pivot (it would follow every address in it); run without --pivot, then pivot from the addresses the report lists"}
	}
	o.IPs = ips
	if len(o.ARNs)+len(o.AccessKeys)+len(o.IPs) == 0 && prefix == "" && rng.cidr == "" {
		return nil, &sql.UsageError{Msg: "identity needs at least one --arn, --access-key or --ip"}
	}
	check := func(flag string, ty sql.Type, vals []string) error {
		for _, v := range vals {
			got, err := sql.Check(ty, v)
			if err != nil {
				return &sql.UsageError{Msg: flag + ": " + err.Error()}
			}
			if got != v || strings.Contains(v, ",") {
				return &sql.UsageError{Msg: fmt.Sprintf("%s: %q cannot be matched exactly (it holds a comma or is not in the form CloudTrail writes)", flag, v)}
			}
		}
		if n := len(strings.Join(vals, ",")); n > sql.MaxListLen {
			return &sql.UsageError{Msg: fmt.Sprintf("%s: the values add up to %d characters; at most %d fit in one query, so split the investigation", flag, n, sql.MaxListLen)}
		}
		return nil
	}
	if err := check("--arn", "arn", o.ARNs); err != nil {
		return nil, err
	}
	if err := check("--access-key", "access_key", o.AccessKeys); err != nil {
		return nil, err
	}
	if err := check("--ip", "ip", o.IPs); err != nil {
		return nil, err
	}
	if o.Pivot < 0 {
		return nil, &sql.UsageError{Msg: "--pivot must be 0 (no pivot) or a number of rounds"}
	}
	if o.MaxQueries < 0 {
		return nil, &sql.UsageError{Msg: "--max-queries must be a positive number of queries"}
	}
	return activityPlans(o.Window, prefix, rng, o.ARNs, o.AccessKeys, o.IPs), nil
}

func activityPlans(w Window, prefix string, rng ipRange, arns, keys, ips []string) []Planned {
	v := rng.set(selectorValues(w, arns, keys, ips))
	v["arn_prefix"] = prefix
	var plans []Planned
	for _, q := range IdentityQueries {
		plans = append(plans, Planned{Name: q, Values: v})
	}
	return plans
}

func selectorValues(w Window, arns, keys, ips []string) map[string]string {
	dayFrom, dayTo := Days(w.Since, w.Until)
	return map[string]string{
		"arns": strings.Join(arns, ","), "keys": strings.Join(keys, ","), "ips": strings.Join(ips, ","),
		"since": Stamp(w.Since), "until": Stamp(w.Until), "day_from": dayFrom, "day_to": dayTo,
	}
}

// Identity reports what the identities did in the window and, with
// o.Pivot > 0, follows them to the addresses, keys and identities linked to
// them until nothing new appears, o.Pivot rounds have run, or the query
// budget is spent.
func Identity(ctx context.Context, env *Env, o IdentityOptions) (*Outcome, error) {
	if _, err := PlanIdentity(o); err != nil {
		return nil, err
	}
	out := &Outcome{}
	given, prefix, _ := splitPrefix(o.ARNs)
	o.ARNs = given
	givenIPs, rng, _ := splitRange(o.IPs)
	o.IPs = givenIPs
	arns, keys, ips := o.ARNs, o.AccessKeys, o.IPs
	var pv *pivot
	if o.Pivot > 0 {
		pv = newPivot(o)
		if err := pv.run(ctx, env); err != nil {
			return nil, err
		}
		if !env.DryRun {
			// The activity sheets cover everyone the pivot reached when the
			// lists fit in one query; addresses stay the ones given, since
			// a shared address would bring in whole offices.
			ra, rk := pv.reached()
			if len(strings.Join(ra, ",")) <= sql.MaxListLen && len(strings.Join(rk, ",")) <= sql.MaxListLen {
				arns, keys = ra, rk
			} else {
				out.Notes = append(out.Notes, fmt.Sprintf("the activity sheets cover the %d identities and keys given, not all %d the pivot reached: their list is longer than one query takes", len(o.ARNs)+len(o.AccessKeys), len(ra)+len(rk)))
			}
		}
	}
	runs, err := env.RunAll(ctx, activityPlans(o.Window, prefix, rng, arns, keys, ips))
	if a := find(runs, "identity/activity"); a != nil && a.Err == "" && !env.DryRun {
		addAttack(a)
	}
	out.Queries = runs
	if pv != nil {
		out.Queries = append(out.Queries, pv.tables()...)
		out.Queries = append(out.Queries, pv.runs...)
		out.Notes = append(out.Notes, pv.notes()...)
	}
	if err != nil || env.DryRun {
		return out, err
	}
	out.Findings = identityFindings(o, runs, pv)
	out.Charts = []reports.Chart{
		{Title: "Calls by principal, event source and name", Query: "identity/activity", CategoryColumn: "event_name", ValueColumn: "events", Kind: "bar"},
	}
	return out, nil
}

// pivotNode is one vertex of the graph.
type pivotNode struct {
	kind, value string
	round       int
	expanded    bool
	// why says why the node was not expanded ("" while it may still be).
	why string
	// local marks a node followed only through rows other queries fetched.
	local bool
}

const noARN = "no ARN a query can match exactly: followed only through rows fetched for other nodes"

type pivotEdge struct{ from, to, rel string }

type edgeStat struct {
	count       int64
	first, last time.Time
	via         map[string]bool
}

// linkRow is one row of identity/pivot_links: a distinct combination and
// its statistics. Its count is complete whenever it is returned, because
// the query's filter is a function of the combination itself, so rows seen
// again in a later round replace, not add.
type linkRow struct {
	identityType, principal, arn, key, ip, minted, created, issuer, via string
}

type linkStat struct {
	count       int64
	first, last time.Time
}

type pivotRound struct {
	round, queries int
	expanded       int
	added          []string
}

type pivot struct {
	o      IdentityOptions
	budget int
	used   int
	nodes  map[string]*pivotNode
	order  []string
	links  map[linkRow]linkStat
	rounds []pivotRound
	runs   []reports.QueryRun
	// stop says why the pivot ended: "fixed point", "rounds" or "budget".
	stop string
	// serviceTypes are principals logged with userIdentity.type AWSService.
	serviceTypes map[string]bool
}

func newPivot(o IdentityOptions) *pivot {
	p := &pivot{o: o, budget: o.MaxQueries, nodes: map[string]*pivotNode{}, links: map[linkRow]linkStat{}}
	if p.budget <= 0 {
		p.budget = DefaultMaxQueries
	}
	for _, v := range o.ARNs {
		p.add(KindIdentity, v, 0)
	}
	for _, v := range o.AccessKeys {
		p.add(KindAccessKey, v, 0)
	}
	for _, v := range o.IPs {
		p.add(KindIP, v, 0)
	}
	return p
}

// add records a node the first time it is seen; it reports whether the
// node is new.
func (p *pivot) add(kind, value string, round int) bool {
	if value == "" {
		return false
	}
	if _, ok := p.nodes[value]; ok {
		return false
	}
	n := &pivotNode{kind: kind, value: value, round: round}
	switch kind {
	case KindAWSService:
		n.why = "AWS-internal source: never expanded"
	case KindRole:
		n.why = "a role is not expanded: every session of it would follow"
	case KindIdentity:
		if v, err := sql.Check("arn", value); err != nil || v != value || strings.Contains(value, ",") {
			// Principals without an ARN (web identity and SAML users,
			// anonymous callers, ARNs with a comma) cannot be queried, but
			// the rows already fetched still show what they did.
			n.why = noARN
			n.local = true
		}
	case KindAccessKey:
		if v, err := sql.Check("access_key", value); err != nil || v != value {
			n.why = "not an access key id a query can match"
		}
	case KindIP:
		if v, err := sql.Check("ip", value); err != nil || v != value || strings.Contains(value, ",") {
			n.why = "not an IP address"
		}
	}
	p.nodes[value] = n
	p.order = append(p.order, value)
	return true
}

// isAWSSource says whether a sourceIPAddress is AWS itself rather than a
// client: following it would link every identity that uses the service.
func isAWSSource(s string) bool {
	return s == "AWS Internal" || strings.HasSuffix(strings.ToLower(s), ".amazonaws.com")
}

// chunk is one query's share of a round's frontier.
type chunk struct {
	arns, keys, ips []string
	nodes           []*pivotNode
}

func (c *chunk) len(kind string) int {
	l := c.arns
	switch kind {
	case KindAccessKey:
		l = c.keys
	case KindIP:
		l = c.ips
	}
	n := 0
	for _, v := range l {
		n += len(v) + 1
	}
	return n
}

// chunks packs the expandable frontier into as few queries as the list
// parameters allow.
func chunks(frontier []*pivotNode) []*chunk {
	var out []*chunk
	for _, n := range frontier {
		var placed *chunk
		for _, c := range out {
			if c.len(n.kind)+len(n.value) <= listBudget {
				placed = c
				break
			}
		}
		if placed == nil {
			placed = &chunk{}
			out = append(out, placed)
		}
		switch n.kind {
		case KindIdentity:
			placed.arns = append(placed.arns, n.value)
		case KindAccessKey:
			placed.keys = append(placed.keys, n.value)
		case KindIP:
			placed.ips = append(placed.ips, n.value)
		}
		placed.nodes = append(placed.nodes, n)
	}
	return out
}

func (p *pivot) run(ctx context.Context, env *Env) error {
	frontier := append([]string(nil), p.order...)
	p.stop = "fixed point"
	for round := 1; ; round++ {
		var expandable, local []*pivotNode
		for _, v := range frontier {
			switch n := p.nodes[v]; {
			case n.why == "" && !n.expanded:
				expandable = append(expandable, n)
			case n.local && !n.expanded:
				local = append(local, n)
			}
		}
		if len(expandable)+len(local) == 0 {
			return nil
		}
		if round > p.o.Pivot {
			p.stop = "rounds"
			for _, n := range append(expandable, local...) {
				n.why = fmt.Sprintf("the pivot stopped after %s (--pivot)", plural(int64(p.o.Pivot), "round", "rounds"))
				n.local = false
			}
			return nil
		}
		cs := chunks(expandable)
		take := min(len(cs), p.budget-p.used)
		if env.DryRun {
			take = len(cs)
		}
		for _, c := range cs[take:] {
			for _, n := range c.nodes {
				n.why = fmt.Sprintf("the pivot stopped after %d queries: the budget (--max-queries)", p.budget)
			}
		}
		if take < len(cs) {
			p.stop = "budget"
		}
		if take == 0 && len(local) == 0 {
			return nil
		}
		var plans []Planned
		for _, c := range cs[:take] {
			plans = append(plans, Planned{Name: PivotQuery, Values: selectorValues(p.o.Window, c.arns, c.keys, c.ips)})
		}
		var runs []reports.QueryRun
		var err error
		if len(plans) > 0 {
			runs, err = env.RunAll(ctx, plans)
		}
		p.used += len(runs)
		p.runs = append(p.runs, runs...)
		if err != nil {
			return err
		}
		if env.DryRun {
			// Later rounds depend on answers a dry run does not have.
			p.stop = "dry run"
			return nil
		}
		expandedNow := map[string]bool{}
		for _, n := range local {
			n.expanded = true
			expandedNow[n.value] = true
		}
		for i, r := range runs {
			for _, n := range cs[i].nodes {
				if r.Err != "" {
					n.why = "its pivot query failed: " + r.Err
					continue
				}
				n.expanded = true
				expandedNow[n.value] = true
			}
			if r.Err == "" {
				p.absorb(r)
			}
		}
		var added []string
		for _, e := range p.edgesOf() {
			for _, pair := range [][2]string{{e.from, e.to}, {e.to, e.from}} {
				if expandedNow[pair[0]] && p.add(p.kindOf(pair[1], e, pair[1] == e.to), pair[1], round) {
					added = append(added, pair[1])
				}
			}
		}
		sort.Strings(added)
		p.rounds = append(p.rounds, pivotRound{round: round, queries: len(runs), expanded: len(expandedNow), added: added})
		// Once the budget is spent the next round runs no query: it marks
		// what this round added as not expanded, and follows only what
		// needs no query.
		frontier = added
	}
}

// kindOf names the kind of a node first seen as one end of e.
func (p *pivot) kindOf(value string, e pivotEdge, isTo bool) string {
	if isAWSSource(value) {
		return KindAWSService
	}
	switch e.rel {
	case RelUsesKey:
		if isTo {
			return KindAccessKey
		}
	case RelFromIP:
		if isTo {
			return KindIP
		}
	case RelIssuedBy:
		if isTo {
			return KindRole
		}
	case RelMinted, RelCreated:
		if _, err := sql.Check("access_key", value); isTo || err == nil {
			return KindAccessKey
		}
	}
	if p.serviceTypes[value] {
		return KindAWSService
	}
	return KindIdentity
}

func (p *pivot) absorb(r reports.QueryRun) {
	rr := newRowReader(colNames(r.Columns))
	for _, row := range r.Rows {
		l := linkRow{
			identityType: rr.str(row, "identity_type"), principal: rr.str(row, "principal"), arn: rr.str(row, "arn"),
			key: rr.str(row, "access_key"), ip: rr.str(row, "source_ip"), minted: rr.str(row, "minted_key"),
			created: rr.str(row, "created_key"), issuer: rr.str(row, "session_issuer"), via: rr.str(row, "via"),
		}
		if l.identityType == "AWSService" {
			if p.serviceTypes == nil {
				p.serviceTypes = map[string]bool{}
			}
			p.serviceTypes[l.principal] = true
		}
		p.links[l] = linkStat{count: int64(rr.num(row, "events")), first: rr.time(row, "first_seen"), last: rr.time(row, "last_seen")}
	}
}

// edgesOf derives the graph's edges, with their statistics, from every
// distinct link row seen so far.
func (p *pivot) edgesOf() []pivotEdge {
	es := p.edgeStats()
	out := make([]pivotEdge, 0, len(es))
	for e := range es {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		return a.rel < b.rel
	})
	return out
}

func (p *pivot) edgeStats() map[pivotEdge]*edgeStat {
	es := map[pivotEdge]*edgeStat{}
	for l, s := range p.links {
		add := func(from, to, rel string) {
			if from == "" || to == "" {
				return
			}
			e := pivotEdge{from, to, rel}
			st := es[e]
			if st == nil {
				st = &edgeStat{via: map[string]bool{}}
				es[e] = st
			}
			st.count += s.count
			if !s.first.IsZero() && (st.first.IsZero() || s.first.Before(st.first)) {
				st.first = s.first
			}
			if s.last.After(st.last) {
				st.last = s.last
			}
			if l.via != "" && (rel == RelMinted || rel == RelCreated) {
				st.via[l.via] = true
			}
		}
		who := l.principal
		if who == "unknown" {
			who = ""
		}
		add(who, l.key, RelUsesKey)
		add(who, l.ip, RelFromIP)
		src := l.key
		if src == "" {
			src = who
		}
		add(src, l.minted, RelMinted)
		add(src, l.created, RelCreated)
		add(who, l.issuer, RelIssuedBy)
	}
	return es
}

// reached lists the expandable identities and keys the pivot found, for the
// activity queries.
func (p *pivot) reached() (arns, keys []string) {
	for _, v := range p.order {
		n := p.nodes[v]
		if n.why != "" && !strings.HasPrefix(n.why, "the pivot stopped") {
			continue
		}
		switch n.kind {
		case KindIdentity:
			arns = append(arns, v)
		case KindAccessKey:
			keys = append(keys, v)
		}
	}
	sort.Strings(arns)
	sort.Strings(keys)
	return arns, keys
}

func (p *pivot) unexpanded() []*pivotNode {
	var out []*pivotNode
	for _, v := range p.order {
		if n := p.nodes[v]; strings.HasPrefix(n.why, "the pivot stopped") {
			out = append(out, n)
		}
	}
	return out
}

func (p *pivot) notes() []string {
	switch p.stop {
	case "budget":
		return []string{fmt.Sprintf("pivot stopped after %d queries: the budget; %d identities, keys or IP addresses were not expanded (raise --max-queries to follow them)", p.used, len(p.unexpanded()))}
	case "rounds":
		return []string{fmt.Sprintf("pivot stopped after %s (--pivot); %d identities, keys or IP addresses were not expanded", plural(int64(p.o.Pivot), "round", "rounds"), len(p.unexpanded()))}
	case "dry run":
		return []string{"dry run: only the pivot's first round is shown; later rounds depend on its answers"}
	}
	return nil
}

// tables renders the graph as the report's derived sheets.
func (p *pivot) tables() []reports.QueryRun {
	str := func(n string) engine.Column { return engine.Column{Name: n, Type: engine.String} }
	num := func(n string) engine.Column { return engine.Column{Name: n, Type: engine.Integer} }
	ts := func(n string) engine.Column { return engine.Column{Name: n, Type: engine.Timestamp} }
	nodes := reports.QueryRun{Name: PivotNodes, Derived: true,
		Summary: "every identity, access key and address the pivot reached, the round that reached it, and why it was not followed further",
		Columns: []engine.Column{str("value"), str("kind"), num("round"), str("expanded"), str("not_expanded_because")},
		Stats:   engine.Stats{State: "DERIVED"}}
	for _, v := range p.order {
		n := p.nodes[v]
		exp := "no"
		if n.expanded {
			exp = "yes"
		}
		nodes.Rows = append(nodes.Rows, []any{n.value, n.kind, int64(n.round), exp, n.why})
	}
	sort.SliceStable(nodes.Rows, func(i, j int) bool { return nodes.Rows[i][2].(int64) < nodes.Rows[j][2].(int64) })

	edges := reports.QueryRun{Name: PivotEdges, Derived: true,
		Summary: "the pivot graph: who used which key and address, and which keys minted or created which (events over distinct eventID)",
		Columns: []engine.Column{str("from"), str("from_kind"), str("to"), str("to_kind"), str("relation"), str("via"),
			ts("first_seen"), ts("last_seen"), num("count")},
		Stats: engine.Stats{State: "DERIVED"}}
	es := p.edgeStats()
	for _, e := range p.edgesOf() {
		f, t := p.nodes[e.from], p.nodes[e.to]
		if f == nil || t == nil {
			continue
		}
		st := es[e]
		var via []string
		for v := range st.via {
			via = append(via, v)
		}
		sort.Strings(via)
		edges.Rows = append(edges.Rows, []any{e.from, f.kind, e.to, t.kind, e.rel, strings.Join(via, ","),
			nilTime(st.first), nilTime(st.last), st.count})
	}

	rounds := reports.QueryRun{Name: PivotRounds, Derived: true,
		Summary: "the pivot round by round: queries used, nodes followed, and what each round added",
		Columns: []engine.Column{num("round"), num("queries"), num("expanded"), num("added"), str("added_nodes")},
		Stats:   engine.Stats{State: "DERIVED"}}
	for _, r := range p.rounds {
		var names []string
		for _, v := range r.added {
			names = append(names, p.nodes[v].kind+" "+v)
		}
		rounds.Rows = append(rounds.Rows, []any{int64(r.round), int64(r.queries), int64(r.expanded), int64(len(r.added)), strings.Join(names, "\n")})
	}
	return []reports.QueryRun{nodes, edges, rounds}
}

func nilTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// findings states what the pivot reached and which keys minted or created
// which; issued maps a key to the events whose response handed it out.
func (p *pivot) findings(issued map[string][]string) []reports.Finding {
	var fs []reports.Finding
	count := map[string]int64{}
	for _, v := range p.order {
		count[p.nodes[v].kind]++
	}
	var seeds []string
	for _, v := range p.order {
		if p.nodes[v].round == 0 {
			seeds = append(seeds, v)
		}
	}
	why := map[string]string{
		"fixed point": "it stopped because nothing new appeared",
		"rounds":      fmt.Sprintf("it stopped at the round limit (--pivot %d), so more may be linked", p.o.Pivot),
		"budget":      fmt.Sprintf("it stopped at the query budget (--max-queries %d), so more may be linked", p.budget),
	}[p.stop]
	fs = append(fs, reports.Finding{Severity: sevInfo, Query: PivotEdges,
		Text: fmt.Sprintf("Following %s through the logs reached %s, %s and %s in %s using %s; %s. AWS-internal sources (%s) were recorded but not followed.",
			strings.Join(seeds, ", "), plural(count[KindIdentity], "identity", "identities"), plural(count[KindAccessKey], "access key", "access keys"),
			plural(count[KindIP], "IP address", "IP addresses"), plural(int64(len(p.rounds)), "round", "rounds"),
			plural(int64(p.used), "query", "queries"), why, Comma(count[KindAWSService]))})
	es := p.edgeStats()
	for _, e := range p.edgesOf() {
		if e.rel != RelMinted && e.rel != RelCreated {
			continue
		}
		if p.nodes[e.from] == nil || p.nodes[e.to] == nil {
			continue
		}
		st := es[e]
		verb := "minted session credentials"
		if e.rel == RelCreated {
			verb = "created the long-term access key"
		}
		var via []string
		for v := range st.via {
			via = append(via, v)
		}
		sort.Strings(via)
		fs = append(fs, reports.Finding{Severity: sevMedium, Query: PivotEdges, Time: st.first, EventIDs: issued[e.to],
			Text: fmt.Sprintf("%s %s %s (%s, first at %s).", e.from, verb, e.to, strings.Join(via, ", "), when(st.first))})
	}
	return fs
}

// addAttack puts the ATT&CK tactics and techniques the TrailDiscover mapping
// gives each event right after the event name, so a reader of the activity
// sheet sees which calls are adversary behaviour.
func addAttack(r *reports.QueryRun) {
	at := -1
	src := -1
	for i, c := range r.Columns {
		switch c.Name {
		case "event_name":
			at = i
		case "event_source":
			src = i
		}
	}
	if at < 0 || src < 0 {
		return
	}
	join := func(rs []attack.Ref) string {
		var s []string
		for _, x := range rs {
			s = append(s, x.String())
		}
		return strings.Join(s, "; ")
	}
	cols := append([]engine.Column(nil), r.Columns[:at+1]...)
	cols = append(cols, engine.Column{Name: "attack_tactics", Type: engine.String}, engine.Column{Name: "attack_techniques", Type: engine.String})
	r.Columns = append(cols, r.Columns[at+1:]...)
	for i, row := range r.Rows {
		source, _ := row[src].(string)
		name, _ := row[at].(string)
		var tac, tech string
		if ev, ok := attack.Lookup(source, name); ok {
			tac, tech = join(ev.Tactics), join(ev.Techniques)
		}
		out := append([]any(nil), row[:at+1]...)
		out = append(out, tac, tech)
		r.Rows[i] = append(out, row[at+1:]...)
	}
}
