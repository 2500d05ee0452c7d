package tables

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Config is what setup writes and later commands read: where the tables
// are and how to query them.
type Config struct {
	Region          string                 `json:"region,omitempty"`
	Database        string                 `json:"database"`
	Workgroup       string                 `json:"workgroup"`
	ResultsLocation string                 `json:"results_location"`
	Tables          map[string]TableConfig `json:"tables"`
	OrgID           string                 `json:"org_id,omitempty"`
	Accounts        []string               `json:"accounts,omitempty"`
	Regions         []string               `json:"regions,omitempty"`
	Start           string                 `json:"start,omitempty"`
	ScanLimitBytes  int64                  `json:"scan_limit_bytes,omitempty"`
	// Account is the AWS account holding the Glue catalog and workgroup,
	// used to scope the IAM policy; empty scopes it to any account.
	Account string `json:"account,omitempty"`
	// KMSKeys are the KMS keys (ARNs) the trails are encrypted with
	// (SSE-KMS); the IAM policy grants kms:Decrypt on them.
	KMSKeys []string `json:"kms_keys,omitempty"`
	// MaxCostUSD refuses investigations whose estimated Athena cost is
	// over it (--max-cost overrides it); 0 sets no limit.
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
}

// TableConfig locates one table: "management" and "data" are the keys.
type TableConfig struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Bucket   string `json:"bucket,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	OrgID    string `json:"org_id,omitempty"`
}

// LoadConfig reads a config file written by SaveConfig.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return &c, nil
}

// ErrConfigConflict means the config file on disk says something the new
// one would silently drop.
var ErrConfigConflict = errors.New("config file differs")

// SaveConfig writes c to path. When a config is already there it is merged:
// accounts, regions and tables add up, and a setting that differs (another
// database, another table location) is a conflict reported with
// ErrConfigConflict unless overwrite is set. The write is atomic.
func SaveConfig(path string, c Config, overwrite bool) error {
	if old, err := LoadConfig(path); err == nil && !overwrite {
		merged, err := MergeConfig(*old, c)
		if err != nil {
			return fmt.Errorf("save config %s: %w", path, err)
		}
		c = merged
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) && !overwrite {
		return fmt.Errorf("save config: existing file is unreadable, not overwriting it: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ctathena-config-*")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// MergeConfig combines an existing config with a new one without losing
// anything: lists are unioned, tables added, and empty new settings keep
// the old value. Settings both sides set differently are a conflict.
func MergeConfig(old, cur Config) (Config, error) {
	var conflicts []string
	str := func(name string, o string, n *string) {
		switch {
		case *n == "":
			*n = o
		case o != "" && o != *n:
			conflicts = append(conflicts, fmt.Sprintf("%s %q -> %q", name, o, *n))
		}
	}
	str("region", old.Region, &cur.Region)
	str("database", old.Database, &cur.Database)
	str("workgroup", old.Workgroup, &cur.Workgroup)
	str("results_location", old.ResultsLocation, &cur.ResultsLocation)
	str("org_id", old.OrgID, &cur.OrgID)
	str("account", old.Account, &cur.Account)
	if cur.Start == "" || (old.Start != "" && old.Start < cur.Start) {
		cur.Start = old.Start // the earlier start covers more
	}
	if cur.ScanLimitBytes == 0 {
		cur.ScanLimitBytes = old.ScanLimitBytes
	}
	if cur.MaxCostUSD == 0 {
		cur.MaxCostUSD = old.MaxCostUSD
	}
	cur.Accounts = sortedUnique(append(slices.Clone(cur.Accounts), old.Accounts...))
	cur.Regions = sortedUnique(append(slices.Clone(cur.Regions), old.Regions...))
	if len(cur.KMSKeys) > 0 || len(old.KMSKeys) > 0 {
		cur.KMSKeys = sortedUnique(append(slices.Clone(cur.KMSKeys), old.KMSKeys...))
	}
	if cur.Tables == nil {
		cur.Tables = map[string]TableConfig{}
	}
	for k, ot := range old.Tables {
		nt, ok := cur.Tables[k]
		if !ok {
			cur.Tables[k] = ot
			continue
		}
		if nt.Name != ot.Name || nt.Location != ot.Location {
			conflicts = append(conflicts, fmt.Sprintf("table %s %s at %s -> %s at %s", k, ot.Name, ot.Location, nt.Name, nt.Location))
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return cur, fmt.Errorf("%w: %s (use a new --config file, or overwrite it deliberately)", ErrConfigConflict, strings.Join(conflicts, "; "))
	}
	return cur, nil
}
