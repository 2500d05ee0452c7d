package investigate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/attack"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/sql/sigma"
)

// HuntOptions are the inputs of `ctathena hunt`.
type HuntOptions struct {
	// Packs selects detection packs by name; empty means all of them.
	Packs  []string
	Window Window
	// SigmaRules are a team's own Sigma rules (--sigma), read by the
	// caller; SigmaRefused the files among them that are not usable rules.
	// They run beside the sigma pack (see sigma.go).
	SigmaRules   []*sigma.Rule
	SigmaRefused []sigma.Refusal
	// Baseline is how far before the window the principals' own baseline
	// of routine calls reaches; 0 means DefaultHuntBaseline.
	Baseline time.Duration
	// NoBaseline runs no baseline query (--baseline 0): routine calls are
	// then rated as new for every principal, and say why.
	NoBaseline bool
	// OrgAccounts are the organization's accounts (shares and grants to
	// any other account are called outside the organization); empty when
	// unknown.
	OrgAccounts []string
}

// DefaultHuntBaseline is the baseline hunt compares routine calls with.
const DefaultHuntBaseline = 14 * 24 * time.Hour

// HuntBaselineQuery is the support query that reads the principals' own
// baseline; it belongs to no pack and runs with every hunt.
const HuntBaselineQuery = "hunt/baseline_calls"

// BaselineSince is where the baseline of a hunt starts.
func (o HuntOptions) BaselineSince() time.Time {
	if o.NoBaseline {
		return o.Window.Since
	}
	b := o.Baseline
	if b <= 0 {
		b = DefaultHuntBaseline
	}
	return o.Window.Since.Add(-b)
}

// HuntPack is one group of detections the user can select with --pack.
type HuntPack struct {
	Name    string
	Summary string
	Queries []string
}

// HuntPacks lists the detection packs in report order. A query may sit in
// two packs (LeaveOrganization is both evasion and a high-fidelity signal);
// it runs once.
var HuntPacks = []HuntPack{
	{"highfi", "calls rare in normal operation and common in intrusions", []string{"hunt/highfi_rare_calls"}},
	{"evasion", "logging and detection switched off, MFA removed", []string{"hunt/evasion_logging", "hunt/evasion_defenses"}},
	{"exfil", "data shared out of the account or exposed", []string{"hunt/exfil_sharing", "hunt/exfil_bucket_exposure", "hunt/exfil_lambda_public"}},
	{"persistence", "new identities, credentials and backdoored code", []string{"hunt/persistence_iam", "hunt/persistence_lambda", "hunt/persistence_ec2_user_data", "hunt/persistence_ec2_key_pairs"}},
	{"privilege", "permissions granted", []string{"hunt/privilege_iam"}},
	{"lateral", "movement between accounts, instances and networks", []string{"hunt/lateral_cross_account_assume_role", "hunt/lateral_remote_access", "hunt/lateral_security_group_ingress"}},
	{"secrets", "secrets and passwords read", []string{"hunt/secrets_reads"}},
	{"initial", "console sign-ins without MFA, bursts of failed sign-ins", []string{"hunt/initial_console_login_without_mfa", "hunt/initial_console_login_failures"}},
	{"impact", "data destroyed or encrypted, compute and AI models used on the account's bill", []string{"hunt/impact_data_destruction", "hunt/impact_bulk_object_deletes", "hunt/impact_sse_c_encryption", "hunt/impact_resource_hijacking"}},
	{"organization", "AWS Organizations changed: accounts and guard-rail policies", []string{"hunt/org_changes"}},
	{"recon", "who-am-I and inventory calls, instance user data reads", []string{"hunt/recon_by_source_ip", "hunt/recon_user_data"}},
	{"errors", "where errors come from, long tail first", []string{"hunt/errors_by_source_ip"}},
}

// HuntPackNames returns the pack names in report order.
func HuntPackNames() []string {
	out := make([]string, len(HuntPacks))
	for i, p := range HuntPacks {
		out[i] = p.Name
	}
	return append(out, SigmaPack)
}

// huntSummaryTable is the derived per-pack table the chart reads.
const huntSummaryTable = "hunt/summary"

// maxFindingsPerQuery bounds the statements one query contributes; the rest
// are counted in one closing statement and all rows stay on the sheet.
const maxFindingsPerQuery = 25

