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
	"github.com/ctathena/ctathena/sql/sigma"
)

// SigmaPack is the hunt pack of SigmaHQ's AWS CloudTrail rules. It runs by
// default; a team's own rules (HuntOptions.SigmaRules, from --sigma) run
// whenever they are given.
const SigmaPack = sigma.Pack

// sigmaPackSummary says what the pack is, for --pack help and summaries.
const sigmaPackSummary = "SigmaHQ's AWS CloudTrail detection rules, and the team's own Sigma rules"

// sigmaRulesTable is the derived table that lists every Sigma rule the hunt
// considered: its attribution, whether it ran, its hits, or why it could not
// be translated.
const sigmaRulesTable = "sigma/rules"

// maxSigmaFindings bounds the statements one rule contributes; every row
// stays on the rule's sheet.
const maxSigmaFindings = 25

// SigmaSet is the Sigma side of a hunt: the rules translated into catalog
// queries and the rules that could not be, with the reason.
type SigmaSet struct {
	Queries []*sigma.Query
	Refused []sigma.Refusal
	// Considered counts every rule (or unreadable file) looked at.
	Considered int
}

// sigmaSelected reports whether the --pack values select the sigma pack
// (they do when empty, or when they say all or sigma).
func sigmaSelected(packs []string) bool {
	any := false
	for _, n := range packs {
		for _, f := range strings.Split(n, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if f == "" {
				continue
			}
			any = true
			if f == "all" || f == SigmaPack {
				return true
			}
		}
	}
	return !any
}

// PlanSigma translates the Sigma rules a hunt runs: SigmaHQ's bundled
// rules when the sigma pack is selected, and the team's rules always.
func PlanSigma(o HuntOptions) *SigmaSet {
	var rules []*sigma.Rule
	var refused []sigma.Refusal
	if sigmaSelected(o.Packs) {
		b, r := sigma.Bundled()
		rules = append(rules, b...)
		refused = append(refused, r...)
	}
	rules = append(rules, o.SigmaRules...)
	refused = append(refused, o.SigmaRefused...)
	// The rules table's name is taken: a team's rules.yml becomes sigma/rules_2.
	qs, more := sigma.TranslateAll(rules, map[string]bool{sigmaRulesTable: true})
	return &SigmaSet{Queries: qs, Refused: append(refused, more...), Considered: len(rules) + len(refused)}
}

// SigmaSQL is the SQL text (placeholders left) of the Sigma queries a hunt
// with these options runs: what the local engine must load beside the
// hunt pack's columns.
func SigmaSQL(env *Env, o HuntOptions) ([]string, error) {
	set := PlanSigma(o)
	cat, err := sigma.Catalog(env.Catalog, set.Queries)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(set.Queries))
	for _, q := range set.Queries {
		out = append(out, cat.MustGet(q.Name).SQLText())
	}
	return out, nil
}

// huntSigma runs the Sigma rules after the built-in packs and folds their
// hits into the hunt's outcome: one finding per group of events, worded
// and ranked like the built-in ones, and merged with a built-in finding
// that rests on the same events.
func huntSigma(ctx context.Context, env *Env, o HuntOptions, out *Outcome, err error) (*Outcome, error) {
	if err != nil || out == nil {
		return out, err
	}
	set := PlanSigma(o)
	if set.Considered == 0 {
		return out, nil
	}
	cat, err := sigma.Catalog(env.Catalog, set.Queries)
	if err != nil {
		return out, err
	}
	se := *env
	se.Catalog = cat
	window := map[string]string{"since": Stamp(o.Window.Since), "until": Stamp(o.Window.Until)}
	window["day_from"], window["day_to"] = Days(o.Window.Since, o.Window.Until)
	plans := make([]Planned, len(set.Queries))
	for i, q := range set.Queries {
		plans[i] = Planned{Name: q.Name, Values: q.RenderValues(window)}
	}
	runs, err := se.RunAll(ctx, plans)
	if err != nil && runs == nil {
		return out, err
	}
	out.Queries = append(out.Queries, runs...)
	if err != nil || env.DryRun {
		return out, err
	}
	base := len(out.Queries) - len(runs)
	for i, q := range set.Queries {
		AddAttackColumns(&out.Queries[base+i], q.Attack)
	}
	runs = out.Queries[base:]
	var found []sigmaHit
	for i, q := range set.Queries {
		found = append(found, sigmaFindings(q, runs[i])...)
	}
	out.Findings = mergeSigmaFindings(out.Findings, found)
	// A merged finding may have become louder: keep the order by severity
	// (stable, so the time order within a severity holds).
	sort.SliceStable(out.Findings, func(i, j int) bool {
		return loudness(out.Findings[i].Severity) > loudness(out.Findings[j].Severity)
	})
	out.Findings = insertFinding(out.Findings, sigmaSummaryFinding(set, runs))
	addSigmaSummaryRow(out, set, runs)
	out.Queries = append(out.Queries, sigmaRulesRun(set, runs))
	out.Notes = append(out.Notes, sigmaNotes(set)...)
	return out, nil
}

