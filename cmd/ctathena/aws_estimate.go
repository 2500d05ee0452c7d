package main

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/athena"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/tables"
)

func init() { estimatePlan = estimateRun }

// estimatePlan prices an investigation's rendered queries before anything
// runs on Athena, prints the estimate on stderr and refuses a plan over
// --max-cost; nil when the Athena side is not built in.
var estimatePlan func(ctx context.Context, g *globals, out *investigate.Outcome) error

// estimators holds one estimator per invocation, so the plan's listing is
// reused by the run.
var estimators sync.Map // *globals -> *athena.Estimator

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

func (g *globals) maxCostSet() bool { return g.maxCostUSD() > 0 }

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
		out = append(out, athena.Location{Table: quoted, Bucket: bucket, Root: root, Accounts: len(c.Accounts), Regions: len(c.Regions)})
	}
	return out, nil
}

// estimator builds (once) the estimator over the configured tables.
func (g *globals) estimator(ctx context.Context, c *tables.Config) (*athena.Estimator, error) {
	if e, ok := estimators.Load(g); ok {
		return e.(*athena.Estimator), nil
	}
	locs, err := tableLocations(c)
	if err != nil {
		return nil, err
	}
	cl, err := g.awsClients(ctx, c.Region)
	if err != nil {
		return nil, err
	}
	e, _ := estimators.LoadOrStore(g, athena.NewEstimator(cl.s3, locs, 32))
	return e.(*athena.Estimator), nil
}

func estimateRun(ctx context.Context, g *globals, out *investigate.Outcome) error {
	limit := g.maxCostUSD()
	fail := func(err error) error {
		if limit > 0 {
			return fmt.Errorf("--max-cost $%.2f is set but the cost cannot be estimated: %w", limit, err)
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
	var total float64
	var bytes int64
	largest := -1
	for i := range out.Queries {
		q := &out.Queries[i]
		if q.Derived {
			continue
		}
		args := make([]any, len(q.Params))
		for j, p := range q.Params {
			args[j] = p.Value
		}
		e, err := est.Query(ctx, engine.Query{Name: q.Name, SQL: q.SQL, Args: args})
		if err != nil {
			return fail(err)
		}
		q.Stats.EstimatedBytes, q.Stats.EstimatedCostUSD = e.Bytes, e.CostUSD
		g.warnf("estimate %s: %s in %d files; %d partitions with logs of %d projected (days %s..%s); $%.4f",
			q.Name, investigate.HumanBytes(float64(e.Bytes)), e.Objects, e.Partitions, e.Projected, e.DayFrom, e.DayTo, e.CostUSD)
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
		return usageErr("estimated cost $%.4f (%s) is over --max-cost $%.2f; the largest query is %s at $%.4f (%s): narrow the window, the buckets or the packs, or raise --max-cost",
			total, investigate.HumanBytes(float64(bytes)), limit, l.Name, l.Stats.EstimatedCostUSD, investigate.HumanBytes(float64(l.Stats.EstimatedBytes)))
	}
	return nil
}
