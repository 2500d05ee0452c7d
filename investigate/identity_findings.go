package investigate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/reports"
)

// maxActFindings bounds the act statements identity writes; the rest are
// counted in one closing statement and every call stays on the sheets.
const maxActFindings = 60

// identityFindings states what the identities did, worst first: every act
// that matters (acts.go) across every identity the pivot reached, failed
// attempts grouped by what was attempted, the resources created, each
// principal's activity, and what the pivot found.
func identityFindings(o IdentityOptions, runs []reports.QueryRun, pv *pivot) []reports.Finding {
	var fs []reports.Finding
	org := newOrgView(o.OrgAccounts)
	window := fmt.Sprintf("between %s and %s", when(o.Window.Since), when(o.Window.Until))
	stated := map[string]bool{}     // event ids an act finding rests on
	failedActs := map[string]bool{} // principal \x00 source \x00 name of failed calls stated as acts
	if a := find(runs, "identity/acts"); a != nil && a.Err == "" {
		acts := actFindings(a, org, stated, failedActs)
		fs = append(fs, acts...)
		if len(a.Rows) >= 100000 {
			fs = append(fs, reports.Finding{Severity: sevMedium, Query: "identity/acts",
				Text: "The identity/acts sheet stops at 100,000 calls, so acts after the first 100,000 calls are not stated; narrow the window to see them."})
		}
	}
	if r := find(runs, "identity/object_reads"); r != nil && r.Err == "" {
		fs = append(fs, objectReadFindings(r, failedActs)...)
	}
	if e := find(runs, "identity/errors"); e != nil && e.Err == "" {
		fs = append(fs, failureFindings(e, failedActs)...)
	}
	if a := find(runs, "identity/activity"); a != nil && a.Err == "" {
		fs = append(fs, activityFindings(a, window)...)
	}
	if c := find(runs, "identity/created"); c != nil && c.Err == "" {
		rr := newRowReader(colNames(c.Columns))
		n := 0
		for _, row := range c.Rows {
			id := rr.str(row, "event_id")
			if stated[id] {
				continue
			}
			if n == 20 {
				fs = append(fs, moreListed(sevLow, "identity/created", len(c.Rows)-len(stated)-20, "created resources"))
				break
			}
			n++
			what := rr.str(row, "resource_id")
			if what == "" {
				what = "a resource"
			}
			t := rr.time(row, "event_time")
			ev := reports.Event{Time: t, EventID: id, Actor: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"),
				Action: "created or set " + what + " (" + rr.str(row, "event_name") + ")", Target: what, Result: "succeeded"}
			fs = append(fs, reports.Finding{Severity: sevLow, Query: "identity/created", Time: t, EventIDs: []string{id}, Events: []reports.Event{ev},
				Attack: attackIDs(nil, rr, row, nil),
				Text: fmt.Sprintf("At %s, %s called %s (%s) from %s, creating or setting %s.", when(t),
					clip(rr.str(row, "principal"), 200), clip(rr.str(row, "event_name"), 100), rr.str(row, "event_source"), clip(rr.str(row, "source_ip"), 100), clip(what, 200))})
		}
	}
	if m := find(runs, "identity/mutating"); m != nil && m.Err == "" && len(m.Rows) >= 100000 {
		fs = append(fs, reports.Finding{Severity: sevMedium, Query: "identity/mutating",
			Text: "The identity/mutating sheet stops at 100,000 calls; identity/activity has the full counts."})
	}
	if pv != nil {
		fs = append(fs, pv.findings(issuedKeys(find(runs, "identity/acts")))...)
	}
	SortFindings(fs)
	fs = append(fs, failedQueryFindings(runs)...)
	return fs
}

