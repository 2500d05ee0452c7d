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
	list     bool
	params   []string
	since    string
	until    string
	baseline string
}

func newQueryCmd(g *globals) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query NAME [--param k=v]... | query --list",
		Short: "Run one catalog query by name, or list the catalog",
		Long: `query runs one catalog query. since and until come from --since/--until (or --param); the
partition days, the IPv4 range of a CIDR given as --param ip, and a baseline's start and length
(--baseline) are computed, never asked for; every other parameter comes from --param k=v and is
validated against its declared type before anything runs. A query that needs the organization's
accounts (org_accounts) takes the accounts found in the logs unless --param org_accounts is given.`,
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
	f.StringVar(&o.baseline, "baseline", "14d", "for a baseline query (exfil/baseline): its length before the window")
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
				if investigate.IsDerived(p.Name) {
					continue
				}
				ps = append(ps, map[string]any{"name": p.Name, "type": string(p.Type), "optional": p.Optional, "doc": p.Doc})
			}
			return map[string]any{"name": q.Name, "summary": q.Summary, "tables": q.Tables, "attack": q.Attack, "params": ps}
		})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	for _, q := range cat.List() {
		fmt.Fprintf(tw, "%s\t%s\n", q.Name, q.Summary)
		window := false
		for _, p := range q.Params {
			switch {
			case investigate.IsDerived(p.Name):
				continue
			case p.Name == "since" || p.Name == "until":
				window = true
				continue
			}
			opt := ""
			if p.Optional {
				opt = " (optional)"
			}
			fmt.Fprintf(tw, "\t  --param %s=<%s>%s  %s\n", p.Name, p.Type, opt, p.Doc)
		}
		if window {
			fmt.Fprintf(tw, "\t  --since/--until  the window\n")
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
	given := map[string]string{}
	for _, kv := range o.params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageErr("--param %q: use name=value", kv)
		}
		if _, dup := given[k]; dup {
			return usageErr("--param %s given twice", k)
		}
		given[k] = v
	}
	baseline, err := investigate.ParseDuration(o.baseline)
	if err != nil || baseline <= 0 {
		return usageErr("--baseline %q: give a length such as 14d", o.baseline)
	}
	has := func(k string) bool { _, ok := q.Param(k); return ok }
	values, err := investigate.QueryValues(has, given, w, baseline)
	if err != nil {
		return err
	}
	from, to := w.Since, w.Until
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
	params := func() []reports.Param {
		var params []reports.Param
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			params = append(params, reports.Param{Name: k, Value: values[k]})
		}
		return g.commonParams(append([]reports.Param{{Name: "query", Value: name}}, params...))
	}
	r := run{command: "query", window: w, params: params(), primary: name}
	if g.dryRun {
		env := &investigate.Env{Catalog: cat, Tables: g.dryRunTables(ctx), DryRun: true, Scopes: g.dryScopes(ctx).fn()}
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
	if has("org_accounts") && values["org_accounts"] == "" {
		// Without the organization's accounts no reader would count as an
		// outsider: take the accounts the logs hold, as exfil does.
		if len(b.accounts) == 0 {
			return usageErr("%s needs the organization's accounts to tell outsiders apart, and none were found: pass --param org_accounts=111122223333,444455556666", name)
		}
		values["org_accounts"] = strings.Join(b.accounts, ",")
		g.warnf("%s: the organization's accounts are taken to be the %d accounts in the logs (%s); pass --param org_accounts to say otherwise", name, len(b.accounts), clipValue(values["org_accounts"]))
		r.params = params()
	}
	env = &investigate.Env{Engine: b.eng, Catalog: cat, Tables: b.tables, Progress: g.progressf, Tally: &g.tally, Scopes: b.scopes.fn()}
	runs, err := env.RunAll(ctx, plan)
	if err != nil {
		return err
	}
	out := &investigate.Outcome{Queries: runs}
	b.scopes.finish(out)
	return g.finish(ctx, r, b, out)
}
