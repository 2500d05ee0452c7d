package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
)

// TestPrintJSONLayout: --format json, written a finding and a row at a
// time, is byte for byte what json.MarshalIndent writes for the whole
// document, with empty lists and a failed query too.
func TestPrintJSONLayout(t *testing.T) {
	at := time.Date(2026, 11, 5, 9, 45, 0, 123, time.UTC)
	r := run{command: "hunt", window: investigate.Window{Since: at.Add(-time.Hour), Until: at}}
	cols := []engine.Column{{Name: "event_id"}, {Name: "event_time"}, {Name: "events"}}
	for _, out := range []*investigate.Outcome{
		{},
		{
			Findings: []reports.Finding{{Severity: "high", Query: "hunt/a", Text: "one <b> & \"two\"", EventIDs: []string{"e1"}}, {Severity: "info", Text: "three"}},
			Queries: []reports.QueryRun{
				{Name: "hunt/a", Columns: cols, Rows: [][]any{{"e1", at, int64(2)}, {nil, at, int64(0)}}, Stats: engine.Stats{State: "SUCCEEDED"}},
				{Name: "hunt/b", Columns: cols, Rows: [][]any{}, Stats: engine.Stats{State: "FAILED"}, Err: "it needed more memory"},
			},
		},
	} {
		var got bytes.Buffer
		g := &globals{stdout: &got}
		if err := g.printJSON(r, out, nil); err != nil {
			t.Fatal(err)
		}
		type query struct {
			Name    string           `json:"name"`
			State   string           `json:"state"`
			Error   string           `json:"error,omitempty"`
			Columns []string         `json:"columns"`
			Rows    []map[string]any `json:"rows"`
		}
		doc := struct {
			Command    string            `json:"command"`
			Since      string            `json:"since"`
			Until      string            `json:"until"`
			Complete   bool              `json:"complete"`
			Incomplete []string          `json:"incomplete"`
			Findings   []reports.Finding `json:"findings"`
			Queries    []query           `json:"queries"`
		}{r.command, investigate.Stamp(r.window.Since), investigate.Stamp(r.window.Until), true, []string{},
			append([]reports.Finding{}, out.Findings...), []query{}}
		for _, q := range out.Queries {
			jq := query{Name: q.Name, State: q.Stats.State, Error: q.Err, Rows: []map[string]any{}}
			for _, c := range q.Columns {
				jq.Columns = append(jq.Columns, c.Name)
			}
			for _, row := range q.Rows {
				m := map[string]any{}
				for i, c := range q.Columns {
					v := row[i]
					if tm, ok := v.(time.Time); ok {
						v = tm.Format(time.RFC3339Nano)
					}
					m[c.Name] = v
				}
				jq.Rows = append(jq.Rows, m)
			}
			doc.Queries = append(doc.Queries, jq)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("printJSON wrote\n%s\nencoding/json writes\n%s", got.String(), want.String())
		}
	}
}
