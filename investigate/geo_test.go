package investigate

import (
	"fmt"
	"testing"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
)

func TestEnrichAddsColumnsAfterEveryAddress(t *testing.T) {
	known := map[string]GeoInfo{
		"198.51.100.23": {CountryCode: "NL", CountryName: "Netherlands", City: "Amsterdam", ASN: 64500, ASOrg: "Example Hosting"},
		"192.0.2.45":    {CountryCode: "US", ASN: 64501},
	}
	var asked []string
	lookup := func(ip string) (GeoInfo, bool) {
		asked = append(asked, ip)
		g, ok := known[ip]
		return g, ok
	}
	s := func(n string) engine.Column { return engine.Column{Name: n, Type: engine.String} }
	runs := []reports.QueryRun{
		{Name: "a", Columns: []engine.Column{s("principal"), s("source_ip"), {Name: "events", Type: engine.Integer}},
			Rows: [][]any{
				{"alice", "198.51.100.23", int64(3)},
				{"bob", "AWS Internal", int64(1)},
				{"eve", `=HYPERLINK("http://198.51.100.23","x")`, int64(1)},
				{"carol", nil, int64(1)},
				{"dave", "192.0.2.45", int64(2)},
				{"frank", "198.51.100.23", int64(5)},
			}},
		{Name: "b", Columns: []engine.Column{s("ip"), s("other"), s("source_ip")}, Rows: [][]any{{"192.0.2.45", "x", "203.0.113.1"}}},
		{Name: "c", Columns: []engine.Column{s("principal")}, Rows: [][]any{{"alice"}}},
	}
	Enrich(runs, lookup)
	Enrich(runs, lookup) // idempotent
	if got := fmt.Sprint(colNames(runs[0].Columns)); got != "[principal source_ip source_ip_country source_ip_city source_ip_asn events]" {
		t.Errorf("columns %s", got)
	}
	want := [][]any{
		{"alice", "198.51.100.23", "NL Netherlands", "Amsterdam", "AS64500 Example Hosting", int64(3)},
		{"bob", "AWS Internal", "", "", "", int64(1)},
		{"eve", `=HYPERLINK("http://198.51.100.23","x")`, "", "", "", int64(1)},
		{"carol", nil, "", "", "", int64(1)},
		{"dave", "192.0.2.45", "US", "", "AS64501", int64(2)},
		{"frank", "198.51.100.23", "NL Netherlands", "Amsterdam", "AS64500 Example Hosting", int64(5)},
	}
	if fmt.Sprint(runs[0].Rows) != fmt.Sprint(want) {
		t.Errorf("rows\n%v\nwant\n%v", runs[0].Rows, want)
	}
	if got := fmt.Sprint(colNames(runs[1].Columns)); got != "[ip ip_country ip_city ip_asn other source_ip source_ip_country source_ip_city source_ip_asn]" {
		t.Errorf("columns %s", got)
	}
	if got := fmt.Sprint(runs[1].Rows); got != "[[192.0.2.45 US  AS64501 x 203.0.113.1   ]]" {
		t.Errorf("rows %q", got)
	}
	if len(runs[2].Columns) != 1 {
		t.Errorf("a run without addresses changed: %v", colNames(runs[2].Columns))
	}
	for _, r := range runs {
		for _, row := range r.Rows {
			if len(row) != len(r.Columns) {
				t.Errorf("%s: row of %d cells for %d columns", r.Name, len(row), len(r.Columns))
			}
		}
	}
	// Each distinct value is looked up once, whatever it is.
	seen := map[string]int{}
	for _, a := range asked {
		seen[a]++
	}
	for a, n := range seen {
		if n != 1 {
			t.Errorf("%q looked up %d times", a, n)
		}
	}
}
