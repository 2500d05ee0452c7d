package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// ManifestSchemaVersion changes whenever a manifest field changes meaning or
// disappears; adding a field does not change it. See MANIFEST.md.
const ManifestSchemaVersion = 1

// Manifest is the machine-readable account of a bundle (manifest.json).
// Field order here is the key order in the file.
type Manifest struct {
	SchemaVersion int                `json:"schema_version"`
	Tool          ManifestTool       `json:"tool"`
	Command       string             `json:"command"`
	Case          string             `json:"case"`
	Examiner      string             `json:"examiner"`
	GeneratedAt   Time               `json:"generated_at"`
	Engine        ManifestEngine     `json:"engine"`
	Sources       []string           `json:"sources"`
	Window        ManifestWindow     `json:"window"`
	Parameters    []ManifestParam    `json:"parameters"`
	Coverage      engine.Coverage    `json:"coverage"`
	Findings      []ManifestFinding  `json:"findings"`
	Invocation    ManifestInvocation `json:"invocation"`
	Marking       string             `json:"marking"`
	Status        ManifestStatus     `json:"status"`
	Summary       []string           `json:"summary"`
	Limitations   []string           `json:"limitations"`
	Notes         []string           `json:"notes"`
	Credits       []string           `json:"credits"`
	Queries       []ManifestQuery    `json:"queries"`
	Files         []ManifestFile     `json:"files"`
	// Integrity is the log integrity check of the source files (see
	// MANIFEST.md); its lists are empty when no check ran.
	Integrity ManifestIntegrity `json:"integrity"`
}

// ManifestIntegrity is the digest validation of the source log files.
type ManifestIntegrity struct {
	Lines []string        `json:"lines"`
	Files []IntegrityFile `json:"files"`
}

// ManifestTool identifies the build that wrote the bundle.
type ManifestTool struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// ManifestEngine identifies the engine that ran the queries.
type ManifestEngine struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ManifestWindow is the investigated time window (inclusive since,
// exclusive until, as the catalog queries compare).
type ManifestWindow struct {
	Since Time `json:"since"`
	Until Time `json:"until"`
}

// ManifestParam is one named value, kept in order.
type ManifestParam struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ManifestFinding is one sentence of the Findings sheet, in the sheet's
// order (Number is its "#" there and on the Timeline).
type ManifestFinding struct {
	Number   int      `json:"number"`
	Severity string   `json:"severity"`
	Text     string   `json:"text"`
	Query    string   `json:"query"`
	Time     Time     `json:"time"`
	EventIDs []string `json:"event_ids"`
	Sources  []string `json:"sources"`
	Attack   []string `json:"attack"`
}

// ManifestInvocation is how the bundle was produced (chain of custody).
type ManifestInvocation struct {
	CommandLine []string `json:"command_line"`
	ToolVersion string   `json:"tool_version"`
	ToolCommit  string   `json:"tool_commit"`
	Host        string   `json:"host"`
	User        string   `json:"user"`
	Examiner    string   `json:"examiner"`
	Start       Time     `json:"start"`
	End         Time     `json:"end"`
}

// ManifestStatus is the completeness status the report prints.
type ManifestStatus struct {
	Complete   bool     `json:"complete"`
	Incomplete []string `json:"incomplete"`
}

// ManifestQuery is one query run (or derived table) and where its files are.
type ManifestQuery struct {
	Name         string          `json:"name"`
	Summary      string          `json:"summary"`
	Derived      bool            `json:"derived"`
	ExecutionID  string          `json:"execution_id"`
	State        string          `json:"state"`
	Error        string          `json:"error"`
	Submitted    Time            `json:"submitted"`
	Completed    Time            `json:"completed"`
	ElapsedMS    int64           `json:"elapsed_ms"`
	BytesScanned int64           `json:"bytes_scanned"`
	CostUSD      float64         `json:"cost_usd"`
	Rows         int             `json:"rows"`
	Columns      []engine.Column `json:"columns"`
	Params       []ManifestParam `json:"params"`
	Files        QueryFiles      `json:"files"`
	Sheets       []string        `json:"sheets"`

	// EstimatedBytes and EstimatedCostUSD are the engine's estimate before
	// the run (Athena; -1 bytes when it could not be made).
	EstimatedBytes   int64   `json:"estimated_bytes"`
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// QueryFiles are a query's files, relative to the bundle folder. SQL is
// empty for derived tables.
type QueryFiles struct {
	SQL string `json:"sql"`
	CSV string `json:"csv"`
}

// ManifestFile is one evidence file with its hash and size.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Time is a UTC timestamp in RFC 3339 (nanoseconds only when present);
// the zero time is null.
type Time time.Time

// MarshalJSON writes null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.UTC().Format(time.RFC3339Nano))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	tt, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(tt.UTC())
	return nil
}

func params(ps []Param) []ManifestParam {
	out := make([]ManifestParam, 0, len(ps))
	for _, p := range ps {
		out = append(out, ManifestParam{Name: p.Name, Value: p.Value})
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// normCoverage replaces nil lists with empty ones so the JSON always has
// arrays, never null, where a list is meant.
func normCoverage(c engine.Coverage) engine.Coverage {
	c.Sources = orEmpty(c.Sources)
	c.Accounts = orEmpty(c.Accounts)
	c.Regions = orEmpty(c.Regions)
	c.Days = orEmpty(c.Days)
	c.MissingDays = orEmpty(c.MissingDays)
	c.Skipped = orEmpty(c.Skipped)
	return c
}

// encodeManifest is the exact bytes of manifest.json: two-space indent, no
// HTML escaping (so "<" in a user agent stays readable), trailing newline.
func encodeManifest(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return buf.Bytes(), nil
}
