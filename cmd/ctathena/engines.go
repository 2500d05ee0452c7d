package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/local"
)

// backend is an opened engine plus what the investigations need to know
// about the data behind it.
type backend struct {
	eng    engine.Engine
	tables map[string]string
	// accounts are the organization's accounts (config on Athena; the
	// folders or recipient accounts locally).
	accounts []string
	sources  []string
	// scopes constrain each query to the partitions that exist (Athena;
	// nil locally).
	scopes *athenaScopes
}

// openAthena is set by athena.go; nil until the AWS side is wired.
var openAthena func(ctx context.Context, g *globals) (*backend, error)

// useLocal says which engine the flags select.
func (g *globals) useLocal() bool {
	return g.logs != "" || g.engine == "local"
}

// dryRunTables are the table identifiers a dry run prints.
func (g *globals) dryRunTables(ctx context.Context) map[string]string {
	if g.useLocal() {
		return map[string]string{"management": local.View, "data": local.View}
	}
	if b, err := g.athenaTables(); err == nil {
		return b
	}
	return map[string]string{"management": "management_table", "data": "data_table"}
}

// athenaTables is set by athena.go to read table names from the config.
var athenaTablesFn func(g *globals) (map[string]string, error)

func (g *globals) athenaTables() (map[string]string, error) {
	if athenaTablesFn == nil {
		return nil, errors.New("athena engine not available")
	}
	return athenaTablesFn(g)
}

// open starts the engine the flags select. from/to is the span of event
// time the investigation needs (the local engine loads exactly that, with
// the partition padding). narrow, if set, lets the local engine load less
// (see local.Narrow); Athena ignores it, partition projection does that job.
func (g *globals) open(ctx context.Context, from, to time.Time, narrow *local.Narrow) (*backend, error) {
	if g.useLocal() {
		if g.logs == "" {
			return nil, usageErr("--engine local needs --logs DIR: the folder of CloudTrail files to read")
		}
		started := time.Now()
		g.progressf("reading CloudTrail files under %s for %s .. %s", g.logs, from.Format(time.RFC3339), to.Format(time.RFC3339))
		store, progress := g.storeOptions()
		o := local.Options{Dir: g.logs, From: from, To: to, Narrow: narrow, TempDir: os.Getenv("CTATHENA_TMPDIR"), Store: store, Progress: progress, MemoryLimit: g.memory}
		if !g.noValidate {
			// The integrity check needs each file's inflated SHA-256; with
			// --no-validate nothing is hashed for it.
			o.FileRead = g.read.add
		}
		e, err := local.Open(ctx, o)
		if err != nil {
			if errors.Is(err, local.ErrNoLogs) || errors.Is(err, context.Canceled) {
				return nil, err // says which folder, and why
			}
			return nil, fmt.Errorf("read logs folder %s: %w", g.logs, err)
		}
		cov, err := e.Coverage(ctx)
		if err != nil {
			e.Close()
			return nil, err
		}
		g.progressf("loaded %d events from %d files in %s", cov.Events, cov.FilesRead, time.Since(started).Round(time.Millisecond))
		for _, s := range cov.Skipped {
			g.warnf("skipped unreadable file %s: %s", s.Path, s.Reason)
		}
		if n := len(cov.NotCloudTrail); n > 0 {
			names := make([]string, 0, 3)
			for _, s := range cov.NotCloudTrail[:min(n, 3)] {
				names = append(names, s.Path)
			}
			more := ""
			if n > 3 {
				more = fmt.Sprintf(" and %d more", n-3)
			}
			g.warnf("%d files under %s are not CloudTrail logs and were not read: %s%s (listed on the Coverage sheet)", n, g.logs, strings.Join(names, ", "), more)
		}
		return &backend{eng: e, tables: map[string]string{"management": local.View, "data": local.View},
			accounts: cov.Accounts, sources: cov.Sources}, nil
	}
	if openAthena == nil {
		return nil, usageErr("no logs folder given and the Athena engine is not configured: pass --logs DIR, or run 'ctathena setup' first")
	}
	return openAthena(ctx, g)
}

func isNoLogs(err error) bool { return errors.Is(err, local.ErrNoLogs) }
