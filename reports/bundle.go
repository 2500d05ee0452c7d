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
	// Severity is "high", "medium" or "info".
	Severity string
	// Text is a sentence a lawyer can read.
	Text string
	// Query is the catalog name the figure comes from ("" if none).
	Query string
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
	// Credits name third-party material the results rely on (for example
	// the TrailDiscover catalog, CC BY 4.0); shown on the cover.
	Credits []string
	Queries []QueryRun
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
	for _, d := range []string{dir, filepath.Join(dir, ResultsDir), filepath.Join(dir, QueriesDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create evidence bundle: %w", err)
		}
	}
	return nil
}
