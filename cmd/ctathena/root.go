package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
)

// Set by the linker (see Makefile); debug.ReadBuildInfo fills commit otherwise.
var (
	version = "0.1.0-dev"
	commit  = ""
)

// Exit codes (PRODUCT.md).
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPartial     = 3
	exitCredentials = 4
	exitInterrupted = 130
)

// exitErr carries an exit code through cobra's error return.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// globals are the flags every command takes.
type globals struct {
	engine   string
	logs     string
	profile  string
	region   string
	config   string
	out      string
	caseID   string
	examiner string
	format   string
	dryRun   bool
	quiet    bool
	debug    bool
	geoip    string
	// noValidate skips the log integrity check; publicKeys are the
	// CloudTrail public keys for it, offline (validate.go).
	noValidate bool
	publicKeys string
	maxCost    float64
	inventory  bool
	loadSpan   [2]time.Time
	// read are the files the local engine read, with their hashes.
	read   readSet
	memory string

	// outDir is the bundle folder, checked (and for the default name,
	// reserved) before any log is read; reserved is set when this run
	// created it, so a run that writes nothing removes it again.
	outDir   string
	reserved bool
	// tally counts queries, for the message an interrupt prints.
	tally   investigate.Tally
	marking string

	// args and started are the invocation, for the chain of custody.
	args    []string
	started time.Time
	// noCache reads the files every time instead of the evidence store
	// (cache.go).
	noCache bool
	// useCache is --cache: the evidence store, which is the default
	// (the flag is kept for scripts written when it was opt-in).
	useCache bool

	stdin          io.Reader
	stdout, stderr io.Writer
	// now is the clock; only cmd/ reads it.
	now    func() time.Time
	getenv func(string) string
	isTTY  bool
}

func (g *globals) warnf(format string, a ...any) {
	if !g.quiet {
		fmt.Fprintf(g.stderr, "ctathena: "+format+"\n", a...)
	}
}

// progressf writes progress lines: on a terminal, or always with --debug.
func (g *globals) progressf(format string, a ...any) {
	if g.debug || (g.isTTY && !g.quiet) {
		fmt.Fprintf(g.stderr, "  "+format+"\n", a...)
	}
}

// Main runs the CLI and returns the process exit code. It is the whole
// program, so tests drive it in-process.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that stops early (| head) must not kill the run before or
	// while its bundle is written: writes to a closed stdout then fail
	// with EPIPE, which finish reports as a warning.
	signal.Ignore(syscall.SIGPIPE)
	if err := checkArgs(args); err != nil {
		fmt.Fprintf(stderr, "ctathena: %s\n", err)
		return exitUsage
	}
	// Large reports hold many rows; keep the garbage collector's headroom
	// bounded unless the user chose a limit (GOMEMLIMIT).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	// Every query's rows stay in Go until the bundle is written; with the
	// default GOGC the heap then grew to twice its live size beside
	// DuckDB. Measured on the 30-day, 500,000-event tree, hunt's peak RSS:
	// 606 MiB at GOGC 100, 407 MiB at 25 (BenchmarkCommandMemory), for a
	// few percent more CPU.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, getenv: os.Getenv, args: args}
	g.started = g.now().UTC()
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			g.isTTY = true
		}
	}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if g.reserved {
		// Remove the reserved bundle folder if nothing was written to it.
		_ = os.Remove(g.outDir)
	}
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	msg := capValues(err.Error(), args)
	if code == exitInterrupted {
		msg = interruptMessage(g)
	}
	fmt.Fprintf(stderr, "ctathena: %s\n", msg)
	if hint := awsHint(err); hint != "" {
		fmt.Fprintf(stderr, "hint: %s\n", hint)
	}
	if code == exitUsage && isFlagError(err) {
		fmt.Fprintf(stderr, "Run 'ctathena %s --help' for usage.\n", commandPath(root, args))
	}
	return code
}

// exitCode maps errors to exit codes in one place.
func exitCode(ctx context.Context, err error) int {
	var ee *exitErr
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ee):
		return ee.code
	case investigate.IsUsage(err), errors.Is(err, reports.ErrOutExists), isFlagError(err), isNoLogs(err):
		return exitUsage
	case isCredentialError(err):
		return exitCredentials
	}
	return exitError
}

func isFlagError(err error) bool {
	var fe *flagError
	if errors.As(err, &fe) {
		return true
	}
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument", "required flag", "accepts ", "requires at least"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), "ctathena ")
}

func toolCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "ctathena",
		Short: "CloudTrail incident response: exfiltration, identities and attacker activity, with evidence counsel can verify",
		Long: `ctathena answers "was data taken, by whom, from where, and what else did they do" from an
AWS organization's CloudTrail logs, on Amazon Athena (after 'ctathena setup') or on a folder of
log files (--logs DIR), and writes an evidence bundle: report.xlsx, raw results, the exact SQL,
a manifest and SHA-256 hashes that 'ctathena verify' checks.

Times are UTC. --since/--until take RFC 3339, YYYY-MM-DD or a duration back from now (72h, 14d).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err: err} })
	f := root.PersistentFlags()
	f.StringVar(&g.engine, "engine", "", "query engine: athena or local (local is implied by --logs)")
	f.StringVar(&g.logs, "logs", "", "folder of CloudTrail files (org or account layout, or plain .json/.json.gz files)")
	f.StringVar(&g.profile, "profile", "", "AWS profile (default: the SDK's chain, AWS_PROFILE)")
	f.StringVar(&g.region, "region", "", "AWS region (default: the SDK's chain, AWS_REGION)")
	f.StringVar(&g.config, "config", "", "ctathena config file written by setup (default: ./ctathena.json if present)")
	f.StringVar(&g.out, "out", "", "evidence bundle folder (default ./ctathena-<command>-<UTC time>/); must not exist or be empty")
	f.StringVar(&g.caseID, "case", "", "case id printed on the report")
	f.StringVar(&g.examiner, "examiner", "", "examiner name printed on the report")
	f.StringVar(&g.format, "format", "table", "stdout format: table, csv or json")
	f.BoolVar(&g.dryRun, "dry-run", false, "print the rendered SQL and parameters, run nothing")
	f.Float64Var(&g.maxCost, "max-cost", 0, "on Athena, refuse a run whose estimated cost is over this many US dollars (also max_cost_usd in the config)")
	f.BoolVar(&g.inventory, "inventory", false, "on Athena, record in the manifest the S3 key, size and ETag of every log file in the partitions the queries read (from the cost estimate's listing)")
	f.BoolVar(&g.quiet, "quiet", false, "print only results and errors")
	f.BoolVar(&g.debug, "debug", false, "print progress and details on stderr")
	f.StringVar(&g.geoip, "geoip", "", "MaxMind-format database (.mmdb) to add country, city and ASN to source IPs")
	f.BoolVar(&g.noValidate, "no-validate", false, "skip the log integrity check (CloudTrail digests) of the files an investigation reads")
	f.BoolVar(&g.useCache, "cache", true, "read the logs through the local evidence store ($CTATHENA_CACHE, see 'ctathena cache'), the default: the first command ingests the folder, later ones read only new or changed files")
	f.BoolVar(&g.noCache, "no-cache", false, "read the log files themselves every time, not the local evidence store")
	f.StringVar(&g.publicKeys, "public-keys", "", "CloudTrail public keys for the integrity check, offline: the JSON 'aws cloudtrail list-public-keys' prints (comma-separate one file per region)")
	f.StringVar(&g.memory, "memory", "", "most memory the local engine may use, such as 2GB (default: it starts small, spills to CTATHENA_TMPDIR, and takes up to 60% of this machine's memory when a query needs it)")
	f.StringVar(&g.marking, "marking", reports.DefaultMarking, "marking printed on every page of the report (e.g. \"Privileged & Confidential\")")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		switch g.format {
		case "table", "csv", "json":
		default:
			return usageErr("--format %q: use table, csv or json", g.format)
		}
		switch g.engine {
		case "", "athena", "local":
		default:
			return usageErr("--engine %q: use athena or local", g.engine)
		}
		if g.maxCost < 0 {
			return usageErr("--max-cost %v: give a cost in US dollars, such as 5 or 0.50", g.maxCost)
		}
		if strings.TrimSpace(g.marking) == "" {
			return usageErr("--marking is empty: give the text to print on every page, such as \"Confidential\"")
		}
		if len(g.marking) > 100 {
			return usageErr("--marking is %d characters long; at most 100 fit on a page's header", len(g.marking))
		}
		if g.logs != "" && g.engine == "athena" {
			return usageErr("--logs reads files with the local engine; it cannot be combined with --engine athena")
		}
		if g.memory != "" {
			n, err := local.ParseSize(g.memory)
			if err != nil {
				return usageErr("--memory: %v", err)
			}
			if n < 64e6 {
				return usageErr("--memory %s is too small: the local engine needs at least 64MB", g.memory)
			}
		}
		return nil
	}
	root.AddCommand(
		newExfilCmd(g),
		newQueryCmd(g),
		newVerifyCmd(g),
		newVersionCmd(g),
	)
	for _, c := range extraCommands {
		root.AddCommand(c(g))
	}
	return root
}

// extraCommands lets each command file register itself.
var extraCommands []func(*globals) *cobra.Command
