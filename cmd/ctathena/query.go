package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

type queryOptions struct {
	list   bool
	params []string
	since  string
	until  string
}

func newQueryCmd(g *globals) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query NAME [--param k=v]... | query --list",
		Short: "Run one catalog query by name, or list the catalog",
		Long: `query runs one catalog query. Parameters named since, until, day_from and day_to are filled
from --since/--until unless given with --param; every other parameter comes from --param k=v
and is validated against its declared type before anything runs.`,
		Example: `  ctathena query --list
  ctathena query exfil/top_keys --logs ./logs --param buckets=payroll-exports --since 2026-11-01`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.list && len(args) > 0 {
				return &flagError{err: fmt.Errorf("--list takes no query name")}
			}
			if !o.list && len(args) != 1 {
				return &flagError{err: fmt.Errorf("query needs exactly one NAME (see 'ctathena query --list')")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return listQueries(g)
			}
			return runQuery(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.list, "list", false, "list the catalog with descriptions and parameters")
	f.StringArrayVar(&o.params, "param", nil, "parameter as name=value (repeatable)")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	return cmd
}

func listQueries(g *globals) error {
	cat, err := sql.Default()
	if err != nil {
		return err
	}
	if g.format == "json" {
		return printJSONList(g, cat.List(), func(q *sql.Query) any {
			var ps []map[string]any
			for _, p := range q.Params {
				ps = append(ps, map[string]any{"name": p.Name, "type": string(p.Type), "optional": p.Optional, "doc": p.Doc})
			}
			return map[string]any{"name": q.Name, "summary": q.Summary, "tables": q.Tables, "attack": q.Attack, "params": ps}
		})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	for _, q := range cat.List() {
		fmt.Fprintf(tw, "%s\t%s\n", q.Name, q.Summary)
		for _, p := range q.Params {
			opt := ""
			if p.Optional {
				opt = " (optional)"
			}
			fmt.Fprintf(tw, "\t  --param %s=<%s>%s  %s\n", p.Name, p.Type, opt, p.Doc)
		}
	}
	return tw.Flush()
}

func runQuery(cmd *cobra.Command, g *globals, o *queryOptions, name string) error {
	ctx := cmd.Context()
	cat, err := sql.Default()
	if err != nil {
		return err
	}
	q, ok := cat.Get(name)
	if !ok {
		var names []string
		for _, q := range cat.List() {
			names = append(names, q.Name)
		}
		return usageErr("no query %q in the catalog (known: %s)", name, strings.Join(names, ", "))
	}
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	values := map[string]string{}
	for _, kv := range o.params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageErr("--param %q: use name=value", kv)
		}
		if _, dup := values[k]; dup {
			return usageErr("--param %s given twice", k)
		}
		values[k] = v
	}
	from, to := w.Since, w.Until
	dayFrom, dayTo := investigate.Days(w.Since, w.Until)
	defaults := map[string]string{"since": investigate.Stamp(w.Since), "until": investigate.Stamp(w.Until), "day_from": dayFrom, "day_to": dayTo}
	for k, v := range defaults {
		if _, has := q.Param(k); has {
			if _, given := values[k]; !given {
				values[k] = v
			}
		}
	}
	// The local engine loads the span of every time the query mentions.
	for _, p := range q.Params {
		if p.Type == "timestamp" && values[p.Name] != "" {
			if t, err := time.Parse(time.RFC3339, values[p.Name]); err == nil {
				if t.Before(from) {
					from = t
				}
				if t.After(to) {
					to = t
				}
			}
		}
	}
	plan := []investigate.Planned{{Name: name, Values: values}}
	var params []reports.Param
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		params = append(params, reports.Param{Name: k, Value: values[k]})
	}
	r := run{command: "query", window: w, params: g.commonParams(append([]reports.Param{{Name: "query", Value: name}}, params...)), primary: name}
	if g.dryRun {
		env := &investigate.Env{Catalog: cat, Tables: g.dryRunTables(ctx), DryRun: true}
		runs, err := env.RunAll(ctx, plan)
		if err != nil {
			return err
		}
		return g.printDryRun(&investigate.Outcome{Queries: runs})
	}
	env := &investigate.Env{Catalog: cat, Tables: map[string]string{"management": "validate", "data": "validate"}}
	if _, err := env.Render(plan); err != nil { // validate before opening anything
		return err
	}
	g.printWindow(w)
	if err := g.prepareOut("query"); err != nil {
		return err
	}
	b, err := g.open(ctx, from, to, &local.Narrow{Queries: []string{cat.MustGet(name).SQLText()}})
	if err != nil {
		return err
	}
	defer b.eng.Close()
	env = &investigate.Env{Engine: b.eng, Catalog: cat, Tables: b.tables, Progress: g.progressf, Tally: &g.tally}
	runs, err := env.RunAll(ctx, plan)
	if err != nil {
		return err
	}
	return g.finish(ctx, r, b, &investigate.Outcome{Queries: runs})
}
