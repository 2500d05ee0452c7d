package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

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
	rows := timeline(w.findings)
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
	// A sheet holds at most maxSheetRows rows: past that the Timeline lists
	// the earliest events and says, on its last row, how many more there
	// are and where they are (no event is left out without a word).
	total := len(rows)
	if limit := timelineRows - 4; total > limit {
		rows = rows[:limit]
	}
	var g *grid
	if len(rows) > streamRowsAbove {
		// Title, description and headings above the events; the headings
		// repeat on every printed page.
		g = w.newStreamGrid(f, st, sheetTimeline, ws, wrap, len(rows)+4, 3, 3)
	} else {
		g = w.newGrid(f, st, sheetTimeline, ws, wrap)
	}
	g.title("Timeline", "Every event a finding rests on, once each, in time order (UTC). \"Finding\" gives the numbers on the Findings sheet; the event ID finds the event in CloudTrail and in the results files.")
	g.header(heads...)
	head := g.row
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