// actFindings states the acts of identity/acts, one finding per principal,
// act and outcome (the same act on several targets is one statement).
func actFindings(run *reports.QueryRun, org orgView, stated, failedActs map[string]bool) []reports.Finding {
	rr := newRowReader(colNames(run.Columns))
	type group struct {
		calls []call
		acts  []act
		sev   string
	}
	var order []string
	groups := map[string]*group{}
	for _, row := range run.Rows {
		c := call{Time: rr.time(row, "event_time"), EventID: rr.str(row, "event_id"), Source: rr.str(row, "event_source"),
			Name: rr.str(row, "event_name"), Principal: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"),
			ErrorCode: rr.str(row, "error_code"), ErrorMessage: rr.str(row, "error_message"),
			Request: rr.str(row, "request_parameters"), Response: rr.str(row, "response_elements")}
		if acct := acctOfARN(c.Principal); acct != "" {
			c.Account = acct
		}
		a, ok := classify(c, org)
		if !ok {
			continue
		}
		sev := a.severityOf(c)
		key := strings.Join([]string{c.Principal, c.Source, c.Name, c.SourceIP, c.ErrorCode, a.Kind, sev}, "\x00")
		g := groups[key]
		if g == nil {
			g = &group{sev: sev}
			groups[key] = g
			order = append(order, key)
		}
		g.calls = append(g.calls, c)
		g.acts = append(g.acts, a)
		stated[c.EventID] = true
		if c.failed() {
			failedActs[c.Principal+"\x00"+c.Source+"\x00"+normName(c.Name)] = true
		}
	}
	var fs []reports.Finding
	for _, k := range order {
		g := groups[k]
		c, a := g.calls[0], g.acts[0]
		var phrases, ids []string
		var evs []reports.Event
		for i, gc := range g.calls {
			phrases = append(phrases, g.acts[i].phrase(gc))
			ids = append(ids, gc.EventID)
			evs = append(evs, actEvent(gc, g.acts[i]))
		}
		phrases = uniqWords(phrases)
		var b strings.Builder
		if len(g.calls) == 1 {
			fmt.Fprintf(&b, "At %s, %s %s (%s)", when(c.Time), clip(c.Principal, 200), clip(phrases[0], 400), clip(c.Name, 100))
		} else {
			what := clip(phrases[0], 400)
			if len(phrases) > 1 {
				what += fmt.Sprintf(", and the same on %s (see identity/acts)", plural(int64(len(phrases)-1), "other target", "other targets"))
			}
			fmt.Fprintf(&b, "%s, %s made %s %s calls: it %s", between(c.Time, g.calls[len(g.calls)-1].Time),
				clip(c.Principal, 200), Comma(int64(len(g.calls))), clip(c.Name, 100), what)
		}
		if c.SourceIP != "" {
			fmt.Fprintf(&b, ", from %s", clip(c.SourceIP, 100))
		}
		switch {
		case c.failed() && len(g.calls) == 1:
			msg := ""
			if c.ErrorMessage != "" {
				msg = fmt.Sprintf(" (%q)", clip(c.ErrorMessage, 160))
			}
			fmt.Fprintf(&b, "; it failed with %s%s: an attempt, not an effect", clip(c.ErrorCode, 80), msg)
		case c.failed():
			fmt.Fprintf(&b, "; all failed with %s: attempts, not effects", clip(c.ErrorCode, 80))
		case len(g.calls) == 1:
			b.WriteString("; it succeeded")
		default:
			b.WriteString("; all succeeded")
		}
		fmt.Fprintf(&b, "%s.", attackWords(a.Attack, c.Source, c.Name))
		fs = append(fs, reports.Finding{Severity: g.sev, Query: "identity/acts", Text: b.String(), EventIDs: ids, Events: evs,
			Attack: attackIDs(a.Attack, newRowReader([]string{"event_source", "event_name"}), []any{c.Source, c.Name}, a.Attack), Time: c.Time})
	}
	if len(fs) > maxActFindings {
		SortFindings(fs)
		sev := fs[maxActFindings].Severity
		rest := len(fs) - maxActFindings
		fs = append(fs[:maxActFindings], moreListed(sev, "identity/acts", rest, "groups of acts"))
	}
	return fs
}

