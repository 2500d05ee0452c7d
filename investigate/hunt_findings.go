package investigate

// How hunt's rows become findings: each group of rows is classified by what
// it did (acts.go), ranked by the severity model and, for routine calls, by
// rarity against the principal's own baseline; then stated worst first,
// with the eventIDs and Timeline events it rests on, and a summary per pack
// that agrees with the statements.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
)

type hit struct {
	severity string
	pack     string
	query    string
	at       time.Time
	// eventIDs are the events the statement covers; one event found by
	// two queries is stated once.
	eventIDs []string
	events   []reports.Event
	attack   []string
	text     string
}

// huntContext is what findings need beyond the rows: the organization's
// accounts and the principals' own baseline.
type huntContext struct {
	org          orgView
	baselineDays int64 // length of the baseline period in days
	noBaseline   bool  // --baseline 0: none was asked for
	base         baseline
}

// baseline is the principals' own history of routine calls.
type baseline struct {
	ran      bool // the query ran and answered
	daysLogs int64
	calls    map[string][2]int64 // principal \x00 event name -> events, days active
}

func readBaseline(runs []reports.QueryRun) baseline {
	b := baseline{calls: map[string][2]int64{}}
	r := find(runs, HuntBaselineQuery)
	if r == nil || r.Err != "" {
		return b
	}
	b.ran = true
	rr := newRowReader(colNames(r.Columns))
	for _, row := range r.Rows {
		p := rr.str(row, "principal")
		if p == "" {
			b.daysLogs = int64(rr.num(row, "days"))
			continue
		}
		k := p + "\x00" + normName(rr.str(row, "event_name"))
		c := b.calls[k]
		b.calls[k] = [2]int64{c[0] + int64(rr.num(row, "events")), c[1] + int64(rr.num(row, "days"))}
	}
	return b
}

// rarity ranks a routine call against the principal's own baseline: info
// when it made the same call before the window, low when it did not (or
// when there is no baseline to compare with). It returns the severity and
// the words that say why.
func (hc huntContext) rarity(principal, name string) (string, string) {
	period := plural(hc.baselineDays, "day", "days") + " before the window"
	switch {
	case hc.noBaseline:
		return sevLow, "; routine for some principals, but no baseline was asked for (--baseline 0), so its rarity for this one is unknown"
	case !hc.base.ran:
		return sevLow, "; routine for some principals, but the baseline query failed, so its rarity for this one is unknown"
	case hc.base.daysLogs == 0:
		return sevLow, "; routine for some principals, but the " + period + " have no logs, so there is no baseline to compare with"
	}
	c := hc.base.calls[principal+"\x00"+normName(name)]
	if c[0] > 0 {
		return sevInfo, fmt.Sprintf("; routine for this principal: it made the same call %s on %s of the %s with logs in the %s",
			plural(c[0], "time", "times"), Comma(c[1]), plural(hc.base.daysLogs, "day", "days"), period)
	}
	return sevLow, fmt.Sprintf("; new for this principal: it made no such call on any of the %s with logs in the %s",
		plural(hc.base.daysLogs, "day", "days"), period)
}

// aggregated queries return one row per group of events (a count in
// "events"); each row is stated on its own.
var aggregatedHunts = map[string]bool{
	"hunt/recon_by_source_ip": true, "hunt/errors_by_source_ip": true,
	"hunt/impact_bulk_object_deletes": true, "hunt/impact_sse_c_encryption": true,
	"hunt/initial_console_login_failures": true,
}

func rowCall(rr rowReader, row []any) call {
	return call{Time: rr.time(row, "event_time"), EventID: rr.str(row, "event_id"), Source: rr.str(row, "event_source"),
		Name: rr.str(row, "event_name"), Principal: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"),
		Account: rr.str(row, "account"), Region: rr.str(row, "region"), ErrorCode: rr.str(row, "error_code"),
		ErrorMessage: rr.str(row, "error_message"), Request: rr.str(row, "request_parameters"), Target: rr.str(row, "target")}
}

