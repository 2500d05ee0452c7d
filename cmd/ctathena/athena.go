package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/ctathena/ctathena/engine/athena"
	"github.com/ctathena/ctathena/tables"
)

func init() {
	openAthena = openAthenaBackend
	athenaTablesFn = func(g *globals) (map[string]string, error) {
		c, err := g.loadConfig()
		if err != nil {
			return nil, err
		}
		return configTables(c)
	}
}

// configTables maps the catalog's table roles to the Glue tables; a trail
// whose data events share the management table serves both.
func configTables(c *tables.Config) (map[string]string, error) {
	m, ok := c.Tables["management"]
	if !ok || m.Name == "" {
		return nil, usageErr("config has no management table: run 'ctathena setup' again")
	}
	out := map[string]string{"management": c.Database + "." + m.Name, "data": c.Database + "." + m.Name}
	if d, ok := c.Tables["data"]; ok && d.Name != "" {
		out["data"] = c.Database + "." + d.Name
	}
	return out, nil
}

func openAthenaBackend(ctx context.Context, g *globals) (*backend, error) {
	c, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	tbl, err := configTables(c)
	if err != nil {
		return nil, err
	}
	cl, err := g.awsClients(ctx, c.Region)
	if err != nil {
		return nil, err
	}
	var sources []string
	keys := make([]string, 0, len(c.Tables))
	for k := range c.Tables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := c.Tables[k]
		sources = append(sources, fmt.Sprintf("%s table %s.%s over %s", k, c.Database, t.Name, t.Location))
	}
	// Every query is priced from the S3 listing of its partitions before it
	// starts; the estimate goes beside the bytes scanned in the bundle.
	est, err := g.estimator(ctx, c)
	if err != nil {
		return nil, err
	}
	e := athena.New(cl.athena, cl.s3, athena.Options{
		Workgroup: c.Workgroup, Database: c.Database, OutputLocation: c.ResultsLocation,
		Logf: g.progressf, Sources: sources, Estimator: est, MaxCostUSD: g.maxCostUSD(),
		Inventory: g.inventory, MaxScanPartitions: tables.ScanPartitionsMax,
	})
	// Every query reads only the partition folders that exist (see
	// aws_scope.go and tables/limits.go).
	sc, err := newAthenaScopes(est, tbl, e)
	if err != nil {
		return nil, err
	}
	return &backend{eng: e, tables: tbl, accounts: c.Accounts, sources: sources, scopes: sc}, nil
}
