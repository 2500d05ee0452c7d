package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// sheetActivity charts the Timeline's events over time by kind of action.
const sheetActivity = "Activity"

// activityKinds are the kinds of action the Activity chart stacks.
var activityKinds = []string{"Read or list", "Create or change", "Delete or remove", "Failed attempts"}

// actionKind classes an event by the API call named in brackets at the end
// of its Action ("read object (GetObject)"), or by its words.
func actionKind(ev Event) int {
	if r := strings.ToLower(strings.TrimSpace(ev.Result)); r != "" && r != "succeeded" && r != "success" {
		return 3
	}
	api := ev.Action
	if i := strings.LastIndex(api, "("); i >= 0 {
		api = strings.TrimSuffix(api[i+1:], ")")
	}
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup", "Select", "Search", "Scan", "Query", "BatchGet"} {
		if strings.HasPrefix(api, p) {
			return 0
		}
	}
	for _, p := range []string{"Delete", "Remove", "Detach", "Revoke", "Terminate", "Disable", "Stop", "Deregister", "Leave"} {
		if strings.HasPrefix(api, p) {
			return 2
		}
	}
	a := strings.ToLower(ev.Action)
	switch {
	case strings.HasPrefix(a, "read") || strings.HasPrefix(a, "list"):
		return 0
	case strings.HasPrefix(a, "delet") || strings.HasPrefix(a, "remov"):
		return 2
	}
	return 1
}

// activityBuckets counts the Timeline's timed events per hour (a window
// of up to three days) or per day, by kind.
func activityBuckets(rows []timelineRow) (labels []string, counts [][]int64, unit string) {
	var first, last time.Time
	for _, r := range rows {
		if t := r.ev.Time; !t.IsZero() {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	if first.IsZero() {
		return nil, nil, ""
	}
	step, layout := 24*time.Hour, "2006-01-02"
	unit = "day"
	if last.Sub(first) <= 72*time.Hour {
		step, layout, unit = time.Hour, "2006-01-02 15:00", "hour"
	}
	start := first.UTC().Truncate(step)
	n := int(last.UTC().Sub(start)/step) + 1
	if n > 400 { // a sparse multi-year list: days with events only
		n = 0
	}
	index := map[string]int{}
	for i := 0; i < n; i++ {
		l := start.Add(time.Duration(i) * step).Format(layout)
		index[l] = i
		labels = append(labels, l)
		counts = append(counts, make([]int64, len(activityKinds)))
	}
	for _, r := range rows {
		if r.ev.Time.IsZero() {
			continue
		}
		l := r.ev.Time.UTC().Truncate(step).Format(layout)
		i, ok := index[l]
		if !ok {
			i = len(labels)
			index[l] = i
			labels = append(labels, l)
			counts = append(counts, make([]int64, len(activityKinds)))
		}
		counts[i][actionKind(r.ev)]++
	}
	return labels, counts, unit
}

// writeActivity writes the events the findings rest on per hour or day by
// kind of action, with a stacked chart over the table: what the actor did,
// and when.
func (w *writer) writeActivity(f *excelize.File, st *styles) error {
	labels, counts, unit := activityBuckets(w.timelineRows())
	if len(labels) == 0 {
		return nil
	}
	g := w.newGrid(f, st, sheetActivity, []float64{22, 16, 18, 18, 16}, []bool{false, true, true, true, true})
	subject := w.subject()
	if subject == "" {
		subject = "the findings"
	}
	title := fmt.Sprintf("Activity over time, by kind of action — %s", subject)
	g.title("Activity over time", fmt.Sprintf("The events on the Timeline (what the findings rest on) per %s (UTC), by kind of action. "+
		"\"Failed attempts\" are calls AWS refused (an error code); the others succeeded.", unit))
	// The chart first, where a reader looks; the table it draws below.
	chartRow := g.row + 1
	g.row += 22
	g.header(append([]string{strings.ToUpper(unit[:1]) + unit[1:] + " (UTC)"}, activityKinds...)...)
	head := g.row
	for i, l := range labels {
		vals := []any{l}
		for _, c := range counts[i] {
			vals = append(vals, c)
		}
		g.line(vals...)
	}
	last := g.row
	if g.err == nil && len(labels) > 0 {
		var series []excelize.ChartSeries
		for k := range activityKinds {
			col, _ := excelize.ColumnNumberToName(k + 2)
			ref := sheetRef(sheetActivity)
			series = append(series, excelize.ChartSeries{
				Name:       fmt.Sprintf("%s!$%s$%d", ref, col, head),
				Categories: fmt.Sprintf("%s!$A$%d:$A$%d", ref, head+1, last),
				Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", ref, col, head+1, col, last),
			})
		}
		axisFont := *font(bodyPt, false, "000000")
		g.err = f.AddChart(sheetActivity, "A"+fmt.Sprint(chartRow), &excelize.Chart{
			Type:   excelize.ColStacked,
			Series: series,
			Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title, Font: font(12, true, "000000")}}},
			Legend: excelize.ChartLegend{Position: "bottom"},
			XAxis:  excelize.ChartAxis{Font: axisFont, Alignment: excelize.Alignment{TextRotation: -45}},
			YAxis: excelize.ChartAxis{Font: axisFont, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "#,##0"},
				Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Events", Font: &axisFont}}}},
			Dimension: excelize.ChartDimension{Width: 620, Height: 400},
		})
	}
	return g.done("write activity sheet", head, head)
}

// hasActivity says whether the Activity sheet has anything to draw.
func hasActivity(fs []Finding) bool {
	for _, f := range fs {
		for _, e := range f.Events {
			if !e.Time.IsZero() {
				return true
			}
		}
	}
	return false
}