func attackIDs(header []string, rr rowReader, row []any, extra []string) []string {
	var out []string
	tac, tech := attackFor(header, rr.str(row, "event_source"), rr.str(row, "event_name"))
	for _, r := range append(tac, tech...) {
		out = append(out, r.ID)
	}
	return uniqWords(append(append([]string(nil), extra...), out...))
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
		if consoleFailure(rr, row) {
			// One failed sign-in is context; bursts are stated by
			// hunt/initial_console_login_failures.
			return sevInfo
		}
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

func huntFindings(packs []HuntPack, runs []reports.QueryRun, headers map[string][]string, hc huntContext) []reports.Finding {
	hc.base = readBaseline(runs)
	var hits []hit
	var failed []reports.Finding
	for _, run := range runs {
		if run.Err != "" {
			failed = append(failed, reports.Finding{Severity: sevHigh, Query: run.Name,
				Text: fmt.Sprintf("Query %s failed, so its detections are missing from this report: %s", run.Name, run.Err)})
			continue
		}
		if run.Name == HuntBaselineQuery {
			continue
		}
		rr := newRowReader(colNames(run.Columns))
		pack := packOf(packs, run.Name)
		var top loudest
		for _, g := range groupRows(run.Name, rr, run.Rows, hc.org) {
			top.add(hc.statement(run.Name, pack, headers[run.Name], rr, g))
		}
		rowHits := top.done()
		if top.dropped > 0 {
			rowHits = append(rowHits, hit{severity: top.sev, pack: pack, query: run.Name,
				text: fmt.Sprintf("%s more groups of calls found by %s are listed on its sheet and not repeated here.", Comma(int64(top.dropped)), run.Name)})
		}
		hits = append(hits, rowHits...)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if loudness(a.severity) != loudness(b.severity) {
			return loudness(a.severity) > loudness(b.severity)
		}
		if a.at.IsZero() != b.at.IsZero() {
			return !a.at.IsZero()
		}
		return a.at.Before(b.at)
	})
	// One event found by two packs is stated once, at its highest severity.
	seen := map[string]bool{}
	var fs []reports.Finding
	stated := map[string]map[string]int64{} // pack -> severity -> statements
	for _, h := range hits {
		if len(h.eventIDs) > 0 && !aggregatedHunts[h.query] {
			fresh := false
			for _, id := range h.eventIDs {
				fresh = fresh || !seen[id]
				seen[id] = true
			}
			if !fresh {
				continue
			}
		}
		if stated[h.pack] == nil {
			stated[h.pack] = map[string]int64{}
		}
		stated[h.pack][h.severity]++
		fs = append(fs, reports.Finding{Severity: h.severity, Query: h.query, Text: h.text, EventIDs: h.eventIDs,
			Events: h.events, Attack: h.attack, Time: h.at})
	}
	summaries := packSummaries(packs, runs, stated)
	// Summaries go after the high, medium and low statements, before the
	// info ones.
	cut := len(fs)
	for i, f := range fs {
		if f.Severity == sevInfo {
			cut = i
			break
		}
	}
	out := append([]reports.Finding{}, fs[:cut]...)
	out = append(out, summaries...)
	out = append(out, fs[cut:]...)
	return append(out, failed...)
}

// loudest keeps one query's maxFindingsPerQuery loudest statements, the
// first of equal loudness (every row stays on the sheet), cutting them down
// as they come: the 30-day, 10,000,000-event hunt's errors_by_source_ip has
// 599,920 groups, whose statements held 424 MB of the Go heap at once.
// dropped counts the others; sev is the loudest of them.
type loudest struct {
	hits    []hit
	dropped int
	sev     string
}

func (l *loudest) add(h hit) {
	l.hits = append(l.hits, h)
	if len(l.hits) >= 4*maxFindingsPerQuery {
		l.cut()
	}
}

func (l *loudest) cut() {
	if len(l.hits) <= maxFindingsPerQuery {
		return
	}
	sort.SliceStable(l.hits, func(i, j int) bool { return loudness(l.hits[i].severity) > loudness(l.hits[j].severity) })
	if next := l.hits[maxFindingsPerQuery].severity; l.dropped == 0 || loudness(next) > loudness(l.sev) {
		l.sev = next
	}
	l.dropped += len(l.hits) - maxFindingsPerQuery
	clear(l.hits[maxFindingsPerQuery:])
	l.hits = l.hits[:maxFindingsPerQuery]
}

