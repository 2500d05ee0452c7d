package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/athena"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/tables"
)

func init() { estimatePlan = estimateRun }

// estimatePlan prices an investigation's rendered queries before anything
// runs on Athena, prints the estimate on stderr and refuses a plan over
// --max-cost; nil when the Athena side is not built in.
var estimatePlan func(ctx context.Context, g *globals, out *investigate.Outcome) error

// estimators holds one estimator per config file, and listings one cache
// of S3 listings, for a few minutes: the plan's listing is reused by the
// run (and, in one process, by the next command over the same buckets).
var (
	estimators sync.Map // config path -> cachedEstimator
	listingsMu sync.Mutex
	listings   = map[string]cachedListings{} // S3 endpoint and identity -> listings
)

type cachedEstimator struct {
	e    *athena.Estimator
	made time.Time
}

type cachedListings struct {
	l    *athena.Listings
	made time.Time
}

func (g *globals) sharedListings(region string) *athena.Listings {
	// A listing made without the files' keys cannot serve --inventory.
	key := strings.Join([]string{g.getenv("AWS_ENDPOINT_URL"), g.getenv("AWS_ENDPOINT_URL_S3"), g.profile, g.getenv("AWS_PROFILE"), region, fmt.Sprint(g.inventory)}, "|")
	listingsMu.Lock()
	defer listingsMu.Unlock()
	c, ok := listings[key]
	if !ok || g.now().Sub(c.made) >= estimatorTTL {
		c = cachedListings{l: athena.NewListings(), made: g.now()}
		c.l.KeepFiles = g.inventory
		listings[key] = c
	}
	return c.l
}

// estimatorTTL bounds how old a listing an estimate may rest on.
const estimatorTTL = 10 * time.Minute

// maxCostUSD is --max-cost, or max_cost_usd from the config.
func (g *globals) maxCostUSD() float64 {
	if g.maxCost > 0 {
		return g.maxCost
	}
	if c, err := tables.LoadConfig(g.configPath()); err == nil {
		return c.MaxCostUSD
	}
	return 0
}

// tableLocations are the configured tables as the estimator sees them.
func tableLocations(c *tables.Config) ([]athena.Location, error) {
	keys := make([]string, 0, len(c.Tables))
	for k := range c.Tables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []athena.Location
	seen := map[string]bool{}
	for _, k := range keys {
		t := c.Tables[k]
		quoted, err := sql.QuoteTable(c.Database + "." + t.Name)
		if err != nil {
			return nil, usageErr("config table %s: %v", k, err)
		}
		if seen[quoted] {
			continue
		}
		seen[quoted] = true
		bucket, root, err := tables.SplitS3URI(t.Location)
		if err != nil {
			return nil, usageErr("config table %s: %v", k, err)
		}
		out = append(out, athena.Location{Table: quoted, Bucket: bucket, Root: root, Accounts: c.Accounts, Regions: c.Regions})
	}
	return out, nil
}

// estimator builds (once) the estimator over the configured tables.
func (g *globals) estimator(ctx context.Context, c *tables.Config) (*athena.Estimator, error) {
	key := g.configPath() + "|" + fmt.Sprint(g.inventory)
	if c, ok := estimators.Load(key); ok && g.now().Sub(c.(cachedEstimator).made) < estimatorTTL {
		return c.(cachedEstimator).e, nil
	}
	locs, err := tableLocations(c)
	if err != nil {
		return nil, err
	}
	cl, err := g.awsClients(ctx, c.Region)
	if err != nil {
		return nil, err
	}
	e := athena.NewEstimator(cl.s3, locs, 32, g.sharedListings(cl.cfg.Region))
	estimators.Store(key, cachedEstimator{e: e, made: g.now()})
	return e, nil
}

func estimateRun(ctx context.Context, g *globals, out *investigate.Outcome) error {
	limit := g.maxCostUSD()
	fail := func(err error) error {
		if limit > 0 {
			return fmt.Errorf("--max-cost $%g is set but the cost cannot be estimated: %w", limit, err)
		}
		g.warnf("no cost estimate: %v", err)
		return nil
	}
	c, err := g.loadConfig()
	if err != nil {
		return fail(err)
	}
	est, err := g.estimator(ctx, c)
	if err != nil {
		return fail(err)
	}
	var plan []engine.Query
	for _, q := range out.Queries {
		if !q.Derived {
			plan = append(plan, planned(q))
		}
	}
	if err := est.Prefetch(ctx, plan); err != nil {
		return fail(err)
	}
	var total float64
	var bytes int64
	largest := -1
	for i := range out.Queries {
		q := &out.Queries[i]
		if q.Derived {
			continue
		}
		e, err := est.Query(ctx, planned(*q))
		if err != nil {
			return fail(err)
		}
		q.Stats.EstimatedBytes, q.Stats.EstimatedCostUSD = e.Bytes, e.CostUSD
		line := g.progressf // before a real run the per-query lines are progress
		if g.dryRun {
			line = func(format string, a ...any) { g.warnf(format, a...) }
		}
		line("estimate %s: %s (%d bytes) in %d files; %d partitions with logs of %d projected in %d scans of at most %d (days %s..%s); $%.4f",
			q.Name, investigate.HumanBytes(float64(e.Bytes)), e.Bytes, e.Objects, e.Partitions, e.Projected, e.Scans, e.MaxScan, e.DayFrom, e.DayTo, e.CostUSD)
		if w := partitionWarning(q.Name, e); w != "" {
			g.warnf("%s", w)
		}
		total += e.CostUSD
		bytes += e.Bytes
		if largest < 0 || e.CostUSD > out.Queries[largest].Stats.EstimatedCostUSD ||
			e.CostUSD == out.Queries[largest].Stats.EstimatedCostUSD && e.Bytes > out.Queries[largest].Stats.EstimatedBytes {
			largest = i
		}
	}
	g.warnf("estimate total: %s scanned, $%.4f (Athena: $5 per TB, at least 10 MB per query), from %d S3 listings",
		investigate.HumanBytes(float64(bytes)), total, est.Requests)
	if limit > 0 && total > limit && largest >= 0 {
		l := out.Queries[largest]
		return usageErr("estimated cost $%.4f (%s) is over --max-cost $%g; the largest query is %s at $%.4f (%s): narrow the window, the buckets or the packs, or raise --max-cost",
			total, investigate.HumanBytes(float64(bytes)), limit, l.Name, l.Stats.EstimatedCostUSD, investigate.HumanBytes(float64(l.Stats.EstimatedBytes)))
	}
	return nil
}

// planned is a rendered query of a dry pass as the estimator takes it.
func planned(q reports.QueryRun) engine.Query {
	args := make([]any, len(q.Params))
	for j, p := range q.Params {
		args[j] = p.Value
	}
	return engine.Query{Name: q.Name, SQL: q.SQL, Args: args}
}

// partitionWarning names a query one of whose scans projects more
// partitions than Trino reads in one scan (see tables/limits.go); scoped
// queries never do (sql.RenderScoped splits them), so this is a table
// read whole, such as a query over a table not set up by ctathena.
func partitionWarning(name string, e athena.Estimate) string {
	if e.MaxScan > tables.ScanPartitionsMax {
		return fmt.Sprintf("%s projects %d partitions in one scan (%d hold logs), more than the %d a Trino table scan reads by default: Athena may refuse it or time out; narrow the window",
			name, e.MaxScan, e.Partitions, tables.ScanPartitionsMax)
	}
	return ""
}
