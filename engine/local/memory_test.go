package local

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// A query that runs out of DuckDB's memory limit runs again with more, up
// to the ceiling; past the ceiling its error says what to do, in the
// tool's words, never DuckDB's "SET threads" advice.
func TestQueryMemoryRises(t *testing.T) {
	// A 120 MB string aggregate cannot spill.
	big := engineQuery(`SELECT length(string_agg(repeat('x', 600) || i::VARCHAR, ',')) AS n FROM range(200000) t(i)`)
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain"), startLimit: "64MB"})
	res, err := e.Run(context.Background(), big)
	if err != nil {
		t.Fatalf("the limit did not rise: %v", err)
	}
	if n := res.Rows[0][0].(int64); n < 120_000_000 {
		t.Errorf("length %d", n)
	}
	// The limit goes back once the query is done, for the queries after it.
	if e.limit != 64e6 {
		t.Errorf("limit after the query is %d, want 64e6 again", e.limit)
	}
	if _, err := e.Run(context.Background(), big); err != nil {
		t.Fatalf("the limit did not rise a second time: %v", err)
	}
	var limit string
	if err := e.db.QueryRow("SELECT current_setting('memory_limit')").Scan(&limit); err != nil || limit != "61.0 MiB" {
		t.Errorf("DuckDB's memory_limit after the query is %q (%v), want 61.0 MiB (64MB)", limit, err)
	}

	fixed := open(t, Options{Dir: filepath.Join(fixtures, "plain"), MemoryLimit: "80MB"})
	_, err = fixed.Run(context.Background(), big)
	if err == nil {
		t.Fatal("a fixed 80MB limit held a 120 MB aggregate")
	}
	msg := err.Error()
	for _, want := range []string{"needed more memory than the 76MiB the local engine may use", "run again with a larger --memory, such as --memory 152MiB"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "SET ") || strings.Contains(msg, "Possible solutions") {
		t.Errorf("DuckDB's own advice reached the user: %q", msg)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512MB": 512e6, "4GB": 4e9, "2GiB": 2 << 30, "1.5G": 3 << 29, "1048576": 1 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1GB", "0", "12 parsecs"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

// A query that ran out of memory beside others runs again alone at the
// same limit first: the limit rises only for one that needs more by
// itself (the query reports the limit it ran under).
func TestCrowdedQueryRetriesAtSameLimit(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain"), startLimit: "64MB"})
	q := engineQuery(`SELECT current_setting('memory_limit') AS limit`)
	oom := errors.New("Out of Memory Error: could not allocate block")
	for _, c := range []struct {
		crowded bool
		want    string
	}{{true, "61.0 MiB"}, {false, "152.5 MiB"}} {
		res := &engine.Result{}
		if err := e.runAlone(context.Background(), q, res, oom, c.crowded); err != nil {
			t.Fatal(err)
		}
		if got := res.Rows[0][0]; got != c.want {
			t.Errorf("crowded %v: ran again at %v, want %s", c.crowded, got, c.want)
		}
		if e.limit != 64e6 {
			t.Errorf("crowded %v: limit after is %d, want 64e6", c.crowded, e.limit)
		}
	}
}

// The engine gives back the memory DuckDB's allocator kept after a query,
// within a few of its checks (every giveBackEvery) (jemalloc's own decay took 1.3 s:
// 142 MiB idle after this query).
func TestFreedMemoryGivenBack(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("DuckDB bundles jemalloc on Linux only")
	}
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain"), startLimit: "200MB"})
	// Builds and frees a few hundred MB of strings.
	q := engineQuery(`SELECT count(DISTINCT repeat('y', 200) || i::VARCHAR) AS n FROM range(400000) t(i)`)
	if _, err := e.Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	start, after := time.Now(), allocatorIdle()
	deadline := start.Add(500 * time.Millisecond)
	for allocatorIdle() > giveBackAbove && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("idle %d MiB after the query, %d MiB %s later", after>>20, allocatorIdle()>>20, time.Since(start))
	if idle := allocatorIdle(); idle > giveBackAbove {
		t.Errorf("DuckDB's allocator still holds %d MiB of freed memory", idle>>20)
	}
}
