package sql_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/sql"
)

// orgPairs is an organization of n accounts, each logging in the same
// regions.
func orgPairs(n int, regions []string) []sql.Pair {
	var out []sql.Pair
	for i := 0; i < n; i++ {
		for _, r := range regions {
			out = append(out, sql.Pair{Account: fmt.Sprintf("%012d", 300000000000+i*7919), Region: r})
		}
	}
	return out
}

var seventeen = []string{"af-south-1", "ap-east-1", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-2"}

// checkShards holds shards to the contract: each within the budget, no
// folder in two scans, every folder in one.
func checkShards(t *testing.T, pairs []sql.Pair, shards [][2][]string, days, budget int64) {
	t.Helper()
	want := map[sql.Pair]bool{}
	for _, p := range pairs {
		want[p] = true
	}
	got := map[sql.Pair]int{}
	for i, s := range shards {
		if n := int64(len(s[0])) * int64(len(s[1])) * days; n > budget || n == 0 {
			t.Errorf("scan %d projects %d partitions, budget %d", i, n, budget)
		}
		for _, a := range s[0] {
			for _, r := range s[1] {
				got[sql.Pair{Account: a, Region: r}]++
			}
		}
	}
	for p := range want {
		if got[p] != 1 {
			t.Errorf("folder %v is in %d scans, want 1", p, got[p])
		}
	}
}

func TestShardBudgetEdges(t *testing.T) {
	one := []string{"us-east-1"}
	for _, c := range []struct {
		name         string
		pairs        []sql.Pair
		days, budget int64
		scans        int
	}{
		{"exactly the budget is one scan", orgPairs(10, one), 10, 100, 1},
		{"one partition over is two", orgPairs(10, one), 10, 99, 2},
		{"one account", orgPairs(1, seventeen), 46, 50_000, 1},
		{"2,000 accounts, 17 regions, 46 days", orgPairs(2000, seventeen), 46, 50_000, 32},
		{"one account, many regions: region chunks", orgPairs(1, seventeen), 10, 50, 4},
		{"a day per scan", orgPairs(3, one), 7, 7, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			shards, err := sql.Shard(c.pairs, c.days, c.budget)
			if err != nil {
				t.Fatal(err)
			}
			if len(shards) != c.scans {
				t.Errorf("%d scans, want %d", len(shards), c.scans)
			}
			checkShards(t, c.pairs, shards, c.days, c.budget)
		})
	}
}

func TestShardRefuses(t *testing.T) {
	var se *sql.ScopeError
	if _, err := sql.Shard(nil, 10, 100); !errors.As(err, &se) || !strings.Contains(err.Error(), "no account/region folder") {
		t.Errorf("empty listing: %v", err)
	}
	if _, err := sql.Shard(orgPairs(1, []string{"us-east-1"}), 101, 100); !errors.As(err, &se) || !strings.Contains(err.Error(), "101 partitions, more than the 100") {
		t.Errorf("one folder over more days than the budget: %v", err)
	}
}

// Accounts with different regions: exact groups while few, crossed when
// the groups would make too many scans; always disjoint and complete.
func TestShardRandomLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for trial := 0; trial < 40; trial++ {
		var pairs []sql.Pair
		n := 1 + rng.IntN(300)
		for i := 0; i < n; i++ {
			for _, r := range seventeen {
				if rng.IntN(3) == 0 || r == "us-east-1" {
					pairs = append(pairs, sql.Pair{Account: fmt.Sprintf("%012d", i), Region: r})
				}
			}
		}
		days := int64(1 + rng.IntN(60))
		budget := days * int64(1+rng.IntN(400))
		shards, err := sql.Shard(pairs, days, budget)
		if err != nil {
			t.Fatal(err)
		}
		checkShards(t, pairs, shards, days, budget)
	}
}

