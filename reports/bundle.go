// Package reports writes the evidence bundle that counsel receives: the
// report.xlsx workbook, every query's rows as CSV, every query's SQL with its
// parameters, a manifest.json that ties each figure to the query, parameters
// and engine run that produced it, and a SHA256SUMS file over all of it.
// Verify recomputes those hashes later and names whatever changed. The
// package sits at the end of the data flow: it knows the engine's result
// types but nothing of how queries were chosen or run, and it reads neither
// the clock nor the environment (the caller passes the generation time).
package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// ErrOutExists is returned (wrapped) by Write when the output folder already
// exists and is not empty, so nothing the user had is ever overwritten.
var ErrOutExists = errors.New("output folder exists and is not empty")

// Param is one named parameter value, kept in the order it was given.
type Param struct{ Name, Value string }

// Finding is one plain-language statement for the Findings sheet.
type Finding struct {
	// Severity is "high", "medium", "low" or "info" (the severity model is
	// defined once, in investigate/severity.go, and printed in the Glossary).
	Severity string
	// Text is a sentence a lawyer can read.
	Text string
	// Query is the catalog name the figure comes from ("" if none).
	Query string
	// EventIDs are every CloudTrail eventID the finding rests on (all of
	// them go to the bundle; the Findings row shows the first few).
	EventIDs []string
	// Events are the events the finding rests on, as the Timeline sheet
	// shows them. It may hold fewer entries than EventIDs when a query
	// returned only the ids.
	Events []Event
	// Sources name every detection that produced the finding (catalog
	// query names, Sigma rule ids) when more than one did.
	Sources []string
	// Attack holds ATT&CK ids (TAxxxx tactics, Txxxx techniques), if any.
	Attack []string
	// Time is when the act happened (the earliest event), zero if unknown;
	// findings of equal severity are ordered by it.
	Time time.Time
}

// Event is one CloudTrail event as the Timeline shows it: every value in
// plain words, all times UTC.
type Event struct {
	Time     time.Time
	EventID  string
	Actor    string // principal ARN, or "anonymous"
	SourceIP string
	// Action is what was done in plain words ("read object", "attached
	// the policy AdministratorAccess"), with the API name in brackets.
	Action string
	Target string // bucket/key, resource ARN or name
	Result string // "succeeded" or the error code
	// Account and Region of the event, when known.
	Account, Region string
	// Country and Network (ASN) of SourceIP, when --geoip gave them.
	Country, Network string
}

// Chart is drawn on the Findings sheet from a query sheet's data: one
// category column against one numeric value column, over the first
// ChartMaxRows rows (queries that feed charts are expected to be sorted).
type Chart struct {
	Title          string
	Query          string
	CategoryColumn string
	ValueColumn    string
	// Kind is "bar" or "line".
	Kind string
}

// QueryRun is one query as it ran, or one table the investigation derived.
type QueryRun struct {
	Name, Summary string
	// SQL is exactly the text that ran, with ? placeholders.
	SQL string
	// Params are the bound values in placeholder order with their catalog
	// names.
	Params  []Param
	Columns []engine.Column
	// Rows hold nil, string, int64, float64, bool or time.Time values.
	Rows  [][]any
	Stats engine.Stats
	// Err is non-empty when the query failed; the bundle is still written.
	Err string
	// Derived marks a table computed by the investigation (graph edges,
	// pivot rounds) rather than by SQL; it gets no .sql file.
	Derived bool
}