// sigmaSource names a rule among a finding's sources.
func sigmaSource(q *sigma.Query) string {
	if q.Rule.ID == "" {
		return q.Name
	}
	return fmt.Sprintf("%s (Sigma rule %s)", q.Name, q.Rule.ID)
}

// sigmaRuleName is how a statement names the rule: its title, who wrote
// it (the DRL asks for the author wherever a match is shown) and its level.
func sigmaRuleName(r *sigma.Rule) string {
	from := "the team's"
	if r.Bundled {
		from = "SigmaHQ"
	}
	author := r.Author
	if author == "" {
		author = "author not stated"
	} else {
		author = "by " + author
	}
	return fmt.Sprintf("Sigma rule “%s” (%s, %s, level %s)", clip(r.Title, 160), from, clip(author, 120), orLevel(r.Level))
}

func orLevel(l string) string {
	if l == "" {
		return "not stated"
	}
	return l
}

// sigmaAttack names the rule's ATT&CK techniques and tactics, as its tags
// give them.
func sigmaAttack(q *sigma.Query) string {
	var tech []string
	for _, r := range attack.Describe(q.Attack) {
		if attack.IsTactic(r.ID) {
			continue
		}
		if r.Name != "" {
			tech = append(tech, r.ID+" "+r.Name)
		} else {
			tech = append(tech, r.ID)
		}
	}
	var tac []string
	for _, t := range q.Rule.Tags {
		n, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "attack.")
		if !ok || n == "" || (n[0] == 't' && len(n) > 1 && n[1] >= '0' && n[1] <= '9') || (n[0] == 'g' || n[0] == 's') && len(n) > 1 && n[1] >= '0' && n[1] <= '9' {
			continue
		}
		words := strings.Split(n, "-")
		for i, w := range words {
			if w != "and" && w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
		tac = append(tac, strings.Join(words, " "))
	}
	switch {
	case len(tech) > 0 && len(tac) > 0:
		return fmt.Sprintf(" (ATT&CK %s; tactic %s)", strings.Join(tech, ", "), strings.Join(tac, ", "))
	case len(tech) > 0:
		return fmt.Sprintf(" (ATT&CK %s)", strings.Join(tech, ", "))
	case len(tac) > 0:
		return fmt.Sprintf(" (ATT&CK tactic %s)", strings.Join(tac, ", "))
	}
	return ""
}