// failureFindings groups the failed calls that no act statement covers by
// what was attempted (the API called), never picking one failure among
// others as "the most frequent".
func failureFindings(run *reports.QueryRun, failedActs map[string]bool) []reports.Finding {
	rr := newRowReader(colNames(run.Columns))
	type attempt struct {
		source, name                       string
		events                             int64
		codes                              map[string]int64
		principals, ips                    []string
		first, last                        time.Time
		firstID, lastID                    string
		firstWho, lastWho, firstIP, lastIP string
	}
	var order []string
	by := map[string]*attempt{}
	for _, row := range run.Rows {
		src, name, who := rr.str(row, "event_source"), rr.str(row, "event_name"), rr.str(row, "principal")
		if failedActs[who+"\x00"+src+"\x00"+normName(name)] {
			continue
		}
		k := src + "\x00" + name
		a := by[k]
		if a == nil {
			a = &attempt{source: src, name: name, codes: map[string]int64{}}
			by[k] = a
			order = append(order, k)
		}
		n := int64(rr.num(row, "events"))
		a.events += n
		a.codes[rr.str(row, "error_code")] += n
		a.principals = uniqWords(append(a.principals, who))
		a.ips = uniqWords(append(a.ips, rr.str(row, "source_ip")))
		if f := rr.time(row, "first_seen"); !f.IsZero() && (a.first.IsZero() || f.Before(a.first)) {
			a.first, a.firstID, a.firstWho, a.firstIP = f, rr.str(row, "first_event_id"), who, rr.str(row, "source_ip")
		}
		if l := rr.time(row, "last_seen"); l.After(a.last) || a.last.IsZero() {
			a.last, a.lastID, a.lastWho, a.lastIP = l, rr.str(row, "last_event_id"), who, rr.str(row, "source_ip")
		}
	}
	var fs []reports.Finding
	for _, k := range order {
		a := by[k]
		var codes []string
		for c, n := range a.codes {
			codes = append(codes, fmt.Sprintf("%s %s", clip(c, 80), plural(n, "time", "times")))
		}
		sort.Strings(codes)
		ids := uniqWords([]string{a.firstID, a.lastID})
		if ids[len(ids)-1] == "" {
			ids = ids[:len(ids)-1]
		}
		evs := []reports.Event{{Time: a.first, EventID: a.firstID, Actor: a.firstWho, SourceIP: a.firstIP,
			Action: "tried to call " + a.name + " (the first failure)", Result: "failed"}}
		if a.lastID != "" && a.lastID != a.firstID {
			evs = append(evs, reports.Event{Time: a.last, EventID: a.lastID, Actor: a.lastWho, SourceIP: a.lastIP,
				Action: "tried to call " + a.name + " (the last failure)", Result: "failed"})
		}
		who := clip(a.principals[0], 200)
		if len(a.principals) > 1 {
			who = fmt.Sprintf("%d principals (first: %s)", len(a.principals), who)
		}
		fs = append(fs, reports.Finding{Severity: sevLow, Query: "identity/errors", Time: a.first, EventIDs: ids, Events: evs,
			Attack: attackIDs(nil, newRowReader([]string{"event_source", "event_name"}), []any{a.source, a.name}, nil),
			Text: fmt.Sprintf("%s tried to call %s (%s) %s between %s and %s from %s, and failed every time: %s (first and last eventIDs given; identity/errors lists every failure).",
				who, clip(a.name, 100), a.source, plural(a.events, "time", "times"), when(a.first), when(a.last),
				plural(int64(len(a.ips)), "address", "addresses"), strings.Join(codes, ", "))})
	}
	return fs
}

// activityFindings states each principal's calls in the window; context,
// so info.
func activityFindings(a *reports.QueryRun, window string) []reports.Finding {
	var fs []reports.Finding
	rr := newRowReader(colNames(a.Columns))
	type tot struct {
		events, mutating, errors int64
		sources                  map[string]bool
		first, last              time.Time
	}
	per := map[string]*tot{}
	var order []string
	for _, row := range a.Rows {
		p := rr.str(row, "principal")
		t := per[p]
		if t == nil {
			t = &tot{sources: map[string]bool{}}
			per[p] = t
			order = append(order, p)
		}
		t.events += int64(rr.num(row, "events"))
		t.mutating += int64(rr.num(row, "mutating"))
		t.errors += int64(rr.num(row, "errors"))
		t.sources[rr.str(row, "event_source")] = true
		if f := rr.time(row, "first_seen"); !f.IsZero() && (t.first.IsZero() || f.Before(t.first)) {
			t.first = f
		}
		if l := rr.time(row, "last_seen"); l.After(t.last) {
			t.last = l
		}
	}
	if len(order) == 0 {
		fs = append(fs, reports.Finding{Severity: sevInfo, Query: "identity/activity",
			Text: fmt.Sprintf("No CloudTrail event %s matched the identities, keys and addresses investigated.", window)})
	}
	sort.SliceStable(order, func(i, j int) bool { return per[order[i]].events > per[order[j]].events })
	for i, p := range order {
		if i == 15 {
			fs = append(fs, moreListed(sevInfo, "identity/activity", len(order)-15, "principals"))
			break
		}
		t := per[p]
		fs = append(fs, reports.Finding{Severity: sevInfo, Query: "identity/activity", Time: t.first,
			Text: fmt.Sprintf("Principal %s made %s to %s between %s and %s: %s of them changed something (CloudTrail did not mark them read-only) and %s failed.",
				p, plural(t.events, "call", "calls"), plural(int64(len(t.sources)), "AWS service", "AWS services"),
				when(t.first), when(t.last), Comma(t.mutating), Comma(t.errors))})
	}
	return fs
}

