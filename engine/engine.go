// Package engine is the seam between investigations and the places CloudTrail
// events live. An Engine runs one rendered catalog query (SQL text with `?`
// placeholders plus positional arguments) and returns typed columns, rows and
// statistics. Two implementations exist: engine/local (DuckDB over files on
// disk) and engine/athena (Amazon Athena over the Glue tables).
//
// How to implement an Engine:
//   - Run must never interpolate Args into the SQL text: they are bound as
//     prepared-statement arguments (DuckDB) or ExecutionParameters (Athena).
//   - Table placeholders have already been replaced by the catalog; the engine
//     receives final SQL.
//   - Values in Result.Rows are one of: nil, string, int64, float64, bool,
//     time.Time (always UTC). Column.Type says which one a column holds.
//   - Run honours ctx: a cancelled context stops the query on the engine side
//     (Athena: StopQueryExecution) and returns ctx.Err() wrapped.
//   - Run is safe for concurrent use; investigations run independent queries
//     at the same time.
//   - The engine passes the shared conformance suite in engine/enginetest.
package engine

import (
	"context"
	"time"
)

// Query is one rendered catalog query, ready to run.
type Query struct {
	// Name is the catalog name, e.g. "exfil/top_readers".
	Name string
	// SQL is the final text with `?` placeholders; it holds no user value.
	SQL string
	// Args are the positional arguments for the placeholders, in order.
	// Each is a string or an int64 (validated by the catalog).
	Args []any
}

// Type is the logical type of a result column.
type Type string

const (
	String    Type = "string"
	Integer   Type = "integer"
	Float     Type = "float"
	Boolean   Type = "boolean"
	Timestamp Type = "timestamp"
)

// Column describes one result column.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	// EngineType is the engine's own type name (e.g. "BIGINT", "varchar").
	EngineType string `json:"engine_type,omitempty"`
}

// Stats are what the engine can say about one run.
type Stats struct {
	// ExecutionID is Athena's QueryExecutionId; the local engine makes one up
	// that is unique within the process.
	ExecutionID  string        `json:"execution_id"`
	State        string        `json:"state"`
	Submitted    time.Time     `json:"submitted"`
	Completed    time.Time     `json:"completed"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	BytesScanned int64         `json:"bytes_scanned"`
	// CostUSD is the engine's charge for the run ($5 per TB, 10 MB minimum
	// on Athena; zero locally).
	CostUSD float64 `json:"cost_usd"`
	// EstimatedBytes is what the engine expected the run to scan before it
	// started (Athena: the S3 sizes of the partitions the query reads; -1
	// when that could not be listed; 0 locally, where nothing is billed),
	// and EstimatedCostUSD its charge.
	EstimatedBytes   int64   `json:"estimated_bytes"`
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// Result is the full answer to one query.
type Result struct {
	Columns []Column
	Rows    [][]any
	Stats   Stats
}

// Engine runs catalog queries. See the package comment for the contract.
type Engine interface {
	// Name is "local" or "athena".
	Name() string
	// Version describes the engine for the report (e.g. "DuckDB v1.3.2",
	// "Athena engine version 3").
	Version(ctx context.Context) string
	// Run executes q and returns every row.
	Run(ctx context.Context, q Query) (*Result, error)
	// Coverage says what the engine's data covers (files, accounts, regions,
	// days). It is valid after the first Run.
	Coverage(ctx context.Context) (Coverage, error)
	// Close releases resources. It does not cancel running queries.
	Close() error
}

// Coverage describes what an engine's data covered for an investigation.
type Coverage struct {
	// Sources are where the events came from: a logs folder, or the Glue
	// tables and their S3 locations.
	Sources  []string `json:"sources"`
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
	// Days are the delivery days (YYYY/MM/DD) that had at least one file.
	Days []string `json:"days"`
	// MissingDays are days with no file at all in the period the engine
	// read: the window, and a baseline before it when the command has one
	// (so not every one of them is "in the window").
	MissingDays []string `json:"missing_days"`
	FilesRead   int      `json:"files_read"`
	// FilesPruned were not opened: outside the window's partitions, named
	// as delivered before the window, or (local engine) in partitions the
	// investigation did not need; a Sources line names each rule.
	FilesPruned int           `json:"files_pruned"`
	Skipped     []SkippedFile `json:"skipped"`
	Events      int64         `json:"events"`
	// DuplicateEvents counts deliveries of an eventID already seen.
	DuplicateEvents int64 `json:"duplicate_events"`
	// EventsNotLoaded counts events in the window's files that the
	// investigation's queries cannot use and that were therefore not
	// loaded (the local engine's narrowing; a Sources line says which).
	EventsNotLoaded int64 `json:"events_not_loaded"`
	// NotCloudTrail are files in a plain folder (outside AWSLogs/) that
	// are not CloudTrail logs (other JSON, spreadsheets, an earlier
	// bundle): listed, not read, and no gap in the answer.
	NotCloudTrail []SkippedFile `json:"not_cloudtrail,omitempty"`
	// RecordsWithoutTime counts records with no eventTime: no window can
	// hold them, so they were not loaded.
	RecordsWithoutTime int64 `json:"records_without_eventtime,omitempty"`
	// RecordsWithoutID counts loaded records missing eventID or eventName.
	RecordsWithoutID int64 `json:"records_without_eventid_or_eventname,omitempty"`
	// LogsFirstDay and LogsLastDay (YYYY-MM-DD) bound what the logs hold
	// in and out of the window: delivery days of AWSLogs folders, event
	// days of plain files. Empty when the engine cannot tell (Athena).
	LogsFirstDay string `json:"logs_first_day,omitempty"`
	LogsLastDay  string `json:"logs_last_day,omitempty"`
	// FirstEvent and LastEvent are the eventTime range of the events
	// loaded (RFC 3339), empty when none was.
	FirstEvent string `json:"first_event,omitempty"`
	LastEvent  string `json:"last_event,omitempty"`
	// Counted is true when the engine counted what it loaded (local); on
	// Athena the counts above are unknown, not zero.
	Counted bool `json:"counted,omitempty"`
	// Files are the source log files read, each with its size and SHA-256
	// taken from the bytes as they were read (chain of custody), sorted by
	// path. Paths are relative to the logs folder (local engine).
	Files SourceFiles `json:"files"`
	// Store, if set, says the events came from the local engine's evidence
	// store, and which files (with which hashes) it holds for the window.
	Store *StoreCoverage `json:"store,omitempty"`
}

// SourceFile is one source log file as the engine read it.
type SourceFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// ETag is the S3 object's ETag (Athena inventory), empty locally.
	ETag string `json:"etag,omitempty"`
}

// StoreCoverage describes the evidence store a local run read.
type StoreCoverage struct {
	// Path is the store's database file.
	Path string `json:"path"`
	// Held counts the files of the folder the store holds.
	Held int `json:"files_held"`
	// FilesRead counts the store's files the window reads; ListSHA256 is
	// the SHA-256 of their list, one "<sha256>  <path>" line each (the
	// format of sha256sum), in path order. Files lists them one by one
	// when there are at most a few thousand (the store's files table
	// holds every one).
	FilesRead  int         `json:"files_read"`
	ListSHA256 string      `json:"list_sha256"`
	Files      []StoreFile `json:"files"`
	// Added, Reingested and Removed are the files (relative paths) this
	// run ingested as new, read again because they changed, and removed
	// because they are gone from the folder. FilesAdded counts the added
	// ones; beyond a few thousand (a first ingest: every file of the folder,
	// which Coverage.Files already lists with its hash) Added is left empty
	// and AddedSHA256 is the SHA-256 of their list, one path and a newline
	// each, in path order.
	FilesAdded  int      `json:"files_added"`
	AddedSHA256 string   `json:"added_list_sha256,omitempty"`
	Added       []string `json:"added"`
	Reingested  []string `json:"reingested"`
	Removed     []string `json:"removed"`
}

// StoreFile is a source file as the store recorded it when it read it.
type StoreFile struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256"`
	Events  int64     `json:"events"`
	Skipped string    `json:"skipped,omitempty"`
}