// done returns the statements kept, loudest first.
func (l *loudest) done() []hit {
	l.cut()
	return l.hits
}

// statement turns one group of rows into a hit.
func (hc huntContext) statement(query, pack string, header []string, rr rowReader, g [][]any) hit {
	h := hit{pack: pack, query: query, at: rr.time(g[0], "event_time"), severity: sevInfo}
	for _, row := range g {
		if id := rr.str(row, "event_id"); id != "" {
			h.eventIDs = append(h.eventIDs, id)
		}
		if id := rr.str(row, "last_event_id"); id != "" && id != rr.str(row, "event_id") {
			h.eventIDs = append(h.eventIDs, id)
		}
	}
	switch query {
	case "hunt/errors_by_source_ip", "hunt/recon_by_source_ip":
		if query == "hunt/errors_by_source_ip" {
			h.text = errorStatement(rr, g, header)
		} else {
			h.text = reconStatement(rr, g[0], header)
		}
		h.attack = attackIDs(header, rr, g[0], nil)
		for _, row := range g {
			h.events = append(h.events, reports.Event{Time: rr.time(row, "event_time"), EventID: rr.str(row, "event_id"),
				Actor: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"),
				Action: fmt.Sprintf("first of %s: %s", plural(int64(rr.num(row, "events")), "call", "calls"), rr.str(row, "event_name")),
				Result: orDefault(rr.str(row, "error_code"), "succeeded"), Account: rr.str(row, "account"), Region: rr.str(row, "region")})
		}
		return h
	case "hunt/impact_bulk_object_deletes", "hunt/impact_sse_c_encryption", "hunt/initial_console_login_failures":
		return hc.aggregateStatement(h, header, rr, g[0])
	}
	c := rowCall(rr, g[0])
	a, ok := classify(c, hc.org)
	if !ok {
		for _, row := range g {
			sev := huntSeverity(query, rr, row)
			if rr.str(row, "error_code") != "" {
				// A failed attempt is rated one step below the act.
				sev = lower(sev)
			}
			if loudness(sev) > loudness(h.severity) {
				h.severity = sev
			}
			h.events = append(h.events, reports.Event{Time: rr.time(row, "event_time"), EventID: rr.str(row, "event_id"),
				Actor: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"), Action: rr.str(row, "event_name"),
				Target: rr.str(row, "target"), Result: orDefault(rr.str(row, "error_code"), "succeeded"),
				Account: rr.str(row, "account"), Region: rr.str(row, "region")})
		}
		if len(g) == 1 {
			h.text = hitStatement(rr, g[0], header)
		} else {
			h.text = groupStatement(rr, g, header)
		}
		h.attack = attackIDs(header, rr, g[0], nil)
		return h
	}
	h.severity = a.severityOf(c)
	note := ""
	if a.Routine && !a.Remediation && !a.Service {
		sev, why := hc.rarity(c.Principal, c.Name)
		if loudness(sev) < loudness(h.severity) {
			h.severity = sev
		}
		note = why
	}
	var phrases []string
	for _, row := range g {
		rc := rowCall(rr, row)
		ra, ok := classify(rc, hc.org)
		if !ok {
			ra = a
		}
		phrases = append(phrases, ra.phrase(rc))
		h.events = append(h.events, actEvent(rc, ra))
	}
	phrases = uniqWords(phrases)
	h.attack = attackIDs(header, rr, g[0], a.Attack)
	var b strings.Builder
	if len(g) == 1 {
		fmt.Fprintf(&b, "At %s, %s %s (%s)", when(c.Time), clip(c.Principal, 200), clip(phrases[0], 400), clip(c.Name, 100))
	} else {
		first, last := span(rr, g, "event_time", "event_time")
		what := clip(phrases[0], 400)
		if len(phrases) > 1 {
			what += fmt.Sprintf(", and the same on %s (see the sheet)", plural(int64(len(phrases)-1), "other target", "other targets"))
		}
		fmt.Fprintf(&b, "%s, %s made %s %s calls: it %s", between(first, last), clip(c.Principal, 200),
			Comma(int64(len(g))), clip(c.Name, 100), what)
	}
	if c.SourceIP != "" {
		fmt.Fprintf(&b, ", from %s", clip(c.SourceIP, 100))
	}
	if c.Account != "" {
		fmt.Fprintf(&b, " in account %s", clip(c.Account, 40))
	}
	if c.Region != "" && len(g) == 1 {
		fmt.Fprintf(&b, " (%s)", clip(c.Region, 40))
	}
	res := outcome(rr, g[0])
	if len(g) > 1 {
		res = "all succeeded"
		if c.ErrorCode != "" {
			res = "all failed with " + clip(c.ErrorCode, 80)
		}
	}
	fmt.Fprintf(&b, "; %s%s%s.", res, note, attackPhrase(header, rr, g[0]))
	h.text = b.String()
	return h
}

