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
	{"evasion", "logging and detection switched off", []string{"hunt/evasion_logging"}},
	{"exfil", "data shared out of the account", []string{"hunt/exfil_sharing"}},
	{"persistence", "new identities, credentials and backdoored code", []string{"hunt/persistence_iam", "hunt/persistence_lambda", "hunt/persistence_ec2_user_data"}},
	{"privilege", "permissions granted", []string{"hunt/privilege_iam"}},
	{"lateral", "movement between accounts, instances and networks", []string{"hunt/lateral_cross_account_assume_role", "hunt/lateral_remote_access", "hunt/lateral_security_group_ingress"}},
	{"secrets", "secrets and passwords read", []string{"hunt/secrets_reads"}},
	{"initial", "console sign-ins without MFA", []string{"hunt/initial_console_login_without_mfa"}},
	{"impact", "compute and AI models used on the account's bill", []string{"hunt/impact_resource_hijacking"}},
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
	return plans, nil
}

// Hunt runs the selected detection packs concurrently, adds each hit's
// ATT&CK tactics and techniques as derived columns, and writes findings,
// highest severity first, with a summary per pack.
func Hunt(ctx context.Context, env *Env, o HuntOptions) (*Outcome, error) {
	plans, err := PlanHunt(o)
	out, err := runPack(ctx, env, plans, err, func(out *Outcome) {
		for i := range out.Queries {
			if q, ok := env.Catalog.Get(out.Queries[i].Name); ok {
				AddAttackColumns(&out.Queries[i], q.Attack)
			}
		}
		packs, _ := selectedPacks(o.Packs)
		headers := map[string][]string{}
		for _, q := range env.Catalog.Pack("hunt") {
			headers[q.Name] = q.Attack
		}
		out.Findings = huntFindings(packs, out.Queries, headers)
		out.Queries = append(out.Queries, huntSummary(packs, out.Queries))
		out.Charts = []reports.Chart{{Title: "Detection hits per pack", Query: huntSummaryTable, CategoryColumn: "pack", ValueColumn: "hits", Kind: "bar"}}
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
	for i, row := range run.Rows {
		tac, tech := attackFor(header, rr.str(row, "event_source"), rr.str(row, "event_name"))
		run.Rows[i] = append(row, joinRefs(tac), joinRefs(tech))
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

// severity ranks findings; higher first.
var severityRank = map[string]int{"high": 3, "medium": 2, "info": 1}

type hit struct {
	severity string
	pack     string
	query    string
	at       time.Time
	// eventIDs are the events the statement covers; one event found by
	// two queries is stated once.
	eventIDs []string
	text     string
}

// huntSeverity decides how loud one row is. The query sets the base; a few
// row details raise or lower it.
func huntSeverity(query string, rr rowReader, row []any) string {
	name := rr.str(row, "event_name")
	detail := rr.str(row, "detail")
	switch query {
	case "hunt/highfi_rare_calls", "hunt/evasion_logging":
		return "high"
	case "hunt/exfil_sharing":
		switch {
		case strings.HasPrefix(detail, "unshare"):
			return "info"
		case strings.HasPrefix(detail, "share"):
			return "high"
		}
		return "medium"
	case "hunt/persistence_iam", "hunt/privilege_iam":
		if strings.HasSuffix(detail, "/AdministratorAccess") || name == "CreateTrustAnchor" {
			return "high"
		}
		return "medium"
	case "hunt/lateral_security_group_ingress":
		if strings.HasPrefix(detail, "open to any address") {
			return "high"
		}
		return "medium"
	case "hunt/initial_console_login_without_mfa":
		if strings.HasSuffix(rr.str(row, "principal"), ":root") {
			return "high"
		}
		return "medium"
	case "hunt/recon_by_source_ip", "hunt/errors_by_source_ip":
		return "info"
	}
	return "medium"
}

func packOf(packs []HuntPack, query string) string {
	for _, p := range packs {
		for _, q := range p.Queries {
			if q == query {
				return p.Name
			}
		}
	}
	return ""
}

func huntFindings(packs []HuntPack, runs []reports.QueryRun, headers map[string][]string) []reports.Finding {
	var hits []hit
	var failed []reports.Finding
	var summaries []reports.Finding
	for _, run := range runs {
		if run.Err != "" {
			failed = append(failed, reports.Finding{Severity: "high", Query: run.Name,
				Text: fmt.Sprintf("Query %s failed, so its detections are missing from this report: %s", run.Name, run.Err)})
			continue
		}
		rr := newRowReader(colNames(run.Columns))
		pack := packOf(packs, run.Name)
		var rowHits []hit
		for _, g := range groupRows(run.Name, rr, run.Rows) {
			h := hit{pack: pack, query: run.Name, at: rr.time(g[0], "event_time"), severity: "info"}
			for _, row := range g {
				if sev := huntSeverity(run.Name, rr, row); severityRank[sev] > severityRank[h.severity] {
					h.severity = sev
				}
				if id := rr.str(row, "event_id"); id != "" && run.Name != "hunt/errors_by_source_ip" && run.Name != "hunt/recon_by_source_ip" {
					h.eventIDs = append(h.eventIDs, id)
				}
			}
			switch {
			case run.Name == "hunt/errors_by_source_ip":
				h.text = errorStatement(rr, g, headers[run.Name])
			case run.Name == "hunt/recon_by_source_ip":
				h.text = reconStatement(rr, g[0], headers[run.Name])
			case len(g) == 1:
				h.text = hitStatement(rr, g[0], headers[run.Name])
			default:
				h.text = groupStatement(rr, g, headers[run.Name])
			}
			rowHits = append(rowHits, h)
		}
		if n := len(rowHits) - maxFindingsPerQuery; n > 0 {
			// Keep the loudest statements; every row stays on the sheet.
			sort.SliceStable(rowHits, func(i, j int) bool { return severityRank[rowHits[i].severity] > severityRank[rowHits[j].severity] })
			sev := rowHits[maxFindingsPerQuery].severity
			rowHits = append(rowHits[:maxFindingsPerQuery], hit{severity: sev, pack: pack, query: run.Name,
				text: fmt.Sprintf("%s more groups of calls found by %s are listed on its sheet and not repeated here.", Comma(int64(n)), run.Name)})
		}
		hits = append(hits, rowHits...)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if severityRank[a.severity] != severityRank[b.severity] {
			return severityRank[a.severity] > severityRank[b.severity]
		}
		if a.at.IsZero() != b.at.IsZero() {
			return !a.at.IsZero()
		}
		return a.at.Before(b.at)
	})
	// One event found by two packs is stated once, at its highest severity.
	seen := map[string]bool{}
	var fs []reports.Finding
	for _, h := range hits {
		if len(h.eventIDs) > 0 {
			fresh := false
			for _, id := range h.eventIDs {
				fresh = fresh || !seen[id]
				seen[id] = true
			}
			if !fresh {
				continue
			}
		}
		fs = append(fs, reports.Finding{Severity: h.severity, Query: h.query, Text: h.text, EventIDs: h.eventIDs})
	}
	summaries = packSummaries(packs, runs)
	// Summaries go after the high and medium statements, before the info ones.
	cut := len(fs)
	for i, f := range fs {
		if f.Severity == "info" {
			cut = i
			break
		}
	}
	out := append([]reports.Finding{}, fs[:cut]...)
	out = append(out, summaries...)
	out = append(out, fs[cut:]...)
	return append(out, failed...)
}

// clip shortens attacker-controlled text for a statement; the whole value
// stays in the sheet and the CSV.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "… (clipped; full text on the sheet)"
}

func outcome(rr rowReader, row []any) string {
	code := rr.str(row, "error_code")
	if code == "" {
		return "it succeeded"
	}
	if msg := rr.str(row, "error_message"); msg != "" {
		return fmt.Sprintf("it failed with %s (%q)", clip(code, 80), clip(msg, 160))
	}
	return "it failed with " + clip(code, 80)
}

// attackPhrase names the technique a statement cites, and its tactic.
func attackPhrase(header []string, rr rowReader, row []any) string {
	tech, tac, ok := primaryTechnique(header, rr.str(row, "event_source"), rr.str(row, "event_name"))
	switch {
	case ok && tac != "":
		return fmt.Sprintf(" (ATT&CK %s; tactic %s)", tech, tac)
	case ok:
		return fmt.Sprintf(" (ATT&CK %s)", tech)
	case tac != "":
		return fmt.Sprintf(" (ATT&CK tactic %s)", tac)
	}
	return ""
}

func hitStatement(rr rowReader, row []any, header []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "At %s, %s called %s", when(rr.time(row, "event_time")), clip(rr.str(row, "principal"), 200), clip(rr.str(row, "event_name"), 100))
	if t := rr.str(row, "target"); t != "" {
		fmt.Fprintf(&b, " on %s", clip(t, 200))
	}
	if ip := rr.str(row, "source_ip"); ip != "" {
		fmt.Fprintf(&b, " from %s", clip(ip, 100))
	}
	if a := rr.str(row, "account"); a != "" {
		fmt.Fprintf(&b, " in account %s", clip(a, 40))
	}
	if r := rr.str(row, "region"); r != "" {
		fmt.Fprintf(&b, " (%s)", clip(r, 40))
	}
	if d := rr.str(row, "detail"); d != "" {
		fmt.Fprintf(&b, " [%s]", clip(d, 200))
	}
	fmt.Fprintf(&b, "; %s%s.", outcome(rr, row), attackPhrase(header, rr, row))
	return b.String()
}

func reconStatement(rr rowReader, row []any, header []string) string {
	n := int64(rr.num(row, "events"))
	res := "all succeeded"
	if c := rr.str(row, "error_code"); c != "" {
		res = "all failed with " + clip(c, 80)
	}
	return fmt.Sprintf("From %s, %s called %s %s between %s and %s; %s%s.",
		clip(orNone(rr.str(row, "source_ip")), 100), clip(rr.str(row, "principal"), 200), clip(rr.str(row, "event_name"), 100),
		plural(n, "time", "times"), when(rr.time(row, "event_time")), when(rr.time(row, "last_seen")), res, attackPhrase(header, rr, row))
}

// groupRows gathers rows a responder would read as one statement: the same
// principal calling the same API from the same address with the same
// outcome (for errors: the same address, API and error code, whatever the
// message). Aggregated recon rows stay one per row. Order is first
// appearance, so the SQL's ordering holds.
func groupRows(query string, rr rowReader, rows [][]any) [][][]any {
	var out [][][]any
	idx := map[string]int{}
	for i, row := range rows {
		var key string
		switch query {
		case "hunt/recon_by_source_ip":
			key = fmt.Sprint(i)
		case "hunt/errors_by_source_ip":
			key = strings.Join([]string{rr.str(row, "source_ip"), rr.str(row, "event_source"), rr.str(row, "event_name"), rr.str(row, "error_code")}, "\x00")
		default:
			key = strings.Join([]string{rr.str(row, "principal"), rr.str(row, "event_source"), rr.str(row, "event_name"), rr.str(row, "source_ip"), rr.str(row, "error_code")}, "\x00")
		}
		if j, ok := idx[key]; ok {
			out[j] = append(out[j], row)
			continue
		}
		idx[key] = len(out)
		out = append(out, [][]any{row})
	}
	return out
}

func span(rr rowReader, rows [][]any, firstCol, lastCol string) (time.Time, time.Time) {
	var first, last time.Time
	for _, row := range rows {
		if t := rr.time(row, firstCol); !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
		if t := rr.time(row, lastCol); t.After(last) {
			last = t
		}
	}
	return first, last
}

func groupStatement(rr rowReader, rows [][]any, header []string) string {
	row := rows[0]
	first, last := span(rr, rows, "event_time", "event_time")
	targets := map[string]bool{}
	for _, r := range rows {
		if t := rr.str(r, "target"); t != "" {
			targets[t] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Between %s and %s, %s called %s %s", when(first), when(last), clip(rr.str(row, "principal"), 200),
		clip(rr.str(row, "event_name"), 100), plural(int64(len(rows)), "time", "times"))
	switch len(targets) {
	case 0:
	case 1:
		fmt.Fprintf(&b, " on %s", clip(rr.str(row, "target"), 200))
	default:
		fmt.Fprintf(&b, " on %d different targets (first: %s)", len(targets), clip(rr.str(row, "target"), 200))
	}
	if ip := rr.str(row, "source_ip"); ip != "" {
		fmt.Fprintf(&b, " from %s", clip(ip, 100))
	}
	if a := rr.str(row, "account"); a != "" {
		fmt.Fprintf(&b, " in account %s", clip(a, 40))
	}
	res := "all succeeded"
	if c := rr.str(row, "error_code"); c != "" {
		res = "all failed with " + clip(c, 80)
	}
	fmt.Fprintf(&b, "; %s%s.", res, attackPhrase(header, rr, row))
	return b.String()
}

func errorStatement(rr rowReader, rows [][]any, header []string) string {
	row := rows[0]
	var n int64
	principals := map[string]bool{}
	for _, r := range rows {
		n += int64(rr.num(r, "events"))
		principals[rr.str(r, "principal")] = true
	}
	first, last := span(rr, rows, "event_time", "last_seen")
	who := clip(rr.str(row, "principal"), 200)
	if p := int64(rr.num(row, "principals")); len(principals) > 1 || p > 1 {
		who = fmt.Sprintf("several principals (first: %s)", who)
	}
	msg := ""
	if m := rr.str(row, "error_message"); m != "" {
		msg = fmt.Sprintf(" (%q)", clip(m, 160))
		if len(rows) > 1 {
			msg = fmt.Sprintf(" (%d different messages; first: %q)", len(rows), clip(m, 160))
		}
	}
	return fmt.Sprintf("From %s, %s got %s%s on %s %s, first at %s, last at %s%s.",
		clip(orNone(rr.str(row, "source_ip")), 100), who, clip(rr.str(row, "error_code"), 80), msg,
		clip(rr.str(row, "event_name"), 100), plural(n, "time", "times"),
		when(first), when(last), attackPhrase(header, rr, row))
}

func orNone(s string) string {
	if s == "" {
		return "an unrecorded source address"
	}
	return s
}

type packCount struct {
	hits, failed int64
	principals   map[string]bool
	queriesOK    int
	queriesBad   int
}

func countPacks(packs []HuntPack, runs []reports.QueryRun) map[string]*packCount {
	byName := map[string]*reports.QueryRun{}
	for i := range runs {
		byName[runs[i].Name] = &runs[i]
	}
	out := map[string]*packCount{}
	for _, p := range packs {
		c := &packCount{principals: map[string]bool{}}
		out[p.Name] = c
		for _, q := range p.Queries {
			run := byName[q]
			if run == nil {
				continue
			}
			if run.Err != "" {
				c.queriesBad++
				continue
			}
			c.queriesOK++
			rr := newRowReader(colNames(run.Columns))
			for _, row := range run.Rows {
				n := int64(1)
				if _, ok := rr.idx["events"]; ok {
					n = int64(rr.num(row, "events"))
				}
				c.hits += n
				if rr.str(row, "error_code") != "" {
					c.failed += n
				}
				if p := rr.str(row, "principal"); p != "" {
					c.principals[p] = true
				}
			}
		}
	}
	return out
}

func packSummaries(packs []HuntPack, runs []reports.QueryRun) []reports.Finding {
	counts := countPacks(packs, runs)
	var fs []reports.Finding
	for _, p := range packs {
		c := counts[p.Name]
		var text string
		switch {
		case c.queriesOK == 0:
			text = fmt.Sprintf("Pack %s (%s) could not be checked: its queries failed.", p.Name, p.Summary)
		case c.hits == 0:
			text = fmt.Sprintf("Pack %s (%s): no matching events in the window.", p.Name, p.Summary)
		default:
			text = fmt.Sprintf("Pack %s (%s): %s, %s, by %s.", p.Name, p.Summary,
				plural(c.hits, "matching event", "matching events"), plural(c.failed, "failed attempt", "failed attempts"),
				plural(int64(len(c.principals)), "principal", "principals"))
		}
		if c.queriesBad > 0 && c.queriesOK > 0 {
			text += fmt.Sprintf(" %d of its queries failed; see below.", c.queriesBad)
		}
		fs = append(fs, reports.Finding{Severity: "info", Query: p.Queries[0], Text: text})
	}
	return fs
}

// huntSummary is the derived per-pack table: hits, failed attempts and
// principals, for the Findings chart.
func huntSummary(packs []HuntPack, runs []reports.QueryRun) reports.QueryRun {
	counts := countPacks(packs, runs)
	run := reports.QueryRun{Name: huntSummaryTable, Summary: "matching events per detection pack (derived from the hunt queries)", Derived: true,
		Columns: []engine.Column{{Name: "pack", Type: engine.String}, {Name: "summary", Type: engine.String},
			{Name: "hits", Type: engine.Integer}, {Name: "failed_attempts", Type: engine.Integer},
			{Name: "principals", Type: engine.Integer}, {Name: "queries_failed", Type: engine.Integer}},
		Stats: engine.Stats{State: "DERIVED"}}
	for _, p := range packs {
		c := counts[p.Name]
		run.Rows = append(run.Rows, []any{p.Name, p.Summary, c.hits, c.failed, int64(len(c.principals)), int64(c.queriesBad)})
	}
	return run
}