// SkippedFile is a file that could not be read, and why.
type SkippedFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Narrow says what an investigation reads, so an engine that loads the logs
// itself (engine/local) can load only that; Athena ignores it (partition
// projection prunes there). Records a rule drops never reach the engine's
// tables; their files still count as read, their partitions still count in
// Coverage, and Coverage says how many events were left out
// (EventsNotLoaded) and names every rule in a Sources line.
//
// Since the local engine's evidence store became the default, only a
// --no-cache run loads with Narrow (the store holds every event and column
// and ignores it). It stays for that run, measured on the 30-day benchmark
// tree (2026-12-01, side by side, loaded machine): hunt's 82 queries took
// 15.6 s in all over its narrowed load against 28.5 s over every event (the
// store), and the narrowed load read 514,243 events' files without keeping
// the events no query names.
type Narrow struct {
	// Events, if not empty, are the only events loaded over the whole
	// window: eventSource -> eventNames (an empty list keeps every event of
	// that source). A record missing a field a rule needs is dropped.
	Events map[string][]string
	// Before Before, only Keep's events (eventSource -> eventNames) are
	// loaded; events without an eventTime are never dropped by this rule.
	Before time.Time
	Keep   map[string][]string
	// Partitions, if set, prunes the files that can only hold events before
	// Before to the partitions it selects (see PartitionRule).
	Partitions *PartitionRule
	// Queries, if set, are the SQL texts the investigation runs: only the
	// columns they name are loaded (a STRUCT column named only through its
	// fields, only those fields). A query naming another column fails,
	// loudly. Measured on exfil's: DuckDB ingests S3 events ~30% faster.
	Queries []string
	// Why names the need, for the coverage line (e.g. "exfil reads only
	// these").
	Why string
}

// PartitionRule lets an investigation that needs events before its window
// only for what it found in the window read only the partitions that can
// hold them. exfil's baseline is the bucket's reads by the principals that
// read it in the window; S3 delivers every read of a bucket to its owner's
// account and the bucket's region, a partition that also holds the
// window's reads, so the baseline's days need only the partitions where
// the window's reads were found.
//
// The local engine loads the files from the day before Before on (and
// every file outside the AWSLogs layout) first, runs Query over them, and
// then loads the earlier files only in the (account, region) partitions of
// the rows it returns (its two columns: account, region); the others count
// as pruned, and Coverage says so (their accounts, regions and days still
// count as present: the files are there, they were not needed).
type PartitionRule struct {
	Query Query
	// Why names what the partitions hold, for the coverage line.
	Why string
}