// aggregateStatement states one row of a query that counts events.
func (hc huntContext) aggregateStatement(h hit, header []string, rr rowReader, row []any) hit {
	n := int64(rr.num(row, "events"))
	first, last := rr.time(row, "event_time"), rr.time(row, "last_seen")
	who, ip, target := clip(rr.str(row, "principal"), 200), clip(orNone(rr.str(row, "source_ip")), 100), clip(rr.str(row, "target"), 200)
	failed := rr.str(row, "error_code") != ""
	res := "all succeeded"
	if failed {
		res = "all failed with " + clip(rr.str(row, "error_code"), 80)
	}
	var did string
	switch h.query {
	case "hunt/impact_bulk_object_deletes":
		h.severity = sevHigh
		did = fmt.Sprintf("deleted objects from bucket %s in bulk: %s", target, plural(n, "DeleteObject call", "DeleteObject calls"))
		if b := int64(rr.num(row, "bulk_calls")); b > 0 {
			did = fmt.Sprintf("deleted objects from bucket %s in bulk: %s, %s of them DeleteObjects (up to 1,000 objects each)", target,
				plural(n, "delete call", "delete calls"), Comma(b))
		}
		if failed {
			did = fmt.Sprintf("tried to delete objects from bucket %s in bulk (%s)", target, plural(n, "delete call", "delete calls"))
		}
	case "hunt/impact_sse_c_encryption":
		h.severity = sevHigh
		did = fmt.Sprintf("wrote %s to bucket %s encrypted with a key only the caller holds (SSE-C): the owner cannot read them without that key", plural(n, "object", "objects"), target)
		if failed {
			did = fmt.Sprintf("tried to write %s to bucket %s encrypted with a customer key (SSE-C)", plural(n, "object", "objects"), target)
		}
	default:
		h.severity = sevMedium
		users := int64(rr.num(row, "users_tried"))
		did = fmt.Sprintf("failed to sign in to the AWS console %s, trying %s (first: %s)", plural(n, "time", "times"), plural(users, "user name", "user names"), target)
		res = "a burst of failed sign-ins: password guessing or spraying"
		who = "someone"
		if p := int64(rr.num(row, "principals")); p <= 1 && rr.str(row, "principal") != "" {
			who = who + " using " + clip(rr.str(row, "principal"), 200)
		}
		failed = false
	}
	if failed {
		h.severity = lower(h.severity)
	}
	h.attack = attackIDs(header, rr, row, nil)
	h.events = append(h.events, reports.Event{Time: first, EventID: rr.str(row, "event_id"), Actor: rr.str(row, "principal"),
		SourceIP: rr.str(row, "source_ip"), Action: "first of " + plural(n, "event", "events") + ": " + rr.str(row, "event_name"),
		Target: rr.str(row, "target"), Result: orDefault(rr.str(row, "error_code"), "succeeded"), Account: rr.str(row, "account"), Region: rr.str(row, "region")})
	if id := rr.str(row, "last_event_id"); id != "" && id != rr.str(row, "event_id") {
		h.events = append(h.events, reports.Event{Time: last, EventID: id, Actor: rr.str(row, "principal"),
			SourceIP: rr.str(row, "source_ip"), Action: "last of " + plural(n, "event", "events") + ": " + rr.str(row, "event_name"),
			Target: rr.str(row, "target"), Result: orDefault(rr.str(row, "error_code"), "succeeded"), Account: rr.str(row, "account"), Region: rr.str(row, "region")})
	}
	h.text = fmt.Sprintf("Between %s and %s, from %s, %s %s; %s (the first and last eventIDs are given; the sheet counts them all)%s.",
		when(first), when(last), ip, who, did, res, attackPhrase(header, rr, row))
	return h
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
	if code == "" && consoleFailure(rr, row) {
		return "the sign-in failed (" + clip(orDefault(rr.str(row, "error_message"), "Failure"), 80) + ")"
	}
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
	return attackWords(header, rr.str(row, "event_source"), rr.str(row, "event_name"))
}

