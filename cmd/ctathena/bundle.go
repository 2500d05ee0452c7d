package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ctathena/ctathena/engine/local"
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
	if g.dryRun || (!g.useLocal() && estimatePlan != nil) {
		dry := g.dryScopes(ctx)
		out, err := p(&investigate.Env{Catalog: cat, Tables: g.dryRunTables(ctx), DryRun: true, Scopes: dry.fn()}, nil)
		if err != nil {
			return err
		}
		dry.finish(out)
		if g.dryRun {
			for _, n := range out.Notes {
				g.warnf("%s", n)
			}
			if err := g.printDryRun(out); err != nil {
				return err
			}
		}
		// On Athena the plan is priced before anything runs (see
		// aws_estimate.go); an estimate over --max-cost stops here.
		if !g.useLocal() && estimatePlan != nil {
			if err := estimatePlan(ctx, g, out); err != nil || g.dryRun {
				return err
			}
		}
		if g.dryRun {
			return nil // a dry run opens nothing, not even the logs folder
		}
	}
	if err := g.prepareOut(r.command); err != nil {
		return err
	}
	narrow := r.narrow
	if narrow == nil && len(cat.Pack(r.command)) > 0 {
		// Load only the columns the pack's queries name.
		narrow = &local.Narrow{Queries: investigate.PackSQL(cat, r.command)}
	}
	g.loadSpan = [2]time.Time{from, to} // the integrity check's days on Athena
	b, err := g.open(ctx, from, to, narrow)
	if err != nil {
		return err
	}
	defer b.eng.Close()
	out, err := p(&investigate.Env{Engine: b.eng, Catalog: cat, Tables: b.tables, Progress: g.progressf, Tally: &g.tally, Scopes: b.scopes.fn()}, b)
	if err != nil {
		return err
	}
	b.scopes.finish(out)
	for _, n := range out.Notes {
		g.warnf("%s", n)
	}
	return g.finish(ctx, r, b, out)
}

// prepareOut checks the bundle folder before any log is read or query
// started: an --out that exists and is not empty, that is a file, or that
// lies inside --logs (the next run would read the bundle as logs) is
// refused. The default name (ctathena-<command>-<UTC time>) is reserved by
// creating it, with a suffix if another run took it.
func (g *globals) prepareOut(command string) error {
	if g.outDir != "" {
		return nil
	}
	if g.out != "" {
		st, err := os.Stat(g.out)
		switch {
		case err == nil && !st.IsDir():
			return usageErr("--out %s is a file: give a folder that does not exist yet or is empty", g.out)
		case err == nil:
			ents, err := os.ReadDir(g.out)
			if err != nil {
				return usageErr("--out %s cannot be read: %v", g.out, err)
			}
			if len(ents) > 0 {
				return usageErr("--out %s already exists and is not empty: a bundle is never written over other files; give a new folder", g.out)
			}
		case !errors.Is(err, os.ErrNotExist):
			return usageErr("--out %s: %v", g.out, err)
		}
		if g.logs != "" && inside(g.out, g.logs) {
			return usageErr("--out %s is inside --logs %s: the next run would read the bundle as logs; write it elsewhere", g.out, g.logs)
		}
		g.outDir = g.out
		return nil
	}
	base := fmt.Sprintf("ctathena-%s-%s", command, g.now().UTC().Format("20060102T150405Z"))
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		if g.logs != "" && inside(name, g.logs) {
			return usageErr("the default bundle folder ./%s would be inside --logs %s: give --out a folder outside the logs", name, g.logs)
		}
		err := os.Mkdir(name, 0o755)
		if err == nil {
			g.outDir, g.reserved = name, true
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create the bundle folder %s: %w (give --out a folder you can write)", name, err)
		}
	}
	return fmt.Errorf("create the bundle folder: %s and 998 suffixed names exist; give --out", base)
}

// inside reports whether path is dir or lies under it (after resolving
// both to absolute paths and, where they exist, symbolic links).
func inside(path, dir string) bool {
	resolve := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		// The path may not exist yet: resolve its longest existing parent.
		rest := ""
		for cur := abs; ; {
			if r, err := filepath.EvalSymlinks(cur); err == nil {
				return filepath.Join(r, rest)
			}
			parent := filepath.Dir(cur)
			if parent == cur {
				return abs
			}
			rest = filepath.Join(filepath.Base(cur), rest)
			cur = parent
		}
	}
	p, d := resolve(path), resolve(dir)
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
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
	b.scopes.windowCoverage(ctx, &cov, r.window) // Athena: an empty window
	dir := g.outDir
	if dir == "" {
		if err := g.prepareOut(r.command); err != nil {
			return err
		}
		dir = g.outDir
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
		Incomplete: investigate.Completeness(cov, r.window, out.Queries),
		Marking:    g.marking, Invocation: g.invocation(), Buckets: bucketsSeen(r, out),
	}
	bundle.Integrity, bundle.IntegrityFiles = g.integrityFor(ctx, cov.Days, r.window)
	w, err := reports.Write(dir, bundle)
	if err != nil {
		return fmt.Errorf("write evidence bundle: %w", err)
	}
	g.reserved = false
	abs, _ := filepath.Abs(w.Dir)
	if err := g.printResults(r, out, bundle.Incomplete); err != nil {
		if !errors.Is(err, syscall.EPIPE) {
			return err
		}
		g.warnf("stdout was closed before the results were printed; they are all in the bundle")
	}
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
	if len(bundle.Incomplete) > 0 {
		for _, why := range bundle.Incomplete {
			fmt.Fprintf(g.stderr, "ctathena: INCOMPLETE: %s\n", why)
		}
		return &exitErr{code: exitPartial, err: fmt.Errorf("the answer is INCOMPLETE (%s above); the report's Cover and first Findings row say the same",
			map[bool]string{true: "1 reason", false: fmt.Sprintf("%d reasons", len(bundle.Incomplete))}[len(bundle.Incomplete) == 1])}
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
	db, err := g.openGeoIP()
	if err != nil {
		return err
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