// sigmaFindings turns one rule's rows into statements: the same principal
// calling the same API from the same address with the same outcome is one
// statement, as for the built-in detections.
func sigmaFindings(q *sigma.Query, run reports.QueryRun) []sigmaHit {
	rule, src := sigmaRuleName(q.Rule), sigmaSource(q)
	if run.Err != "" {
		return []sigmaHit{{reports.Finding{Severity: "high", Query: run.Name,
			Text: fmt.Sprintf("Query %s (%s) failed, so its detections are missing from this report: %s", run.Name, rule, run.Err)}, rule, src}}
	}
	rr := newRowReader(colNames(run.Columns))
	var groups [][][]any
	idx := map[string]int{}
	for _, row := range run.Rows {
		key := strings.Join([]string{rr.str(row, "principal"), rr.str(row, "event_source"), rr.str(row, "event_name"),
			rr.str(row, "source_ip"), rr.str(row, "error_code")}, "\x00")
		if j, ok := idx[key]; ok {
			groups[j] = append(groups[j], row)
			continue
		}
		idx[key] = len(groups)
		groups = append(groups, [][]any{row})
	}
	var out []sigmaHit
	if total := matchedEvents(rr, run); total > int64(len(run.Rows)) {
		f := reports.Finding{Severity: q.Severity, Query: run.Name, Attack: q.Attack, Sources: []string{src},
			Text: fmt.Sprintf("%s matched %s in the window; this report lists the earliest %s (on the sheet of %s, in its results file and on the Timeline). "+
				"The other %s are counted here but not listed: run hunt over a shorter window (--since/--until) to list them.",
				rule, plural(total, "event", "events"), Comma(int64(len(run.Rows))), run.Name, Comma(total-int64(len(run.Rows))))}
		if len(run.Rows) > 0 {
			f.Time = rr.time(run.Rows[0], "event_time")
		}
		out = append(out, sigmaHit{f, rule, src})
	}
	// Events and eventIDs are sized to their rows, and each API's action
	// text is made once: grown by append, the events of a hunt's Sigma
	// findings on the 500k tree held 7.7 MB of Go heap until the report
	// was written.
	actions := map[string]string{}
	for gi, g := range groups {
		if gi == maxSigmaFindings {
			// The rest are stated once, still traceable: every eventID
			// they rest on is kept.
			f := reports.Finding{Severity: q.Severity, Query: run.Name, Attack: q.Attack, Sources: []string{src},
				Text: fmt.Sprintf("%s more groups of calls matched by %s are listed on the sheet of %s and not repeated here.",
					Comma(int64(len(groups)-maxSigmaFindings)), rule, run.Name)}
			n := 0
			for _, rest := range groups[gi:] {
				n += len(rest)
			}
			sizeSigmaEvents(&f, n)
			for _, rest := range groups[gi:] {
				for _, row := range rest {
					addSigmaEvent(&f, rr, row, actions)
				}
			}
			noIDs(&f)
			out = append(out, sigmaHit{f, rule, src})
			break
		}
		// Sources names the rule with its id even when it is the only
		// source: the id is how a detection engineer finds the rule.
		f := reports.Finding{Severity: q.Severity, Query: run.Name, Attack: q.Attack, Text: sigmaStatement(q, rr, g), Sources: []string{src}}
		sizeSigmaEvents(&f, len(g))
		for _, row := range g {
			addSigmaEvent(&f, rr, row, actions)
		}
		noIDs(&f)
		out = append(out, sigmaHit{f, rule, src})
	}
	return out
}

func sizeSigmaEvents(f *reports.Finding, n int) {
	f.Events = make([]reports.Event, 0, n)
	f.EventIDs = make([]string, 0, n)
}

// noIDs leaves EventIDs nil, as append did, when no row had an eventID.
func noIDs(f *reports.Finding) {
	if len(f.EventIDs) == 0 {
		f.EventIDs = nil
	}
}

// matchedEvents is how many events the rule matched in the window: the
// query's matched_events (it lists at most sigma.MaxRows of them), or the
// rows listed.
func matchedEvents(rr rowReader, run reports.QueryRun) int64 {
	if len(run.Rows) == 0 {
		return 0
	}
	if n := int64(rr.num(run.Rows[0], "matched_events")); n > int64(len(run.Rows)) {
		return n
	}
	return int64(len(run.Rows))
}

