package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/internal/geoip"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// run is one investigation command's invocation: what the cover page and
// manifest record.
type run struct {
	command string
	window  investigate.Window
	params  []reports.Param
	// primary is the query whose rows go to stdout.
	primary string
	// credits name third-party material the results rely on.
	credits []string
	// narrow, if set, lets the local engine skip events the queries never
	// read (exfil: before the window, only the baseline's reads).
	narrow *local.Narrow
}

func (g *globals) printWindow(w investigate.Window) {
	g.warnf("window %s .. %s (UTC, until exclusive)", investigate.Stamp(w.Since), investigate.Stamp(w.Until))
}

// pack runs one investigation on env; b is the opened backend, nil on a
// dry run.
type pack func(env *investigate.Env, b *backend) (*investigate.Outcome, error)

// investigate is how every investigation command runs once its flags are
// validated: a dry run renders and prints the SQL and opens nothing;
// otherwise the engine is opened over [from, to), the pack runs, and the
// bundle is written.
func (g *globals) investigate(ctx context.Context, r run, from, to time.Time, p pack) error {
	cat, err := sql.Default()
	if err != nil {
		return err
	}
	g.printWindow(r.window)
	if g.dryRun {
		out, err := p(&investigate.Env{Catalog: cat, Tables: g.dryRunTables(ctx), DryRun: true}, nil)
		if err != nil {
			return err
		}
		for _, n := range out.Notes {
			g.warnf("%s", n)
		}
		return g.printDryRun(out)
	}
	narrow := r.narrow
	if narrow == nil && len(cat.Pack(r.command)) > 0 {
		// Load only the columns the pack's queries name.
		narrow = &local.Narrow{Queries: investigate.PackSQL(cat, r.command)}
	}
	b, err := g.open(ctx, from, to, narrow)
	if err != nil {
		return err
	}
	defer b.eng.Close()
	out, err := p(&investigate.Env{Engine: b.eng, Catalog: cat, Tables: b.tables, Progress: g.progressf}, b)
	if err != nil {
		return err
	}
	for _, n := range out.Notes {
		g.warnf("%s", n)
	}
	return g.finish(ctx, r, b, out)
}

// printDryRun prints every rendered query with its parameters and runs
// nothing; tables the investigation would derive from results are left out.
func (g *globals) printDryRun(out *investigate.Outcome) error {
	for _, q := range out.Queries {
		if q.Derived {
			continue
		}
		fmt.Fprintf(g.stdout, "-- query: %s\n-- summary: %s\n", q.Name, q.Summary)
		for _, p := range q.Params {
			fmt.Fprintf(g.stdout, "-- param: %s = %q\n", p.Name, p.Value)
		}
		fmt.Fprintf(g.stdout, "%s\n", strings.TrimRight(q.SQL, "\n"))
	}
	return nil
}

// finish writes the evidence bundle and the stdout summary, and turns failed
// queries into exit code 3.
func (g *globals) finish(ctx context.Context, r run, b *backend, out *investigate.Outcome) error {
	started := g.now().UTC()
	if err := g.enrich(out); err != nil { // idempotent: commands may have enriched already
		return err
	}
	if err := g.locateEvents(out.Findings); err != nil {
		return err
	}
	cov, err := b.eng.Coverage(ctx)
	if err != nil {
		g.warnf("coverage unavailable: %v", err)
	}
	if len(cov.Sources) == 0 {
		cov.Sources = b.sources
	}
	dir := g.out
	if dir == "" {
		dir = fmt.Sprintf("ctathena-%s-%s", r.command, started.Format("20060102T150405Z"))
	}
	engName, engVersion := b.eng.Name(), b.eng.Version(ctx)
	// Every query has answered: the engine's memory (DuckDB's buffer pool
	// and table) is released before the report is written, so the two do
	// not add up at the end of a large investigation.
	if err := b.eng.Close(); err != nil {
		g.warnf("%v", err)
	}
	bundle := &reports.Bundle{
		Command: r.command, Case: g.caseID, Examiner: g.examiner, GeneratedAt: started,
		ToolVersion: version, ToolCommit: toolCommit(),
		Engine: engName, EngineVersion: engVersion,
		Sources: cov.Sources, Since: r.window.Since, Until: r.window.Until,
		Params: r.params, Coverage: cov, Findings: out.Findings, Charts: out.Charts,
		Notes: out.Notes, Credits: r.credits, Queries: out.Queries,
		Marking: g.marking, Invocation: g.invocation(), Buckets: bucketsSeen(r, out),
	}
	w, err := reports.Write(dir, bundle)
	if err != nil {
		return fmt.Errorf("write evidence bundle: %w", err)
	}
	if err := g.printResults(r, out); err != nil {
		return err
	}
	abs, _ := filepath.Abs(w.Dir)
	g.warnf("evidence bundle: %s (report: %s)", abs, filepath.Join(abs, reports.ReportName))
	var scanned int64
	var cost float64
	for _, q := range out.Queries {
		scanned += q.Stats.BytesScanned
		cost += q.Stats.CostUSD
	}
	if scanned > 0 {
		g.warnf("data scanned %s, cost $%.4f", investigate.HumanBytes(float64(scanned)), cost)
	}
	if failed := out.Failed(); len(failed) > 0 {
		return &exitErr{code: exitPartial, err: fmt.Errorf("%d of %d queries failed (%s); the report says which", len(failed), len(out.Queries), strings.Join(failed, ", "))}
	}
	return nil
}

