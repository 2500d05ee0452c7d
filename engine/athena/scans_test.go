package athena

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/engine"
)

// A scoped scan as sql.RenderScoped writes it, after placeholders in a
// literal and a comment that are not placeholders.
const scopedSQL = `-- what is read? one scan
SELECT '?' AS q, count(*) FROM (SELECT * FROM "ctathena"."management" WHERE account IN (?, ?) AND region IN (?) AND day BETWEEN ? AND ?
  UNION ALL SELECT * FROM "ctathena"."management" WHERE account IN (?) AND region IN (?, ?) AND day BETWEEN ? AND ?)
WHERE eventname = ? /* a ? here */ AND "odd?name" = 'it''s?'`

func TestParseScans(t *testing.T) {
	args := []any{"111111111111", "222222222222", "us-east-1", "2026/11/01", "2026/11/03",
		"333333333333", "eu-west-1", "us-east-1", "2026/11/01", "2026/11/03", "GetObject"}
	got := ParseScans(scopedSQL, args)
	want := []Scan{
		{Table: tbl, Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1"}, DayFrom: "2026/11/01", DayTo: "2026/11/03"},
		{Table: tbl, Accounts: []string{"333333333333"}, Regions: []string{"eu-west-1", "us-east-1"}, DayFrom: "2026/11/01", DayTo: "2026/11/03"},
	}
	if len(got) != 2 {
		t.Fatalf("scans %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Table != w.Table || !slices.Equal(g.Accounts, w.Accounts) || !slices.Equal(g.Regions, w.Regions) || g.DayFrom != w.DayFrom || g.DayTo != w.DayTo {
			t.Errorf("scan %d: %+v, want %+v", i, g, w)
		}
	}
	if p := got[0].Partitions(); p != 6 {
		t.Errorf("first scan projects %d, want 2 × 1 × 3", p)
	}
	if n := len(placeholders(scopedSQL)); n != len(args) {
		t.Errorf("%d placeholders, want %d", n, len(args))
	}
}

// TestEstimateScopedScans: a scoped query is priced over the folders its
// scans name only, and its projection is theirs.
func TestEstimateScopedScans(t *testing.T) {
	est, _ := memEstimator(t)
	q := engine.Query{Name: "q", SQL: `SELECT 1 FROM (SELECT * FROM "ctathena"."management" WHERE account IN (?) AND region IN (?) AND day BETWEEN ? AND ?) WHERE day BETWEEN ? AND ?`,
		Args: []any{"111111111111", "us-east-1", "2026/11/01", "2026/11/03", "2026/11/01", "2026/11/03"}}
	e, err := est.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	// 111111111111/us-east-1 holds a (300 MB) and b (200 MB); c (eu-west-1)
	// and d (222222222222) are not read.
	if e.Bytes != (300+200)<<20 || e.Projected != 3 || e.MaxScan != 3 || e.Scans != 1 {
		t.Errorf("estimate %+v", e)
	}
}

// TestRunRefusesAScanOverTheLimit: a table read whole whose one scan would
// project more than MaxScanPartitions never starts.
func TestRunRefusesAScanOverTheLimit(t *testing.T) {
	est, _ := memEstimator(t)
	f := newFake()
	o := fastOptions()
	o.Estimator = est
	o.MaxScanPartitions = 11 // 2 accounts × 2 regions × 3 days = 12
	e := New(f, f, o)
	_, err := e.Run(context.Background(), engine.Query{Name: "hunt/q", SQL: "SELECT 1 FROM " + tbl + " WHERE day BETWEEN ? AND ?", Args: []any{"2026/11/01", "2026/11/03"}})
	if err == nil || !strings.Contains(err.Error(), "hunt/q: not started: one of its table scans would project 12 partitions, more than the 11") {
		t.Errorf("got %v", err)
	}
	if n := f.Calls("StartQueryExecution"); n != 0 {
		t.Errorf("%d queries started", n)
	}
}