// issuedKeys maps each access key a call's response handed out (session
// credentials, a new access key) to the calls' eventIDs.
func issuedKeys(run *reports.QueryRun) map[string][]string {
	out := map[string][]string{}
	if run == nil || run.Err != "" {
		return out
	}
	rr := newRowReader(colNames(run.Columns))
	for _, row := range run.Rows {
		resp := jsonObj(rr.str(row, "response_elements"))
		for _, k := range []string{str(path(resp, "credentials", "accessKeyId")), str(path(resp, "accessKey", "accessKeyId"))} {
			if k != "" {
				out[k] = append(out[k], rr.str(row, "event_id"))
			}
		}
	}
	return out
}

// objectReadFindings states, per principal, the S3 objects the identities
// read (identity/object_reads): successful reads and distinct objects apart,
// the bytes sent out exactly, the buckets, and the addresses by kind, with
// every read's eventID. With no baseline here (exfil compares with one),
// severity follows what is shown: 100 or more objects read from addresses
// on the internet is data copied out (high); any read from the internet, or
// 100 or more from inside, is medium; a few internal reads are low. Reads
// that all failed are an attempt (medium). Failed reads stated here are not
// stated again by failureFindings.
func objectReadFindings(run *reports.QueryRun, failedActs map[string]bool) []reports.Finding {
	rows := readEvents(run)
	by, order := readsBy(rows)
	buckets := map[string][]string{}
	for _, r := range rows {
		if r.bucket != "" {
			buckets[r.principal] = uniqWords(append(buckets[r.principal], r.bucket))
		}
	}
	var fs []reports.Finding
	for _, name := range order {
		p := by[name]
		if p.failed > 0 {
			failedActs[p.principal+"\x00s3.amazonaws.com\x00"+normName("GetObject")] = true
		}
		from := "bucket " + strings.Join(buckets[name], ", ")
		if len(buckets[name]) > 1 {
			from = "buckets " + strings.Join(buckets[name], ", ")
		} else if len(buckets[name]) == 0 {
			from = "an unnamed bucket"
		}
		from = clip(from, 300)
		f := reports.Finding{Query: "identity/object_reads", EventIDs: p.ids, Events: p.events, Time: p.first,
			Attack: []string{"T1530"}}
		if p.reads == 0 {
			f.Severity = SeverityMedium
			if len(p.events) > 0 {
				f.Time = p.events[0].Time
			}
			f.Text = fmt.Sprintf("Principal %s tried to read %s from %s and every attempt failed (%s): an attempt, not an effect.",
				clip(p.principal, 200), plural(p.failed, "object", "objects"), from, failedCodes(p.events))
			fs = append(fs, f)
			continue
		}
		switch {
		case p.extReads >= 100:
			f.Severity = SeverityHigh // data copied out to the internet at volume
		case p.extReads > 0 || p.reads >= 100:
			f.Severity = SeverityMedium
		default:
			f.Severity = SeverityLow
		}
		failed := ""
		if p.failed > 0 {
			failed = fmt.Sprintf("; %s failed", plural(p.failed, "more read", "more reads"))
		}
		f.Text = fmt.Sprintf("Principal %s made %s of %s (%s) from %s between %s and %s, from %s%s. Each read is a GetObject call that succeeded; the eventIDs of every read are on the Timeline.",
			clip(p.principal, 200), plural(p.reads, "read", "reads"), plural(int64(len(p.keys)), "distinct object", "distinct objects"),
			exactBytes(p.bytes), from, when(p.first), when(p.last), addressCounts(p.ips, p.kindReads), failed)
		fs = append(fs, f)
	}
	if len(rows) >= 100000 {
		fs = append(fs, reports.Finding{Severity: SeverityMedium, Query: "identity/object_reads",
			Text: "The identity/object_reads sheet stops at 100,000 reads, so reads after the first 100,000 are not stated; narrow the window to see them."})
	}
	return fs
}