// addSigmaEvent adds one matching row to f: its eventID, its Timeline
// event, and f's time when it is the earliest. actions holds the action
// text of each API seen.
func addSigmaEvent(f *reports.Finding, rr rowReader, row []any, actions map[string]string) {
	id := rr.str(row, "event_id")
	if id != "" {
		f.EventIDs = append(f.EventIDs, id)
	}
	t := rr.time(row, "event_time")
	if !t.IsZero() && (f.Time.IsZero() || t.Before(f.Time)) {
		f.Time = t
	}
	result := "succeeded"
	if c := rr.str(row, "error_code"); c != "" {
		result = c
	}
	name := rr.str(row, "event_name")
	action, ok := actions[name]
	if !ok {
		action = "called " + name
		actions[name] = action
	}
	f.Events = append(f.Events, reports.Event{Time: t, EventID: id, Actor: rr.str(row, "principal"),
		SourceIP: rr.str(row, "source_ip"), Action: action, Target: rr.str(row, "target"),
		Result: result, Account: rr.str(row, "account"), Region: rr.str(row, "region")})
}

// sigmaHit is a Sigma finding with the rule's name and source, for merging.
type sigmaHit struct {
	reports.Finding
	rule, source string
}

func sigmaStatement(q *sigma.Query, rr rowReader, rows [][]any) string {
	row := rows[0]
	var b strings.Builder
	b.WriteString(sigmaRuleName(q.Rule))
	b.WriteString(" matched: ")
	if len(rows) == 1 {
		fmt.Fprintf(&b, "at %s, %s called %s", when(rr.time(row, "event_time")), clip(rr.str(row, "principal"), 200), clip(rr.str(row, "event_name"), 100))
	} else {
		var first, last time.Time
		for _, r := range rows {
			if t := rr.time(r, "event_time"); !t.IsZero() {
				if first.IsZero() || t.Before(first) {
					first = t
				}
				if t.After(last) {
					last = t
				}
			}
		}
		fmt.Fprintf(&b, "between %s and %s, %s called %s %s", when(first), when(last), clip(rr.str(row, "principal"), 200),
			clip(rr.str(row, "event_name"), 100), plural(int64(len(rows)), "time", "times"))
	}
	targets := map[string]bool{}
	for _, r := range rows {
		if t := rr.str(r, "target"); t != "" {
			targets[t] = true
		}
	}
	switch {
	case len(targets) == 1:
		fmt.Fprintf(&b, " on %s", clip(rr.str(row, "target"), 200))
	case len(targets) > 1:
		fmt.Fprintf(&b, " on %d different targets", len(targets))
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
	code := rr.str(row, "error_code")
	switch {
	case code == "" && len(rows) == 1:
		b.WriteString("; it succeeded")
	case code == "":
		b.WriteString("; all succeeded")
	case len(rows) == 1:
		fmt.Fprintf(&b, "; it failed with %s", clip(code, 80))
	default:
		fmt.Fprintf(&b, "; all failed with %s", clip(code, 80))
	}
	b.WriteString(sigmaAttack(q))
	b.WriteString(".")
	return b.String()
}

// mergeSigmaFindings adds Sigma findings to the hunt's. A Sigma finding
// whose events a finding already listed covers (the same eventIDs, or a
// subset of them) is not stated twice: that finding gains the rule as a
// source and a sentence naming the rule (and its level), and keeps its
// own severity, which the severity model derived from what the events did. The others
// are placed by severity, then time.
func mergeSigmaFindings(fs []reports.Finding, add []sigmaHit) []reports.Finding {
	for _, s := range add {
		merged := false
		if len(s.EventIDs) > 0 {
			for i := range fs {
				if !covers(fs[i].EventIDs, s.EventIDs) {
					continue
				}
				f := &fs[i]
				if len(f.Sources) == 0 && f.Query != "" {
					f.Sources = []string{f.Query}
				}
				if !contains(f.Sources, s.source) {
					f.Sources = append(f.Sources, s.source)
					f.Text += " " + s.rule + " matched the same events."
				}
				// The built-in finding's severity stands: it follows from
				// what the events did (failed, remediation, routine,
				// outside the organization), which a rule's level does
				// not know. The sentence names the rule and its level.
				for _, a := range s.Attack {
					if !contains(f.Attack, a) {
						f.Attack = append(f.Attack, a)
					}
				}
				merged = true
				break
			}
		}
		if !merged {
			fs = insertFinding(fs, s.Finding)
		}
	}
	return fs
}

func covers(have, want []string) bool {
	if len(have) == 0 || len(want) == 0 {
		return false
	}
	set := make(map[string]bool, len(have))
	for _, id := range have {
		set[id] = true
	}
	for _, id := range want {
		if !set[id] {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// insertFinding puts f before the first finding that is quieter, or as
// loud and later.
func insertFinding(fs []reports.Finding, f reports.Finding) []reports.Finding {
	at := len(fs)
	for i, g := range fs {
		rf, rg := loudness(f.Severity), loudness(g.Severity)
		if rg < rf || rg == rf && !f.Time.IsZero() && !g.Time.IsZero() && g.Time.After(f.Time) {
			at = i
			break
		}
	}
	fs = append(fs, reports.Finding{})
	copy(fs[at+1:], fs[at:])
	fs[at] = f
	return fs
}

type sigmaCount struct {
	rulesRan, rulesFailed, rulesHit int
	events                          int64
	unlisted                        int64 // matched beyond sigma.MaxRows: counted, not listed
	rulesCapped                     int
	failedAttempts                  int64
	principals                      map[string]bool
}

func countSigma(runs []reports.QueryRun) sigmaCount {
	c := sigmaCount{principals: map[string]bool{}}
	for _, run := range runs {
		if run.Err != "" {
			c.rulesFailed++
			continue
		}
		c.rulesRan++
		if len(run.Rows) > 0 {
			c.rulesHit++
		}
		rr := newRowReader(colNames(run.Columns))
		if n := matchedEvents(rr, run); n > int64(len(run.Rows)) {
			c.unlisted += n - int64(len(run.Rows))
			c.rulesCapped++
		}
		for _, row := range run.Rows {
			c.events++
			if rr.str(row, "error_code") != "" {
				c.failedAttempts++
			}
			if p := rr.str(row, "principal"); p != "" {
				c.principals[p] = true
			}
		}
	}
	return c
}

func sigmaSummaryFinding(set *SigmaSet, runs []reports.QueryRun) reports.Finding {
	c := countSigma(runs)
	var text string
	switch {
	case len(set.Queries) == 0:
		text = fmt.Sprintf("Pack sigma (%s) could not be checked: none of its %s could be translated (see sheet %s).",
			sigmaPackSummary, plural(int64(set.Considered), "rule", "rules"), sigmaRulesTable)
	case c.rulesRan == 0:
		text = fmt.Sprintf("Pack sigma (%s) could not be checked: its queries failed.", sigmaPackSummary)
	case c.events == 0:
		text = fmt.Sprintf("Pack sigma (%s): no matching events in the window for any of the %s that ran.",
			sigmaPackSummary, plural(int64(c.rulesRan), "rule", "rules"))
	default:
		text = fmt.Sprintf("Pack sigma (%s): %s matched %s (a rule's matches counted once per event and rule), %s, by %s.",
			sigmaPackSummary, plural(int64(c.rulesHit), "rule of "+fmt.Sprint(c.rulesRan)+" that ran", "rules of "+fmt.Sprint(c.rulesRan)+" that ran"),
			plural(c.events+c.unlisted, "event", "events"), plural(c.failedAttempts, "failed attempt", "failed attempts"),
			plural(int64(len(c.principals)), "principal", "principals"))
	}
	if c.unlisted > 0 {
		whose := "that rule's findings say so"
		if c.rulesCapped > 1 {
			whose = "each of those rules' findings says so"
		}
		text += fmt.Sprintf(" %s of these events, matched by %s, are counted but not listed (%s); the failed attempts and principals are counted over the events listed.",
			Comma(c.unlisted), plural(int64(c.rulesCapped), "rule", "rules"), whose)
	}
	if c.rulesFailed > 0 && c.rulesRan > 0 {
		text += fmt.Sprintf(" %d of its queries failed; see below.", c.rulesFailed)
	}
	if n := len(set.Refused); n > 0 {
		text += fmt.Sprintf(" %s of %d could not be translated and did not run; sheet %s gives the reason for each.",
			plural(int64(n), "rule", "rules"), set.Considered, sigmaRulesTable)
	}
	return reports.Finding{Severity: "info", Query: sigmaRulesTable, Text: text}
}

// addSigmaSummaryRow adds the sigma pack to the per-pack summary table the
// hunt's chart reads, by column name.
func addSigmaSummaryRow(out *Outcome, set *SigmaSet, runs []reports.QueryRun) {
	c := countSigma(runs)
	for i := range out.Queries {
		q := &out.Queries[i]
		if q.Name != huntSummaryTable {
			continue
		}
		row := make([]any, len(q.Columns))
		for j, col := range q.Columns {
			switch col.Name {
			case "pack":
				row[j] = SigmaPack
			case "summary":
				row[j] = sigmaPackSummary
			case "hits":
				row[j] = c.events + c.unlisted
			case "failed_attempts":
				row[j] = c.failedAttempts
			case "principals":
				row[j] = int64(len(c.principals))
			case "queries_failed":
				row[j] = int64(c.rulesFailed)
			}
		}
		q.Rows = append(q.Rows, row)
		return
	}
}

// sigmaRulesRun is the derived table of every rule considered: what the
// DRL asks to show (title, author, licence, link), and whether it ran.
func sigmaRulesRun(set *SigmaSet, runs []reports.QueryRun) reports.QueryRun {
	run := reports.QueryRun{Name: sigmaRulesTable, Derived: true, Stats: engine.Stats{State: "DERIVED"},
		Summary: "every Sigma rule the hunt considered: its query, title, id, level, author, licence and source; whether it ran, its matching events, or why it could not be translated",
		Columns: []engine.Column{{Name: "query", Type: engine.String}, {Name: "title", Type: engine.String},
			{Name: "rule_id", Type: engine.String}, {Name: "level", Type: engine.String}, {Name: "severity", Type: engine.String},
			{Name: "author", Type: engine.String}, {Name: "licence", Type: engine.String}, {Name: "source", Type: engine.String},
			{Name: "attack_tags", Type: engine.String}, {Name: "state", Type: engine.String},
			{Name: "matching_events", Type: engine.Integer}, {Name: "reason_not_run", Type: engine.String}}}
	for i, q := range set.Queries {
		state, hits, reason := "ran", any(int64(len(runs[i].Rows))), any(nil)
		if runs[i].Err != "" {
			state, hits, reason = "failed", nil, runs[i].Err
		}
		lic, author := q.Rule.License, q.Rule.Author
		if lic == "" && q.Rule.Bundled {
			lic = sigma.BundledLicense
		}
		if lic == "" {
			lic = "not stated in the rule"
		}
		if author == "" {
			author = "not stated in the rule"
		}
		run.Rows = append(run.Rows, []any{q.Name, q.Rule.Title, q.Rule.ID, q.Rule.Level, q.Severity, author,
			lic, sigma.Source(q.Rule), strings.Join(q.Rule.Tags, " "), state, hits, reason})
	}
	refused := append([]sigma.Refusal{}, set.Refused...)
	sort.SliceStable(refused, func(i, j int) bool { return refused[i].File < refused[j].File })
	for _, r := range refused {
		run.Rows = append(run.Rows, []any{nil, r.Title, r.ID, nil, nil, nil, nil, r.File, nil, "not translated", nil, r.Reason})
	}
	return run
}

// sigmaNotes say which rules did not run and why; the sheet lists all.
func sigmaNotes(set *SigmaSet) []string {
	if len(set.Refused) == 0 {
		return nil
	}
	const show = 10
	var b strings.Builder
	fmt.Fprintf(&b, "%s of the %d Sigma rules considered could not be translated and did not run (sheet %s lists each with its reason): ",
		plural(int64(len(set.Refused)), "rule", "rules"), set.Considered, sigmaRulesTable)
	for i, r := range set.Refused {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(set.Refused)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(clip(r.String(), 300))
	}
	b.WriteString(".")
	return []string{b.String()}
}