func TestRenderScoped(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	q := cat.MustGet("exfil/read_partitions")
	vals := map[string]string{"buckets": "payroll-exports", "since": "2026-10-02T00:00:00Z", "until": "2026-11-01T00:00:00Z",
		"day_from": "2026/10/01", "day_to": "2026/11/02"}
	tbl := map[string]string{sql.TableManagement: "ct.management", sql.TableData: "ct.management"}
	plain, err := q.Render(tbl, vals)
	if err != nil {
		t.Fatal(err)
	}
	// Unscoped rendering (the local engine's) is what it was.
	if again, _ := q.RenderScoped(tbl, vals, nil); again.SQL != plain.SQL || len(again.Args) != len(plain.Args) || len(again.Scans) != 0 {
		t.Errorf("RenderScoped without scopes differs from Render")
	}
	pairs := orgPairs(2000, seventeen)
	r, err := q.RenderScoped(tbl, vals, map[string]sql.Scope{sql.TableData: {Pairs: pairs, Budget: 50_000}})
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 × 17 × 33 days = 1,122,000 partitions: 23 scans of at most 50,000.
	if len(r.Scans) != 23 {
		t.Errorf("%d scans, want 23", len(r.Scans))
	}
	accounts := 0
	for _, s := range r.Scans {
		accounts += len(s.Accounts)
		if s.Partitions() > 50_000 || s.DayFrom != "2026/10/01" || s.DayTo != "2026/11/02" || s.Table != `"ct"."management"` {
			t.Errorf("scan %+v", s)
		}
	}
	if accounts != 2000 {
		t.Errorf("scans name %d accounts, want each of 2,000 once", accounts)
	}
	if got := strings.Count(r.SQL, "?"); got != len(r.Args) || len(r.Args) != len(r.ArgNames) {
		t.Errorf("%d placeholders, %d args, %d names", got, len(r.Args), len(r.ArgNames))
	}
	if strings.Count(r.SQL, "UNION ALL") != 22 || !strings.Contains(r.SQL, `FROM (SELECT * FROM "ct"."management" WHERE account IN (?, ?`) {
		t.Errorf("scoped text:\n%.600s", r.SQL)
	}
	for _, a := range r.Args {
		if s, ok := a.(string); ok && strings.Contains(r.SQL, s) {
			t.Errorf("value %q is in the SQL text", s)
		}
	}
	if r.ArgNames[0] != "data scan 1/23 account[1]" {
		t.Errorf("first argument named %q", r.ArgNames[0])
	}
	// The management role is not scoped here: it would be read whole.
	if _, err := q.RenderScoped(tbl, vals, map[string]sql.Scope{sql.TableData: {Budget: 50_000, Where: "s3://org-trail/AWSLogs/"}}); err == nil ||
		!strings.Contains(err.Error(), "exfil/read_partitions cannot be scoped") || !strings.Contains(err.Error(), "no account/region folder") {
		t.Errorf("empty scope: %v", err)
	}
}

// TestScopedCatalogAgainstTrinoGrammar: every query, scoped as the Athena
// engine sends it for a 2,000-account organization, parses with Trino's
// grammar with `?` only in WHERE, within Athena's parameter and text
// limits, and no scan over the budget.
func TestScopedCatalogAgainstTrinoGrammar(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	fns := trinoFunctions(t)
	vals := sampleValues("org")
	pairs := orgPairs(2000, seventeen)
	var ins []trinoInput
	var labels []string
	for _, tname := range []string{"one table", "two tables"} {
		scopes := map[string]sql.Scope{sql.TableManagement: {Pairs: pairs, Budget: 50_000}, sql.TableData: {Pairs: pairs[:17*300], Budget: 50_000}}
		for _, q := range cat.List() {
			v := map[string]string{}
			for _, p := range q.Params {
				v[p.Name] = vals[p.Type]
			}
			// A 46-day span, as exfil's window and baseline read.
			for _, p := range q.Params {
				if p.Type == "day" {
					v[p.Name] = "2026/10/01"
					if strings.HasSuffix(p.Name, "_to") {
						v[p.Name] = "2026/11/15"
					}
				}
			}
			r, err := q.RenderScoped(athenaTables[tname], v, scopes)
			if err != nil {
				t.Fatalf("%s: %v", q.Name, err)
			}
			for _, s := range r.Scans {
				if s.Partitions() > 50_000 {
					t.Errorf("%s: a scan projects %d partitions", q.Name, s.Partitions())
				}
			}
			if len(r.Scans) == 0 {
				t.Errorf("%s: no scan scoped", q.Name)
			}
			ins = append(ins, trinoInput{Name: q.Name, SQL: r.SQL, Params: literals(r.Args)})
			labels = append(labels, fmt.Sprintf("%s (%s, scoped, %d scans)", q.Name, tname, len(r.Scans)))
		}
	}
	res := runTrino(t, ins)
	for i, r := range res {
		for _, b := range judge(ins[i], r, fns) {
			t.Errorf("%s: %s", labels[i], b)
		}
	}
}

// A scoped query that cannot fit is the user's to narrow: a UsageError
// (exit code 2) naming the query and the count, before anything runs.
func TestRenderScopedRefusesWhatCannotFit(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	q := cat.MustGet("exfil/read_partitions")
	vals := map[string]string{"buckets": "b-1", "since": "2000-01-01T00:00:00Z", "until": "2026-11-01T00:00:00Z",
		"day_from": "1999/12/31", "day_to": "2026/11/02"}
	tbl := map[string]string{sql.TableManagement: "ct.m", sql.TableData: "ct.m"}
	_, err = q.RenderScoped(tbl, vals, map[string]sql.Scope{sql.TableData: {Pairs: orgPairs(1, []string{"us-east-1"}), Budget: 9_000}})
	var ue *sql.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "query exfil/read_partitions cannot be scoped") || !strings.Contains(err.Error(), "9804 days is 9804 partitions, more than the 9000") {
		t.Errorf("got %v", err)
	}
}