// invocation records how this bundle was produced: the command line as
// given, the host and operating-system user, and when the run started and
// the bundle was written.
func (g *globals) invocation() reports.Invocation {
	inv := reports.Invocation{CommandLine: append([]string{"ctathena"}, g.args...), Start: g.started, End: g.now().UTC()}
	if h, err := os.Hostname(); err == nil {
		inv.Host = h
	}
	if u, err := user.Current(); err == nil {
		inv.User = u.Username
	} else if n := g.getenv("USER"); n != "" {
		inv.User = n
	}
	return inv
}

// dataEventCounts name, per pack, the query whose rows count a bucket's
// data events in the window, and the columns that count them.
var dataEventCounts = map[string]struct {
	query string
	cols  []string
	how   string
}{
	"exfil":  {"exfil/top_readers", []string{"objects", "failed_reads"}, "object reads, successful and failed, in exfil/top_readers"},
	"access": {"access/totals", []string{"events"}, "data events in access/totals"},
}

// bucketsSeen says, for each bucket the command investigated, how many of
// its data events the pack's counting query saw (for the Limitations
// sheet); unknown when that query failed or the pack has none.
func bucketsSeen(r run, out *investigate.Outcome) []reports.BucketEvents {
	var names []string
	for _, p := range r.params {
		if p.Name == "bucket" {
			for _, b := range strings.Split(p.Value, ",") {
				if b = strings.TrimSpace(b); b != "" {
					names = append(names, b)
				}
			}
		}
	}
	spec, ok := dataEventCounts[r.command]
	var q *reports.QueryRun
	for i := range out.Queries {
		if ok && out.Queries[i].Name == spec.query {
			q = &out.Queries[i]
		}
	}
	var res []reports.BucketEvents
	for _, b := range names {
		be := reports.BucketEvents{Name: b}
		// The pack's queries cover all its buckets at once; one bucket's
		// count is exact only when it is the only one.
		if q != nil && q.Err == "" && len(names) == 1 {
			be.Counted, be.How = true, spec.how
			idx := map[string]int{}
			for i, c := range q.Columns {
				idx[c.Name] = i
			}
			for _, row := range q.Rows {
				for _, c := range spec.cols {
					if i, ok := idx[c]; ok && i < len(row) {
						if n, ok := row[i].(int64); ok {
							be.DataEvents += n
						}
					}
				}
			}
		}
		res = append(res, be)
	}
	return res
}

// locateEvents adds the country and network of each Timeline event's source
// address when --geoip names databases (the Timeline then shows them).
func (g *globals) locateEvents(fs []reports.Finding) error {
	if g.geoip == "" {
		return nil
	}
	var paths []string
	for _, p := range strings.Split(g.geoip, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	db, err := geoip.Open(paths...)
	if err != nil {
		return usageErr("--geoip: %v", err)
	}
	defer db.Close()
	for i := range fs {
		for j := range fs[i].Events {
			ev := &fs[i].Events[j]
			info, ok := db.Lookup(ev.SourceIP)
			if !ok {
				continue
			}
			ev.Country = strings.TrimSpace(info.CountryCode + " " + info.CountryName)
			switch {
			case info.ASN != 0 && info.ASOrg != "":
				ev.Network = fmt.Sprintf("AS%d %s", info.ASN, info.ASOrg)
			case info.ASN != 0:
				ev.Network = fmt.Sprintf("AS%d", info.ASN)
			default:
				ev.Network = info.ASOrg
			}
		}
	}
	return nil
}