func selectedPacks(names []string) ([]HuntPack, error) {
	var want []string
	for _, n := range names {
		for _, f := range strings.Split(n, ",") {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				want = append(want, f)
			}
		}
	}
	if len(want) == 0 {
		return HuntPacks, nil
	}
	chosen := map[string]bool{}
	for _, w := range want {
		if w == "all" {
			return HuntPacks, nil
		}
		found := w == SigmaPack
		for _, p := range HuntPacks {
			found = found || p.Name == w
		}
		if !found {
			return nil, &sql.UsageError{Msg: fmt.Sprintf("--pack: no detection pack %q (known: %s, or all)", w, strings.Join(HuntPackNames(), ", "))}
		}
		chosen[w] = true
	}
	var out []HuntPack
	for _, p := range HuntPacks {
		if chosen[p.Name] {
			out = append(out, p)
		}
	}
	return out, nil
}

// PlanHunt validates the options and returns the queries to run, each once,
// in report order. An unknown pack is a *sql.UsageError.
func PlanHunt(o HuntOptions) ([]Planned, error) {
	packs, err := selectedPacks(o.Packs)
	if err != nil {
		return nil, err
	}
	if !o.Window.Since.Before(o.Window.Until) {
		return nil, &sql.UsageError{Msg: "hunt needs a window whose start is before its end"}
	}
	dayFrom, dayTo := Days(o.Window.Since, o.Window.Until)
	seen := map[string]bool{}
	var plans []Planned
	for _, p := range packs {
		for _, q := range p.Queries {
			if seen[q] {
				continue
			}
			seen[q] = true
			plans = append(plans, Planned{Name: q, Values: map[string]string{
				"since": Stamp(o.Window.Since), "until": Stamp(o.Window.Until), "day_from": dayFrom, "day_to": dayTo,
			}})
		}
	}
	if o.Baseline < 0 {
		return nil, &sql.UsageError{Msg: "--baseline must be a duration of zero or more, such as 14d"}
	}
	if o.NoBaseline {
		return plans, nil
	}
	bFrom, bTo := Days(o.BaselineSince(), o.Window.Since)
	plans = append(plans, Planned{Name: HuntBaselineQuery, Values: map[string]string{
		"baseline_since": Stamp(o.BaselineSince()), "since": Stamp(o.Window.Since), "day_from": bFrom, "day_to": bTo,
	}})
	return plans, nil
}

// Hunt runs the selected detection packs concurrently, adds each hit's
// ATT&CK tactics and techniques as derived columns, and writes findings,
// highest severity first, with a summary per pack.
func Hunt(ctx context.Context, env *Env, o HuntOptions) (*Outcome, error) {
	plans, err := PlanHunt(o)
	out, err := runPack(ctx, env, plans, err, func(out *Outcome) {
		for i := range out.Queries {
			if out.Queries[i].Name == HuntBaselineQuery {
				continue
			}
			if q, ok := env.Catalog.Get(out.Queries[i].Name); ok {
				AddAttackColumns(&out.Queries[i], q.Attack)
			}
		}
		packs, _ := selectedPacks(o.Packs)
		headers := map[string][]string{}
		for _, q := range env.Catalog.Pack("hunt") {
			headers[q.Name] = q.Attack
		}
		out.Findings = huntFindings(packs, out.Queries, headers, huntContext{org: newOrgView(o.OrgAccounts), noBaseline: o.NoBaseline, baselineDays: int64((o.Window.Since.Sub(o.BaselineSince()) + time.Hour) / (24 * time.Hour))})
		out.Queries = append(out.Queries, huntSummary(packs, out.Queries))
		out.Charts = []reports.Chart{{Title: "Detection hits per pack", Query: huntSummaryTable, CategoryColumn: "pack", ValueColumn: "hits", Kind: "bar"}}
		if !o.NoBaseline {
			days := int64((o.Window.Since.Sub(o.BaselineSince()) + time.Hour) / (24 * time.Hour))
			b := readBaseline(out.Queries)
			note := fmt.Sprintf("Routine calls (Lambda code and configuration, SSM sessions and commands) were compared with each principal's own calls in the baseline from %s to %s, before the window; ",
				when(o.BaselineSince()), when(o.Window.Since))
			if b.ran {
				note += fmt.Sprintf("%s of its %s have logs. The Coverage sheet lists the baseline's days too; they are not part of the window.", plural(b.daysLogs, "day", "days"), plural(days, "day", "days"))
			} else {
				note += "the baseline query failed, so their rarity is unknown."
			}
			out.Notes = append(out.Notes, note)
		}
		out.Notes = append(out.Notes, "Each hit's ATT&CK tactics and techniques (columns attack_tactics and attack_techniques) join the query's own ATT&CK ids with the TrailDiscover mapping of the event (adanalvarez/TrailDiscover, CC BY 4.0). They say what behaviour a call may be evidence of, not that it was malicious.")
	})
	return huntSigma(ctx, env, o, out, err)
}

