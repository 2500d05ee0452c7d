package sql

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Partition scoping (Athena). A table partitioned by account, region and
// day reads, for each scan of it, every partition its constraints project:
// accounts × regions × days. With the account column projected as
// `injected` (tables/layout.go) a scan must name its accounts, and the
// projection is exactly what it names. RenderScoped replaces each table
// reference by scans of the partition folders that exist, each within a
// per-scan budget of partitions: one scan when it fits, else a UNION ALL of
// disjoint scans, so every aggregate over the reference is unchanged and
// no partition is read twice.

// Pair is one account/region partition folder.
type Pair struct{ Account, Region string }

// Scope is what one table role of a query may read.
type Scope struct {
	// Pairs are the account/region folders that exist (from the S3
	// listing). Empty is refused: a query over nothing would read as "no
	// findings".
	Pairs []Pair
	// Budget is the most partitions one scan may project (see
	// tables.ScanBudget); it must be positive.
	Budget int64
	// Where names the table's location for messages ("s3://bucket/AWSLogs/o-…/").
	Where string
}

// Scan is one scan of a table as rendered: the product of its accounts,
// regions and days is what it projects.
type Scan struct {
	Role, Table       string
	Accounts, Regions []string
	DayFrom, DayTo    string
}

// Partitions is how many partitions the scan projects.
func (s Scan) Partitions() int64 {
	return int64(len(s.Accounts)) * int64(len(s.Regions)) * int64(DaysIn(s.DayFrom, s.DayTo))
}

// DaysIn counts the days from..to (YYYY/MM/DD, inclusive); 0 if either is
// not a day or to is before from.
func DaysIn(from, to string) int {
	a, err1 := time.Parse(DayLayout, from)
	b, err2 := time.Parse(DayLayout, to)
	if err1 != nil || err2 != nil || b.Before(a) {
		return 0
	}
	return int(b.Sub(a).Hours()/24) + 1
}

// ScopeError is a table reference that cannot be scoped: no folder to read,
// or a single partition folder over more days than one scan may project.
type ScopeError struct{ Msg string }

func (e *ScopeError) Error() string { return e.Msg }

// Shard groups pairs into disjoint scans of at most budget partitions over
// days days each. Accounts with the same set of regions share scans (an
// organization's accounts usually all log in the same regions), so a scan
// projects no folder that does not exist; when that would make more than
// maxExactScans scans, the accounts and regions are crossed instead (a
// missing folder costs one empty listing, not a wrong answer). Each scan
// is [accounts, regions], sorted.
func Shard(pairs []Pair, days, budget int64) ([][2][]string, error) {
	if budget <= 0 {
		return nil, fmt.Errorf("scan budget %d: must be positive", budget)
	}
	if len(pairs) == 0 {
		return nil, &ScopeError{Msg: "no account/region folder to read"}
	}
	if days <= 0 {
		return nil, fmt.Errorf("no day to read")
	}
	if days > budget {
		return nil, &ScopeError{Msg: fmt.Sprintf("one account in one region over %d days is %d partitions, more than the %d one scan may project", days, days, budget)}
	}
	regionsOf := map[string][]string{}
	for _, p := range pairs {
		regionsOf[p.Account] = append(regionsOf[p.Account], p.Region)
	}
	groups := map[string][]string{} // region set -> accounts
	var keys []string
	allRegions := map[string]bool{}
	for a, rs := range regionsOf {
		slices.Sort(rs)
		rs = slices.Compact(rs)
		for _, r := range rs {
			allRegions[r] = true
		}
		k := strings.Join(rs, ",")
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], a)
	}
	slices.Sort(keys)
	var out [][2][]string
	for _, k := range keys {
		out = append(out, shardProduct(groups[k], strings.Split(k, ","), days, budget)...)
	}
	if len(out) > maxExactScans {
		var accts, regs []string
		for a := range regionsOf {
			accts = append(accts, a)
		}
		for r := range allRegions {
			regs = append(regs, r)
		}
		if crossed := shardProduct(accts, regs, days, budget); len(crossed) < len(out) {
			out = crossed
		}
	}
	return out, nil
}

// maxExactScans bounds the scans of one reference before Shard crosses
// accounts and regions: each scan repeats its region list and day bounds
// in the text and the parameters.
const maxExactScans = 64

// shardProduct splits accounts × regions × days into scans of at most
// budget partitions: whole region lists when one account's regions fit,
// else region chunks of one account each.
func shardProduct(accounts, regions []string, days, budget int64) [][2][]string {
	accounts = slices.Clone(accounts)
	regions = slices.Clone(regions)
	slices.Sort(accounts)
	slices.Sort(regions)
	var out [][2][]string
	perAccount := int64(len(regions)) * days
	if perAccount <= budget {
		k := int(budget / perAccount)
		for i := 0; i < len(accounts); i += k {
			out = append(out, [2][]string{accounts[i:min(i+k, len(accounts))], regions})
		}
		return out
	}
	rk := int(budget / days)
	for _, a := range accounts {
		for j := 0; j < len(regions); j += rk {
			out = append(out, [2][]string{{a}, regions[j:min(j+rk, len(regions))]})
		}
	}
	return out
}

// dayBounds is the query's partition day range: the least and greatest of
// its day parameters (every catalog query bounds "day" by them).
func (q *Query) dayBounds(args map[string]any) (from, to string) {
	for _, p := range q.Params {
		if p.Type != "day" {
			continue
		}
		s, _ := args[p.Name].(string)
		if s == "" {
			continue
		}
		if from == "" || s < from {
			from = s
		}
		if s > to {
			to = s
		}
	}
	return from, to
}