// attackWords names the technique and tactic a statement about one call
// cites.
func attackWords(header []string, source, name string) string {
	tech, tac, ok := primaryTechnique(header, source, name)
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
func groupRows(query string, rr rowReader, rows [][]any, org orgView) [][][]any {
	var out [][][]any
	idx := map[string]int{}
	for i, row := range rows {
		var key string
		switch {
		case query == "hunt/recon_by_source_ip" || aggregatedHunts[query] && query != "hunt/errors_by_source_ip":
			key = fmt.Sprint(i)
		case query == "hunt/errors_by_source_ip":
			key = strings.Join([]string{rr.str(row, "source_ip"), rr.str(row, "event_source"), rr.str(row, "event_name"), rr.str(row, "error_code")}, "\x00")
		default:
			// Calls of one API with different effects (a share and its
			// undo, a grant to an outside account and an AWS service's
			// own policy) are stated apart.
			effect := ""
			if a, ok := classify(rowCall(rr, row), org); ok {
				effect = fmt.Sprintf("%s/%s/%v/%v", a.Kind, a.Severity, a.Remediation, a.Service)
			}
			key = strings.Join([]string{rr.str(row, "principal"), rr.str(row, "event_source"), rr.str(row, "event_name"), rr.str(row, "source_ip"), rr.str(row, "error_code"), effect}, "\x00")
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
	fmt.Fprintf(&b, "%s, %s called %s %s", between(first, last), clip(rr.str(row, "principal"), 200),
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

// consoleFailure says whether a ConsoleLogin row is a failed sign-in:
// CloudTrail logs those with no errorCode, only the response "Failure".
func consoleFailure(rr rowReader, row []any) bool {
	return rr.str(row, "event_name") == "ConsoleLogin" && rr.str(row, "detail") == "Failure"
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

func packSummaries(packs []HuntPack, runs []reports.QueryRun, stated map[string]map[string]int64) []reports.Finding {
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
			text = fmt.Sprintf("Pack %s (%s): %s, %s, by %s; %s.", p.Name, p.Summary,
				plural(c.hits, "matching event", "matching events"), plural(c.failed, "failed attempt", "failed attempts"),
				plural(int64(len(c.principals)), "principal", "principals"), statedAs(stated[p.Name]))
		}
		if c.queriesBad > 0 && c.queriesOK > 0 {
			text += fmt.Sprintf(" %d of its queries failed; see below.", c.queriesBad)
		}
		fs = append(fs, reports.Finding{Severity: sevInfo, Query: p.Queries[0], Text: text})
	}
	return fs
}

// statedAs says how a pack's hits appear among the findings, so a summary
// never contradicts the statements above it.
func statedAs(by map[string]int64) string {
	var parts []string
	for _, sev := range []string{sevHigh, sevMedium, sevLow, sevInfo} {
		if n := by[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	var n int64
	for _, c := range by {
		n += c
	}
	if n == 0 {
		return "each of them is stated under another pack that found the same events"
	}
	return "stated in " + plural(n, "finding", "findings") + " (" + strings.Join(parts, ", ") + ")"
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
