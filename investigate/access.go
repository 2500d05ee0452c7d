package investigate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// AccessOptions are the inputs of `ctathena access`.
type AccessOptions struct {
	Buckets []string
	Window  Window
}

// AccessQueries are the catalog queries access runs, in report order.
var AccessQueries = []string{"access/totals", "access/by_principal", "access/events"}

// accessClasses is the order operation classes are reported in.
var accessClasses = []string{"read", "write", "delete", "list", "other"}

// PlanAccess validates the options and returns the queries to run.
func PlanAccess(o AccessOptions) ([]Planned, error) {
	if len(o.Buckets) == 0 {
		return nil, &sql.UsageError{Msg: "access needs at least one --bucket"}
	}
	for _, b := range o.Buckets {
		if err := sql.ValidBucket(b); err != nil {
			return nil, &sql.UsageError{Msg: "--bucket: " + err.Error()}
		}
	}
	dayFrom, dayTo := Days(o.Window.Since, o.Window.Until)
	v := map[string]string{
		"buckets": strings.Join(o.Buckets, ","), "since": Stamp(o.Window.Since), "until": Stamp(o.Window.Until),
		"day_from": dayFrom, "day_to": dayTo,
	}
	var plans []Planned
	for _, q := range AccessQueries {
		plans = append(plans, Planned{Name: q, Values: v})
	}
	return plans, nil
}

// Access runs the bucket access pack and turns its rows into findings.
func Access(ctx context.Context, env *Env, o AccessOptions) (*Outcome, error) {
	plans, err := PlanAccess(o)
	return runPack(ctx, env, plans, err, func(out *Outcome) {
		out.Findings = accessFindings(o, out.Queries)
		out.Charts = []reports.Chart{
			{Title: "Events by principal, source IP and operation", Query: "access/by_principal", CategoryColumn: "principal", ValueColumn: "events", Kind: "bar"},
		}
	})
}

type classTotal struct {
	events, errors, principals, ips, keys int64
	bytesIn, bytesOut                     float64
	first, last                           time.Time
}

// accessEvents are access/events' rows as Timeline events, with each
// event's operation class; nil if the query did not succeed.
type accessEvent struct {
	class string
	ev    reports.Event
}

func accessEvents(runs []reports.QueryRun) []accessEvent {
	q := find(runs, "access/events")
	if q == nil || q.Err != "" {
		return nil
	}
	rr := newRowReader(colNames(q.Columns))
	out := make([]accessEvent, 0, len(q.Rows))
	for _, row := range q.Rows {
		class, name := rr.str(row, "operation"), rr.str(row, "event_name")
		result := "succeeded"
		if e := rr.str(row, "error_code"); e != "" {
			result = e
		}
		target := rr.str(row, "bucket")
		if k := rr.str(row, "object_key"); k != "" {
			target += "/" + k
		}
		out = append(out, accessEvent{class: class, ev: reports.Event{Time: rr.time(row, "event_time"), EventID: rr.str(row, "event_id"),
			Actor: rr.str(row, "principal"), SourceIP: rr.str(row, "source_ip"), Action: class + " (" + name + ")",
			Target: target, Result: result, Account: rr.str(row, "event_account"), Region: rr.str(row, "region")}})
	}
	return out
}

// withEvents attaches to f the events keep selects, and dates f by the
// first of them.
func withEvents(f reports.Finding, evs []accessEvent, keep func(accessEvent) bool) reports.Finding {
	for _, e := range evs {
		if keep(e) {
			f.EventIDs = append(f.EventIDs, e.ev.EventID)
			f.Events = append(f.Events, e.ev)
		}
	}
	if len(f.Events) > 0 {
		f.Time = f.Events[0].Time
	}
	return f
}

