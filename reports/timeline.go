package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// timelineRow is one event on the Timeline, with the findings it supports
// (their numbers on the Findings sheet).
type timelineRow struct {
	ev       Event
	idOnly   bool
	findings []int
}

// timeline is every event any finding rests on, once each, in time order;
// events known only by their id come last, in id order.
func timeline(fs []Finding) []timelineRow {
	var rows []*timelineRow
	byID := map[string]*timelineRow{}
	add := func(ev Event, idOnly bool, n int) {
		key := ev.EventID
		if key == "" {
			// An event without an id is still shown, once per finding.
			key = fmt.Sprintf("\x00%d/%d", n, len(rows))
		}
		r := byID[key]
		if r == nil {
			r = &timelineRow{ev: ev, idOnly: idOnly}
			byID[key] = r
			rows = append(rows, r)
		} else if r.idOnly && !idOnly {
			r.ev, r.idOnly = ev, false
		}
		if len(r.findings) == 0 || r.findings[len(r.findings)-1] != n {
			r.findings = append(r.findings, n)
		}
	}
	for i, f := range fs {
		for _, ev := range f.Events {
			add(ev, false, i+1)
		}
		for _, id := range f.EventIDs {
			add(Event{EventID: id}, true, i+1)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.ev.Time.IsZero() != b.ev.Time.IsZero() {
			return !a.ev.Time.IsZero()
		}
		if !a.ev.Time.Equal(b.ev.Time) {
			return a.ev.Time.Before(b.ev.Time)
		}
		return a.ev.EventID < b.ev.EventID
	})
	out := make([]timelineRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out
}

// timelineRows is the Timeline of the workbook's findings, built once for
// the sheets that show it (it was built five times, 25,052 rows each for a
// hunt on the 500k tree).
func (w *writer) timelineRows() []timelineRow {
	if w.tl == nil {
		w.tl = timeline(w.findings)
	}
	return w.tl
}

func findingRefs(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = "#" + strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// timelineRows is the most rows the Timeline sheet may have (a variable
// so a test can lower it).
var timelineRows = maxSheetRows

// writeTimeline writes every event the findings rest on, in time order.
func (w *writer) writeTimeline(f *excelize.File, st *styles) error {
	rows := w.timelineRows()
	geo := false
	for _, r := range rows {
		if r.ev.Country != "" || r.ev.Network != "" {
			geo = true
			break
		}
	}
	heads := []string{"#", "Time (UTC)", "Principal (who)", "Source IP address"}
	ws := []float64{6, 25, 32, 16}
	wrap := []bool{false, false, true, true}
	if geo {
		heads = append(heads, "Country", "Network (ASN)")
		ws = append(ws, 14, 20)
		wrap = append(wrap, true, true)
	}
	heads = append(heads, "Action", "Target", "Result", "Finding", "Event ID")
	ws = append(ws, 30, 32, 14, 10, 38)
	wrap = append(wrap, true, true, true, true, true)
	desc := "Every event a finding rests on, once each, in time order (UTC). \"Finding\" gives the numbers on the Findings sheet; the event ID finds the event in CloudTrail and in the results files."
	brief := needsBrief(rows)
	if brief {
		desc += fmt.Sprintf(" PRINTED IN PART: only this heading prints; the %s sheet, before this one, prints this sheet's %s events shortened. "+
			"Every event, with its event ID, is on this sheet in the workbook.", sheetTimelineBrief, groupThousands(int64(len(rows))))
	}
	// A sheet holds at most maxSheetRows rows: past that the Timeline lists
	// the earliest events and says, on its last row, how many more there
	// are and where they are (no event is left out without a word).
	total := len(rows)
	if limit := timelineRows - 4; total > limit {
		rows = rows[:limit]
	}
	var g *grid
	if len(rows) > streamRowsAbove {
		// Title, description and headings above the events (the headings
		// repeat on every printed page), and the line saying what was
		// left off.
		n := 3 + len(rows)
		if total > len(rows) {
			n++
		}
		g = w.newStreamGrid(f, st, sheetTimeline, ws, wrap, n, 3, 3)
	} else {
		g = w.newGrid(f, st, sheetTimeline, ws, wrap)
	}
	g.title("Timeline", desc)
	g.header(heads...)
	head := g.row
	if brief && g.err == nil {
		g.err = setPrintArea(f, sheetTimeline, len(g.ws), head)
	}
	g.freezeHeader()
	if len(rows) == 0 {
		msg := "No finding of this report names the events it rests on, so the timeline is empty; the events are in the query sheets and the results files."
		if len(w.findings) == 0 {
			msg = "This report has no findings, so no event is listed."
		}
		g.span(msg, 0)
	}
	for i, r := range rows {
		ev := r.ev
		vals := []any{int64(i + 1), ev.Time, ev.Actor, ev.SourceIP}
		if geo {
			vals = append(vals, ev.Country, ev.Network)
		}
		action, result := ev.Action, ev.Result
		if r.idOnly {
			action = "(only the event ID is in this report: see the finding and its query sheet)"
		}
		vals = append(vals, action, ev.Target, result, findingRefs(r.findings), ev.EventID)
		if ev.Time.IsZero() && !r.idOnly {
			vals[1] = "(time unknown)"
		}
		g.line(vals...)
	}
	if total > len(rows) {
		g.span(fmt.Sprintf("This sheet holds the earliest %s of the %s events the findings rest on (a sheet has at most %s rows). The other %s are in the findings' query sheets and results files, and their event IDs in manifest.json.",
			groupThousands(int64(len(rows))), groupThousands(int64(total)), groupThousands(int64(timelineRows)), groupThousands(int64(total-len(rows)))), g.st.bold)
	}
	return g.done("write timeline sheet", head, head)
}

// sheetTimelineBrief is the printed form of a long Timeline: each run of
// consecutive events with the same principal, address, action, result and
// findings on one line, for the events of high and medium findings; the
// events that support only low or info findings, one line per finding.
const sheetTimelineBrief = "Timeline in brief"

// needsBrief reports whether the Timeline of these rows is too long to
// print, so the Timeline in brief prints in its place.
func needsBrief(rows []timelineRow) bool { return len(rows) > timelinePrintRows }

// briefLine is a set of Timeline rows (indexes, in time order) printed as
// one line.
type briefLine []int

func runKey(r timelineRow) string {
	e := r.ev
	return strings.Join([]string{strconv.FormatBool(r.idOnly), strconv.FormatBool(e.Time.IsZero()),
		e.Actor, e.SourceIP, e.Country, e.Network, e.Action, e.Result, findingRefs(r.findings)}, "\x00")
}

// briefLines groups the Timeline's rows: runs of alike consecutive events
// that support a finding of severity high or medium (serious reports
// whether finding n, numbered from 1, is one), in time order; then the
// other events, one line per finding they support first.
func briefLines(rows []timelineRow, serious func(n int) bool) (runs, minor []briefLine) {
	byFinding := map[int]int{}
	prev := -1 // the last row in runs
	for i, r := range rows {
		if len(r.findings) > 0 && !serious(r.findings[0]) {
			// Findings are numbered most serious first.
			k, ok := byFinding[r.findings[0]]
			if !ok {
				k = len(minor)
				byFinding[r.findings[0]] = k
				minor = append(minor, nil)
			}
			minor[k] = append(minor[k], i)
			continue
		}
		// Consecutive among these rows: a minor event between two alike
		// ones does not break their run.
		if n := len(runs); n > 0 && runKey(rows[prev]) == runKey(r) {
			runs[n-1] = append(runs[n-1], i)
		} else {
			runs = append(runs, briefLine{i})
		}
		prev = i
	}
	sort.SliceStable(minor, func(a, b int) bool { return rows[minor[a][0]].findings[0] < rows[minor[b][0]].findings[0] })
	return runs, minor
}

// alike is the one value every row of a line has, or how many distinct
// values the rows have ("3 addresses").
func alike(rows []timelineRow, line briefLine, many string, get func(timelineRow) string) string {
	seen := map[string]bool{}
	first := ""
	for _, i := range line {
		v := get(rows[i])
		if v == "" {
			continue
		}
		if len(seen) == 0 {
			first = v
		}
		seen[v] = true
	}
	if len(seen) <= 1 {
		return first
	}
	return groupThousands(int64(len(seen))) + " " + many
}

// targetsText names a line's targets: the one target, or how many distinct
// ones and the folder they all lie under.
func targetsText(rows []timelineRow, line briefLine) string {
	set := map[string]bool{}
	var ts []string
	for _, i := range line {
		if t := rows[i].ev.Target; t != "" && !set[t] {
			set[t] = true
			ts = append(ts, t)
		}
	}
	switch len(ts) {
	case 0:
		return ""
	case 1:
		return ts[0]
	}
	prefix := ts[0]
	for _, t := range ts[1:] {
		for !strings.HasPrefix(t, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.LastIndexAny(prefix, "/:"); i >= 2 {
		return fmt.Sprintf("%s distinct targets, all under %s", groupThousands(int64(len(ts))), prefix[:i+1])
	}
	return fmt.Sprintf("%s distinct targets", groupThousands(int64(len(ts))))
}

// writeTimelineBrief writes a long Timeline's lines (see briefLines).
func (w *writer) writeTimelineBrief(f *excelize.File, st *styles) error {
	rows := w.timelineRows()
	if !needsBrief(rows) {
		return nil
	}
	geo := false
	for _, r := range rows {
		geo = geo || r.ev.Country != "" || r.ev.Network != ""
	}
	heads := []string{"Timeline rows", "Time (UTC)", "Events", "Principal (who)", "Source IP address"}
	ws := []float64{13, 20, 8, 34, 16}
	wrap := []bool{true, true, false, true, true}
	if geo {
		heads = append(heads, "Country", "Network (ASN)")
		ws = append(ws, 12, 18)
		wrap = append(wrap, true, true)
	}
	heads = append(heads, "Action", "Target", "Result", "Finding")
	ws = append(ws, 30, 34, 14, 10)
	wrap = append(wrap, true, true, true, true)
	serious := func(n int) bool { return n >= 1 && n <= len(w.findings) && severityRank(w.findings[n-1].Severity) <= 1 }
	runs, minor := briefLines(rows, serious)
	// Rows: title, description, headings, the lines (or a line saying
	// there is none), and a blank row and a section title before the
	// minor ones.
	n := 3 + max(len(runs), 1)
	if len(minor) > 0 {
		n += 2 + len(minor)
	}
	var g *grid
	if n > streamRowsAbove {
		g = w.newStreamGrid(f, st, sheetTimelineBrief, ws, wrap, n, 3, 3)
	} else {
		g = w.newGrid(f, st, sheetTimelineBrief, ws, wrap)
	}
	g.title(sheetTimelineBrief, fmt.Sprintf("The Timeline's %s events, shortened for print, in time order (UTC). Each line is a run of consecutive events "+
		"by the same principal from the same address, with the same action, result and findings, for the events of high and medium findings; "+
		"then the events that support only low or info findings, one line per finding. The Timeline sheet lists every event, with its event ID, "+
		"at the rows given in the first column.", groupThousands(int64(len(rows)))))
	g.header(heads...)
	head := g.row
	g.freezeHeader()
	line := func(l briefLine) {
		a, b := rows[l[0]], rows[l[len(l)-1]]
		where := groupThousands(int64(l[0] + 1))
		when := stampSec(a.ev.Time)
		if len(l) > 1 {
			sep := " to "
			if l[len(l)-1]-l[0] != len(l)-1 {
				sep = " ... "
			}
			where += sep + groupThousands(int64(l[len(l)-1]+1))
			when += " to " + stampSec(b.ev.Time)
		}
		switch {
		case a.idOnly:
			when = "(only the event IDs are in this report)"
		case a.ev.Time.IsZero():
			when = "(time unknown)"
		}
		ev := func(get func(Event) string) func(timelineRow) string {
			return func(r timelineRow) string { return get(r.ev) }
		}
		vals := []any{where, when, int64(len(l)),
			alike(rows, l, "principals", ev(func(e Event) string { return e.Actor })),
			alike(rows, l, "addresses", ev(func(e Event) string { return e.SourceIP }))}
		if geo {
			vals = append(vals, alike(rows, l, "countries", ev(func(e Event) string { return e.Country })),
				alike(rows, l, "networks", ev(func(e Event) string { return e.Network })))
		}
		vals = append(vals, alike(rows, l, "kinds of action", ev(func(e Event) string { return e.Action })), targetsText(rows, l),
			alike(rows, l, "results", ev(func(e Event) string { return e.Result })),
			alike(rows, l, "findings", func(r timelineRow) string { return findingRefs(r.findings) }))
		g.line(vals...)
	}
	if len(runs) == 0 {
		g.span("No event supports a high or medium finding.", 0)
	}
	for _, l := range runs {
		line(l)
	}
	if len(minor) > 0 {
		g.section("Events that support only low or info findings: one line per finding")
	}
	for _, l := range minor {
		line(l)
	}
	return g.done("write timeline in brief", head, head)
}

// stampSec is a time to the second, "2026-11-05 02:10:33"; the column
// heading says UTC.
func stampSec(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
