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
	// noCache reads the files every time instead of the evidence store
	// (cache.go).
	noCache bool

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
	// Large reports hold many rows; keep the garbage collector's headroom
	// bounded unless the user chose a limit (GOMEMLIMIT).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, getenv: os.Getenv}
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
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	msg := err.Error()
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
	f.BoolVar(&g.quiet, "quiet", false, "print only results and errors")
	f.BoolVar(&g.debug, "debug", false, "print progress and details on stderr")
	f.StringVar(&g.geoip, "geoip", "", "MaxMind-format database (.mmdb) to add country, city and ASN to source IPs")
	f.BoolVar(&g.noValidate, "no-validate", false, "skip the log integrity check (CloudTrail digests) of the files an investigation reads")
	f.BoolVar(&g.noCache, "no-cache", false, "read the log files themselves instead of the local evidence store ($CTATHENA_CACHE, see 'ctathena cache')")
	f.StringVar(&g.publicKeys, "public-keys", "", "CloudTrail public keys for the integrity check, offline: the JSON 'aws cloudtrail list-public-keys' prints (comma-separate one file per region)")
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
		if g.logs != "" && g.engine == "athena" {
			return usageErr("--logs reads files with the local engine; it cannot be combined with --engine athena")
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