// Attack column names added to every hunt query's rows.
const (
	ColTactics    = "attack_tactics"
	ColTechniques = "attack_techniques"
)

// AddAttackColumns appends attack_tactics and attack_techniques to every
// row of run: the query header's ids first (what the detection is for), then
// the ids TrailDiscover gives the row's event. A failed run is left alone.
func AddAttackColumns(run *reports.QueryRun, header []string) {
	if run.Err != "" {
		return
	}
	for _, c := range run.Columns {
		if c.Name == ColTactics {
			return // already joined
		}
	}
	rr := newRowReader(colNames(run.Columns))
	run.Columns = append(run.Columns,
		engine.Column{Name: ColTactics, Type: engine.String, EngineType: "derived"},
		engine.Column{Name: ColTechniques, Type: engine.String, EngineType: "derived"})
	// One backing array for the widened rows, and one pair of strings per
	// API: a hunt rule can match hundreds of thousands of events, and
	// appending to each row doubled its capacity.
	type refs struct{ tac, tech any }
	byAPI := map[[2]string]refs{}
	n := len(run.Columns)
	flat := make([]any, n*len(run.Rows))
	for i, row := range run.Rows {
		api := [2]string{rr.str(row, "event_source"), rr.str(row, "event_name")}
		r, ok := byAPI[api]
		if !ok {
			tac, tech := attackFor(header, api[0], api[1])
			r = refs{joinRefs(tac), joinRefs(tech)}
			byAPI[api] = r
		}
		wide := flat[i*n : (i+1)*n : (i+1)*n]
		copy(wide, row)
		wide[n-2], wide[n-1] = r.tac, r.tech
		run.Rows[i] = wide
	}
}

// attackFor merges a query's ATT&CK ids with the event's mapping. A query
// header speaks for every event the query selects, so for an event the
// mapping knows, only the header ids that agree with the mapping (the same
// tactic, or the same technique family) are kept, first; an event the
// mapping does not know takes the header as it is.
func attackFor(header []string, source, name string) (tactics, techniques []attack.Ref) {
	seen := map[string]bool{}
	add := func(r attack.Ref) {
		if seen[r.ID] {
			return
		}
		seen[r.ID] = true
		if attack.IsTactic(r.ID) {
			tactics = append(tactics, r)
		} else {
			techniques = append(techniques, r)
		}
	}
	ev, known := attack.Event{}, false
	if name != "" {
		ev, known = attack.Lookup(source, name)
	}
	for _, r := range attack.Describe(header) {
		if !known || agrees(r.ID, ev) {
			add(r)
		}
	}
	for _, r := range ev.Tactics {
		add(r)
	}
	for _, r := range ev.Techniques {
		add(r)
	}
	return tactics, techniques
}

// agrees reports whether an ATT&CK id fits what the mapping says of an
// event: a tactic it lists, or a technique of a family it lists.
func agrees(id string, ev attack.Event) bool {
	if attack.IsTactic(id) {
		for _, t := range ev.Tactics {
			if t.ID == id {
				return true
			}
		}
		return false
	}
	family, _, _ := strings.Cut(id, ".")
	for _, t := range ev.Techniques {
		if f, _, _ := strings.Cut(t.ID, "."); f == family {
			return true
		}
	}
	return false
}

func joinRefs(rs []attack.Ref) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, "; ")
}

// primaryTechnique picks the technique a statement names: the most specific
// one the query's header and the event's mapping agree on, else the
// header's first, else the mapping's first.
func primaryTechnique(header []string, source, name string) (attack.Ref, string, bool) {
	hdr := attack.Describe(header)
	ev, known := attack.Lookup(source, name)
	tactic := ""
	for _, r := range hdr {
		if attack.IsTactic(r.ID) && tactic == "" && (!known || agrees(r.ID, ev)) {
			tactic = r.Name
		}
	}
	if tactic == "" && known && len(ev.Tactics) > 0 {
		tactic = ev.Tactics[0].Name
	}
	var best attack.Ref
	if known {
		for _, t := range ev.Techniques {
			for _, h := range hdr {
				if h.ID == t.ID && len(t.ID) >= len(best.ID) {
					best = t
				}
			}
		}
	}
	if best.ID != "" {
		return best, tactic, true
	}
	for _, h := range hdr {
		if !attack.IsTactic(h.ID) && !known {
			return h, tactic, true
		}
	}
	if known && len(ev.Techniques) > 0 {
		return ev.Techniques[len(ev.Techniques)-1], tactic, true
	}
	return attack.Ref{}, tactic, false
}
