package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/internal/trailgen"
)

// TestSameInputsSameBytes runs every investigation (every hunt pack,
// exfil, access, identity with a pivot) twice over a generated trail big
// enough for DuckDB to split its scans and aggregates over both threads
// (300,000 events: three of its row groups), and compares every
// results/*.csv byte for byte. An arbitrary() choice, or an ORDER BY
// that leaves ties to the engine, shows up here as a different byte. The
// SQL is the text Athena runs too.
func TestSameInputsSameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 300,000-event trail")
	}
	dir := t.TempDir()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	tr, err := trailgen.Generate(filepath.Join(dir, "logs"), trailgen.Config{Seed: 11, Start: start, Days: 5, EventsPerDay: 60_000,
		OrgID: trailgen.DefaultOrgID, Accounts: trailgen.DefaultAccounts[:3], Regions: trailgen.DefaultRegions[:2],
		Scenarios: true, GzipLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
	window := []string{"--since", "2026-10-01", "--until", "2026-10-06"}
	runs := map[string][]string{
		"hunt":     {"hunt"},
		"exfil":    {"exfil", "--bucket", tr.Exfil.Bucket},
		"access":   {"access", "--bucket", tr.Exfil.Bucket},
		"identity": {"identity", "--" + strings.ReplaceAll(tr.Pivot.SeedKind, "_", "-"), tr.Pivot.Seed, "--pivot", "3"},
	}
	for name, args := range runs {
		var outs [2]string
		for i := range outs {
			outs[i] = filepath.Join(dir, name+strconv.Itoa(i))
			full := append(append(append([]string{}, args...), window...), "--logs", logs, "--out", outs[i], "--quiet")
			var stderr bytes.Buffer
			if code := Main(full, strings.NewReader(""), io.Discard, &stderr); code != 0 {
				t.Fatalf("%s: exit %d\n%s", name, code, stderr.String())
			}
		}
		files, _ := filepath.Glob(filepath.Join(outs[0], "results", "*.csv"))
		if len(files) == 0 {
			t.Fatalf("%s wrote no results", name)
		}
		for _, a := range files {
			b := filepath.Join(outs[1], "results", filepath.Base(a))
			x, _ := os.ReadFile(a)
			y, err := os.ReadFile(b)
			if err != nil {
				t.Errorf("%s: second run has no %s", name, filepath.Base(a))
				continue
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s: %s differs between two runs over the same logs (%d and %d bytes)", name, filepath.Base(a), len(x), len(y))
			}
		}
	}
}