// Bundle is everything one command produced.
type Bundle struct {
	Command, Case, Examiner string
	// GeneratedAt is the generation time, passed in (UTC).
	GeneratedAt             time.Time
	ToolVersion, ToolCommit string
	Engine, EngineVersion   string
	// Sources are the logs folder, or the tables and their S3 locations.
	Sources      []string
	Since, Until time.Time
	// Params are every parameter of the command as given.
	Params   []Param
	Coverage engine.Coverage
	Findings []Finding
	Charts   []Chart
	// Notes are warnings shown on the cover and in the manifest.
	Notes []string
	// Incomplete lists why the answer is not complete (failed queries,
	// unreadable files, no events in the window, ...). Empty means
	// COMPLETE. Shown on stderr, as the Cover's status line and as the
	// first Findings row.
	Incomplete []string
	// Summary is three to eight plain sentences for the top of the report
	// (who, what, how much, when, from where). Empty: the report derives
	// it from the findings.
	Summary []string
	// Limitations are what this report cannot see, beyond the fixed list
	// the Limitations sheet always prints.
	Limitations []string
	// Integrity holds the log-integrity lines (digest validation) for the
	// Cover and Coverage; empty when no check ran (the report says so).
	Integrity []string
	// IntegrityFiles are each source log file's integrity status (digest
	// validation), for the manifest; empty when no check ran.
	IntegrityFiles []IntegrityFile
	// Invocation is how the bundle was produced (chain of custody).
	Invocation Invocation
	// Buckets are the buckets investigated and whether their S3 data
	// events appear in the window (for the Limitations sheet).
	Buckets []BucketEvents
	// Marking is printed on every page (default "Confidential").
	Marking string
	// Credits name third-party material the results rely on (for example
	// the TrailDiscover catalog, CC BY 4.0); shown on the cover.
	Credits []string
	Queries []QueryRun
}

// IntegrityFile is one source log file's integrity status.
type IntegrityFile struct {
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of its uncompressed content (what CloudTrail
	// hashes).
	SHA256 string `json:"sha256"`
	// Status is "verified", "hash ok, signature not checked", "changed",
	// "extra", "not covered yet", "not covered" or "listed only by a digest
	// that failed validation".
	Status string `json:"status"`
	// Digest is the digest file that lists it.
	Digest string `json:"digest,omitempty"`
}

// Status is the Cover's status line: COMPLETE, or INCOMPLETE with every
// reason.
func (b *Bundle) Status() string {
	if len(b.Incomplete) == 0 {
		return "COMPLETE"
	}
	return "INCOMPLETE: " + strings.Join(b.Incomplete, " | ")
}

// Invocation records who produced a bundle, where and how.
type Invocation struct {
	CommandLine []string
	Host, User  string
	Start, End  time.Time
}

// BucketEvents says whether a bucket's S3 data events appear in the window.
type BucketEvents struct {
	Name string
	// DataEvents counts the bucket's data events the investigation saw in
	// the window; meaningful only when Counted.
	DataEvents int64
	// Counted is false when the count is unknown (its query failed).
	Counted bool
	// How names what was counted ("reads and failed reads in exfil/top_readers").
	How string
}

// Written describes a bundle on disk.
type Written struct {
	Dir string
	// Files are every file of the bundle, relative to Dir, slash-separated,
	// sorted (SHA256SUMS included).
	Files    []string
	Manifest Manifest
}

// Fixed names inside a bundle.
const (
	ReportName   = "report.xlsx"
	ManifestName = "manifest.json"
	SumsName     = "SHA256SUMS"
	ResultsDir   = "results"
	QueriesDir   = "queries"
)

// Write creates dir (which must not exist, or be empty) and writes the whole
// bundle into it. On error the folder may hold a partial bundle; it will not
// pass Verify.
func Write(dir string, b *Bundle) (*Written, error) {
	if b == nil {
		return nil, errors.New("write evidence bundle: no bundle given")
	}
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	w := &writer{dir: dir, b: b}
	return w.write()
}

// prepareDir refuses an existing non-empty folder and creates the layout.
func prepareDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("create evidence bundle %s: %w (it is a file)", dir, ErrOutExists)
	case err == nil:
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			return fmt.Errorf("create evidence bundle: read %s: %w", dir, rerr)
		}
		if len(entries) > 0 {
			return fmt.Errorf("create evidence bundle %s: %w", dir, ErrOutExists)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("create evidence bundle: %w", err)
	}
	if parent := filepath.Dir(dir); parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("create evidence bundle: %w", err)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, ResultsDir), filepath.Join(dir, QueriesDir)} {
		if err := os.Mkdir(d, dirPerm); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create evidence bundle: %w", err)
		}
		// An empty folder the user made, or a permissive umask, must not
		// leave the bundle readable by others.
		if err := os.Chmod(d, dirPerm); err != nil {
			return fmt.Errorf("create evidence bundle: %w", err)
		}
	}
	return nil
}

// The bundle holds access key ids, ARNs and internal addresses: private to
// its owner, as the AWS CLI writes its credentials file.
const (
	dirPerm  os.FileMode = 0o700
	filePerm os.FileMode = 0o600
)
