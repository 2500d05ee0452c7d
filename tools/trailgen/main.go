// Command trailgen writes a deterministic CloudTrail trail tree with
// internal/trailgen: the bundled sample in testdata/sample (regenerate it
// with `go generate ./tools/trailgen`) or a large tree for benchmarks
// (-bench). It prints the planted truth to -truth (default OUT/truth.json).
package main

//go:generate go run . -out ../../testdata/sample -truth ../../testdata/sample-truth.json -clean -seed 20261101 -start 2026-11-01 -days 7 -events-per-day 600 -accounts 3 -regions 2

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ctathena/ctathena/internal/trailgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("trailgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder to write the trail into (required)")
	seed := fs.Uint64("seed", 20261101, "random seed")
	start := fs.String("start", "2026-11-01", "first day, YYYY-MM-DD (UTC)")
	days := fs.Int("days", 7, "number of days")
	perDay := fs.Int("events-per-day", 600, "background events per day")
	accounts := fs.Int("accounts", 3, "number of accounts (at most 6)")
	regions := fs.Int("regions", 2, "number of regions (at most 4)")
	noScen := fs.Bool("no-scenarios", false, "do not plant the known incident")
	truthPath := fs.String("truth", "", "where to write truth.json (default OUT/truth.json; - for stdout)")
	clean := fs.Bool("clean", false, "remove OUT/AWSLogs first")
	bench := fs.Bool("bench", false, "benchmark size: 30 days, about 500,000 events, fast compression (overrides -days and -events-per-day)")
	workers := fs.Int("workers", 2, "days written at once")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: trailgen -out DIR [flags]")
		fs.PrintDefaults()
		return 2
	}
	if *accounts < 1 || *accounts > len(trailgen.DefaultAccounts) || *regions < 1 || *regions > len(trailgen.DefaultRegions) {
		fmt.Fprintf(stderr, "trailgen: -accounts must be 1..%d and -regions 1..%d\n", len(trailgen.DefaultAccounts), len(trailgen.DefaultRegions))
		return 2
	}
	day, err := time.Parse("2006-01-02", *start)
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: parse -start: %v\n", err)
		return 2
	}
	c := trailgen.Config{
		Seed: *seed, Start: day, Days: *days, EventsPerDay: *perDay, OrgID: trailgen.DefaultOrgID,
		Accounts: trailgen.DefaultAccounts[:*accounts], Regions: trailgen.DefaultRegions[:*regions],
		Scenarios: !*noScen, Workers: *workers,
	}
	if *bench {
		c.Days, c.EventsPerDay, c.GzipLevel = 30, 500_000/30, 1
	}
	if *clean {
		if err := os.RemoveAll(filepath.Join(*out, "AWSLogs")); err != nil {
			fmt.Fprintf(stderr, "trailgen: clean %s: %v\n", *out, err)
			return 1
		}
	}
	began := time.Now()
	truth, err := trailgen.Generate(*out, c)
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: %v\n", err)
		return 1
	}
	data, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: encode truth: %v\n", err)
		return 1
	}
	data = append(data, '\n')
	switch *truthPath {
	case "-":
		os.Stdout.Write(data)
	case "":
		*truthPath = filepath.Join(*out, "truth.json")
		fallthrough
	default:
		if err := os.WriteFile(*truthPath, data, 0o644); err != nil {
			fmt.Fprintf(stderr, "trailgen: write truth: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "trailgen: %d events (%d records, %d duplicated) in %d files under %s in %s\n",
		truth.Events, truth.Records, truth.DuplicateRecords, truth.Files, *out, time.Since(began).Round(time.Millisecond))
	return 0
}
