package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// severityRank orders findings: high first, unknown severities last.
func severityRank(s string) int {
	switch strings.ToLower(s) {
	case "high":
		return 0
	case "medium":
		return 1
	case "low":
		return 2
	case "info":
		return 3
	}
	return 4
}

// sortFindings orders findings by severity, then by when the act happened
// (findings without a time last in their severity), keeping the given order
// otherwise.
func sortFindings(fs []Finding) []Finding {
	out := append([]Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := severityRank(a.Severity), severityRank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Time.IsZero() != b.Time.IsZero() {
			return !a.Time.IsZero()
		}
		return a.Time.Before(b.Time)
	})
	return out
}

// incomplete is why the answer is not complete: the bundle's own list, or,
// when the investigation gave none, the failed queries and unreadable
// files this writer can see itself (a failure is never shown as COMPLETE).
func (w *writer) incomplete() []string {
	if len(w.b.Incomplete) > 0 {
		return w.b.Incomplete
	}
	var out []string
	for _, q := range w.b.Queries {
		if q.Err != "" {
			out = append(out, fmt.Sprintf("query %s failed: %s", q.Name, q.Err))
		}
	}
	if n := len(w.b.Coverage.Skipped); n > 0 {
		out = append(out, fmt.Sprintf("%s log %s could not be read (listed on the Coverage sheet)", groupThousands(int64(n)), plural(n, "file", "files")))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// statusLine is the one-line completeness status.
func (w *writer) statusLine() (string, bool) {
	inc := w.incomplete()
	if len(inc) == 0 {
		return "COMPLETE: every query succeeded and every log file selected for the window was read.", true
	}
	return "INCOMPLETE: " + strings.Join(inc, "; ") + ".", false
}

// stamp formats a time for a sentence.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "(not given)"
	}
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02 00:00 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// windowText says what the window is.
func (w *writer) windowText() string {
	return fmt.Sprintf("from %s to %s (the end is not included)", stamp(w.b.Since), stamp(w.b.Until))
}

// mainCaveat is the one caveat that matters most for reading the report.
func (w *writer) mainCaveat() string {
	if inc := w.incomplete(); len(inc) > 0 {
		return "The answer is incomplete (" + inc[0] + "); what is missing may hold activity this report does not show."
	}
	for _, b := range w.buckets() {
		if b.Counted && b.DataEvents == 0 {
			return fmt.Sprintf("No S3 data event for bucket %s appears in the window: either data event logging was off for it or nothing touched it: the absence of reads here is not evidence that nothing was read.", b.Name)
		}
	}
	if days := w.missingInWindow(); len(days) > 0 {
		n := len(days)
		return fmt.Sprintf("%d %s of the window (%s) %s no log file at all; activity on those days is not seen.", n, plural(n, "day", "days"), listOrNone(days, 5), plural(n, "has", "have"))
	}
	if len(w.b.Integrity) == 0 {
		return "The log files' integrity was not checked against CloudTrail's digest files, so this report cannot show that the logs are unaltered (see Limitations)."
	}
	return "CloudTrail records calls to AWS APIs only: what happened inside servers, and network traffic, is not in these logs (see Limitations)."
}

// summary is the Summary sheet's sentences: the bundle's own, or two to
// five derived from the findings and the window. The status and the main
// caveat follow them on the sheet, always.
func (w *writer) summary() []string {
	if len(w.b.Summary) > 0 {
		return w.b.Summary
	}
	b := w.b
	var out []string
	what := "investigation"
	if f := strings.Fields(b.Command); len(f) > 0 {
		what = f[0]
	}
	scope := ""
	if n := len(b.Coverage.Accounts); n > 0 {
		scope = fmt.Sprintf(" of %d AWS %s", n, plural(n, "account", "accounts"))
		if r := len(b.Coverage.Regions); r > 0 {
			scope += fmt.Sprintf(" in %d %s", r, plural(r, "region", "regions"))
		}
	}
	subject := w.subject()
	if subject != "" {
		subject = " about " + subject
	}
	out = append(out, fmt.Sprintf("This %s report%s examined the CloudTrail logs%s %s.", what, subject, scope, w.windowText()))
	counts := map[string]int{}
	for _, f := range w.findings {
		counts[strings.ToLower(f.Severity)]++
	}
	if len(w.findings) == 0 {
		out = append(out, "The investigation produced no findings: no event in the logs matched what it looks for (see Limitations for what the logs cannot show).")
	} else {
		var parts []string
		for _, s := range []string{"high", "medium", "low", "info"} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		out = append(out, fmt.Sprintf("It produced %d %s (%s severity); the most serious follow.", len(w.findings), plural(len(w.findings), "finding", "findings"), strings.Join(parts, ", ")))
		for i, f := range w.findings {
			if i == 3 || severityRank(f.Severity) > severityRank(w.findings[0].Severity) && i > 0 {
				break
			}
			out = append(out, strings.TrimSpace(f.Text))
		}
	}
	return out
}

// subject names what the command investigated, from its parameters.
func (w *writer) subject() string {
	var parts []string
	for _, p := range w.b.Params {
		v := strings.TrimSpace(p.Value)
		if v == "" {
			continue
		}
		switch p.Name {
		case "bucket", "buckets":
			parts = append(parts, "bucket "+strings.ReplaceAll(v, ",", ", "))
		case "arn", "principal":
			parts = append(parts, "principal "+strings.ReplaceAll(v, ",", ", "))
		case "access-key":
			parts = append(parts, "access key "+strings.ReplaceAll(v, ",", ", "))
		case "ip":
			parts = append(parts, "IP address "+strings.ReplaceAll(v, ",", ", "))
		case "pack":
			if strings.EqualFold(v, "all") {
				parts = append(parts, "every detection pack")
			} else {
				parts = append(parts, plural(len(strings.Split(v, ",")), "detection pack ", "detection packs ")+strings.ReplaceAll(v, ",", ", "))
			}
		}
	}
	return strings.Join(parts, "; ")
}

// writeSummary writes the first sheet: what happened, the status, the main
// caveat, then the case details and a coverage summary.
func (w *writer) writeSummary(f *excelize.File, st *styles) error {
	b := w.b
	g := w.newGrid(f, st, sheetSummary, []float64{30, 84}, []bool{false, true})
	g.span(styled{w.reportTitle(), st.title}, st.title)
	if g.err == nil {
		g.err = f.SetRowHeight(sheetSummary, g.row, 20*float64(wrappedLines(w.reportTitle(), 90)))
	}
	g.line(styled{w.marking(), st.bold})
	g.section("Summary")
	for _, s := range w.summary() {
		g.span(s, 0)
	}
	status, ok := w.statusLine()
	style := st.statusBad
	if ok {
		style = st.status
	}
	g.span(styled{"Status: " + status, style}, style)
	g.span(styled{"Main caveat: " + w.mainCaveat(), st.bold}, st.bold)
	g.section("Case")
	kv := func(k string, v any) { g.line(styled{k, st.bold}, v) }
	kv("Case", b.Case)
	kv("Examiner", b.Examiner)
	kv("Command", b.Command)
	if len(b.Invocation.CommandLine) > 0 {
		kv("Command line", strings.Join(b.Invocation.CommandLine, " "))
	}
	kv("Window (UTC)", fmt.Sprintf("%s to %s", stamp(b.Since), stamp(b.Until)))
	kv("Generated at (UTC)", b.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	kv("Tool", strings.TrimSpace(oneLine(b.ToolVersion)+" (commit "+oneLine(b.ToolCommit)+")"))
	kv("Engine", strings.TrimSpace(oneLine(b.Engine)+", "+oneLine(b.EngineVersion)))
	if b.Invocation.Host != "" || b.Invocation.User != "" {
		kv("Run by", strings.TrimSpace(b.Invocation.User+" on "+b.Invocation.Host))
	}
	kv("Marking", w.marking())
	g.section("Coverage")
	c := b.Coverage
	kv("Accounts in the logs", fmt.Sprintf("%d: %s", len(c.Accounts), listOrNone(c.Accounts, 8)))
	kv("Regions in the logs", fmt.Sprintf("%d: %s", len(c.Regions), listOrNone(c.Regions, 8)))
	kv("Days with logs", fmt.Sprintf("%d (days with no logs: %d in the window; %d in the window and any baseline before it together)", len(c.Days), len(w.missingInWindow()), len(c.MissingDays)))
	kv("Log files read", fmt.Sprintf("%s (unreadable: %s; not needed or outside the window: %s)",
		groupThousands(int64(c.FilesRead)), groupThousands(int64(len(c.Skipped))), groupThousands(int64(c.FilesPruned))))
	kv("Events loaded", fmt.Sprintf("%s (duplicate deliveries among them, counted once: %s)", groupThousands(c.Events), groupThousands(c.DuplicateEvents)))
	kv("Log integrity", w.integrityText())
	g.line()
	timelineText := "Timeline lists every event the findings rest on, in time order; "
	if needsBrief(w.timelineRows()) {
		timelineText = "Timeline lists every event the findings rest on, in time order (printed shortened, as the Timeline in brief); "
	}
	g.span("Where to look: Findings lists every finding with its severity; "+timelineText+
		"Limitations says what this report cannot see; Glossary explains the terms; Cover lists every parameter; Evidence files holds the SHA-256 of every file of the bundle. Details are on the Coverage sheet.", 0)
	return g.done("write summary sheet", 0, 0)
}

// integrityText is the log-integrity status in one line.
func (w *writer) integrityText() string {
	if len(w.b.Integrity) == 0 {
		return "log integrity not checked: no digest files were validated for this report (see Limitations)"
	}
	return strings.Join(w.b.Integrity, "; ")
}

func listOrNone(xs []string, n int) string {
	if len(xs) == 0 {
		return "none"
	}
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(" and %d more (see Coverage)", len(xs)-n)
}

// missingInWindow are the days without logs inside the window itself
// (Coverage's list also covers the days read before it, for a baseline).
func (w *writer) missingInWindow() []string {
	var out []string
	for _, d := range w.b.Coverage.MissingDays {
		t, err := time.Parse("2006/01/02", d)
		if err != nil {
			out = append(out, d)
			continue
		}
		if !t.Add(24*time.Hour).After(w.b.Since) || !t.Before(w.b.Until) && !w.b.Until.IsZero() {
			continue
		}
		out = append(out, d)
	}
	return out
}