func accessFindings(o AccessOptions, runs []reports.QueryRun) []reports.Finding {
	var fs []reports.Finding
	buckets := strings.Join(o.Buckets, ", ")
	evs := accessEvents(runs)
	all := func(accessEvent) bool { return true }
	if t := find(runs, "access/totals"); t != nil && t.Err == "" {
		rr := newRowReader(colNames(t.Columns))
		per := map[string]*classTotal{}
		var total int64
		for _, row := range t.Rows {
			c := rr.str(row, "operation")
			ct := per[c]
			if ct == nil {
				ct = &classTotal{}
				per[c] = ct
			}
			// Per-bucket rows of one class add up; distinct counts across
			// buckets may overlap, so the sentence says "up to" for them.
			ct.events += int64(rr.num(row, "events"))
			ct.errors += int64(rr.num(row, "errors"))
			ct.principals += int64(rr.num(row, "principals"))
			ct.ips += int64(rr.num(row, "source_ips"))
			ct.keys += int64(rr.num(row, "distinct_keys"))
			ct.bytesIn += rr.num(row, "bytes_in")
			ct.bytesOut += rr.num(row, "bytes_out")
			if f := rr.time(row, "first_seen"); !f.IsZero() && (ct.first.IsZero() || f.Before(ct.first)) {
				ct.first = f
			}
			if l := rr.time(row, "last_seen"); l.After(ct.last) {
				ct.last = l
			}
			total += int64(rr.num(row, "events"))
		}
		if total == 0 {
			fs = append(fs, reports.Finding{Severity: "info", Query: "access/totals",
				Text: fmt.Sprintf("No S3 data events on %s were logged between %s and %s. If S3 data events are not enabled for the bucket, object reads and writes would not appear in CloudTrail at all.", buckets, when(o.Window.Since), when(o.Window.Until))})
		} else {
			fs = append(fs, withEvents(reports.Finding{Severity: SeverityInfo, Query: "access/totals",
				Text: fmt.Sprintf("Between %s and %s, CloudTrail logged %s on %s.", when(o.Window.Since), when(o.Window.Until), plural(total, "S3 data event", "S3 data events"), buckets)}, evs, all))
		}
		classes := append([]string(nil), accessClasses...)
		for c := range per {
			if !accessHasClass(classes, c) {
				classes = append(classes, c)
			}
		}
		for _, c := range classes {
			ct := per[c]
			if ct == nil || ct.events == 0 {
				continue
			}
			var bytes string
			switch {
			case ct.bytesOut > 0 && ct.bytesIn > 0:
				bytes = fmt.Sprintf(", %s out and %s in", HumanBytes(ct.bytesOut), HumanBytes(ct.bytesIn))
			case ct.bytesOut > 0:
				bytes = fmt.Sprintf(", %s out", HumanBytes(ct.bytesOut))
			case ct.bytesIn > 0:
				bytes = fmt.Sprintf(", %s in", HumanBytes(ct.bytesIn))
			}
			failed := ""
			if ct.errors > 0 {
				failed = fmt.Sprintf(" (%s failed)", Comma(ct.errors))
			}
			sev := SeverityInfo
			if c == "delete" && ct.events > ct.errors {
				sev = SeverityMedium // objects removed
			}
			keys := ""
			if ct.keys > 0 {
				keys = " on " + plural(ct.keys, "object key", "object keys")
			}
			class := c
			fs = append(fs, withEvents(reports.Finding{Severity: sev, Query: "access/totals",
				Text: fmt.Sprintf("%s: %s%s%s%s, by %s from %s, between %s and %s.", classTitle(c),
					plural(ct.events, "call", "calls"), failed, keys, bytes,
					plural(ct.principals, "principal", "principals"), plural(ct.ips, "source address", "source addresses"),
					when(ct.first), when(ct.last))}, evs, func(e accessEvent) bool { return e.class == class }))
		}
	}
	if bp := find(runs, "access/by_principal"); bp != nil && bp.Err == "" {
		rr := newRowReader(colNames(bp.Columns))
		type who struct {
			principal string
			events    int64
			errors    int64
			bytesOut  float64
			bytesIn   float64
			ips       map[string]string
			classes   map[string]int64
		}
		byP := map[string]*who{}
		var order []string
		for _, row := range bp.Rows {
			p := rr.str(row, "principal")
			w := byP[p]
			if w == nil {
				w = &who{principal: p, ips: map[string]string{}, classes: map[string]int64{}}
				byP[p] = w
				order = append(order, p)
			}
			n := int64(rr.num(row, "events"))
			w.events += n
			w.errors += int64(rr.num(row, "errors"))
			w.bytesOut += rr.num(row, "bytes_out")
			w.bytesIn += rr.num(row, "bytes_in")
			w.ips[rr.str(row, "source_ip")] = addressKind(rr.str(row, "source_ip"), "")
			w.classes[rr.str(row, "operation")] += n
		}
		sort.SliceStable(order, func(i, j int) bool { return byP[order[i]].events > byP[order[j]].events })
		for i, p := range order {
			if i == 10 {
				fs = append(fs, moreListed("info", "access/by_principal", len(order)-10, "principals"))
				break
			}
			w := byP[p]
			var parts []string
			for _, c := range accessClasses {
				if n := w.classes[c]; n > 0 {
					parts = append(parts, fmt.Sprintf("%s %s", Comma(n), c))
				}
			}
			sev := SeverityInfo
			switch {
			case p == "anonymous" && w.events > w.errors:
				sev = SeverityHigh // the bucket answered anyone on the internet
			case w.classes["delete"] > 0 || p == "anonymous":
				sev = SeverityMedium
			}
			principal := p
			fs = append(fs, withEvents(reports.Finding{Severity: sev, Query: "access/by_principal",
				Text: fmt.Sprintf("Principal %s made %s (%s) from %s; bytes out: %s; bytes in: %s; %s failed.", p,
					plural(w.events, "call", "calls"), strings.Join(parts, ", "), addressWords(w.ips),
					bytesAside(w.bytesOut), bytesAside(w.bytesIn), Comma(w.errors))}, evs, func(e accessEvent) bool { return e.ev.Actor == principal }))
		}
	}
	fs = append(fs, failedQueryFindings(runs)...)
	SortFindings(fs)
	return fs
}

func classTitle(c string) string {
	switch c {
	case "read":
		return "Reads (GetObject, HeadObject, ...)"
	case "write":
		return "Writes (PutObject, CopyObject, multipart uploads, ...)"
	case "delete":
		return "Deletes (DeleteObject, DeleteObjects, ...)"
	case "list":
		return "Listings (ListObjects, ListObjectsV2, ListObjectVersions, ...)"
	}
	return "Other object operations"
}

func accessHasClass(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
