package investigate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql/sigma"
)

// A rule that matches more events than its query lists says how many it
// matched and how many are not listed; the pack's totals count them all.
func TestSigmaRuleOverItsListCap(t *testing.T) {
	q := &sigma.Query{Name: "sigma/noisy", Severity: "low",
		Rule: &sigma.Rule{ID: "11111111-2222-3333-4444-555555555555", Title: "Noisy rule", Level: "low", Bundled: true}}
	cols := []engine.Column{{Name: "event_time"}, {Name: "principal"}, {Name: "event_source"}, {Name: "event_name"},
		{Name: "source_ip"}, {Name: "error_code"}, {Name: "event_id"}, {Name: "matched_events"}}
	run := reports.QueryRun{Name: q.Name, Columns: cols}
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		run.Rows = append(run.Rows, []any{at.Add(time.Duration(i) * time.Minute), "arn:aws:iam::111122223333:user/a",
			"sts.amazonaws.com", "AssumeRole", "198.51.100.7", nil, fmt.Sprintf("id-%d", i), int64(202641)})
	}
	hits := sigmaFindings(q, run)
	var capped *reports.Finding
	for i := range hits {
		if strings.Contains(hits[i].Finding.Text, "counted here but not listed") {
			capped = &hits[i].Finding
		}
	}
	if capped == nil || !strings.Contains(capped.Text, "matched 202,641 events") || !strings.Contains(capped.Text, "The other 202,638 are counted") {
		t.Fatalf("no statement of the events matched but not listed: %+v", hits)
	}
	c := countSigma([]reports.QueryRun{run})
	if c.events+c.unlisted != 202641 || c.rulesCapped != 1 {
		t.Errorf("pack totals: listed %d + unlisted %d (rules capped %d), want 202,641 in all", c.events, c.unlisted, c.rulesCapped)
	}
	// Under the cap nothing extra is said.
	for i := range run.Rows {
		run.Rows[i][7] = int64(3)
	}
	for _, h := range sigmaFindings(q, run) {
		if strings.Contains(h.Finding.Text, "not listed") {
			t.Errorf("a rule under the cap says events are not listed: %s", h.Finding.Text)
		}
	}
}
