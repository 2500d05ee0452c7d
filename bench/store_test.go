package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine/local"
)

// BenchmarkStore: the evidence store on the 30-day tree, side by side with
// reading the files. One run of each, in this order:
//
//   - read+gunzip-s: every file read and decompressed by 2 goroutines (the
//     floor);
//   - ingest-s: local.Open into an empty store (every event, every column)
//     and Close, in-process;
//   - files-<cmd>-s: the command as a process with --no-cache (today);
//   - first-hunt-s: hunt as a process on an empty store (ingest included);
//   - store-<cmd>-s: the command as a process on the store (the second
//     command of an investigation).
//
// files/store-<cmd>-engine compares the engine's part alone (until the
// last query completed; see run).
//
// Goals: files/store >= 30 for every command, ingest/read+gunzip <= 2, and
// peak RSS <= 256 MiB (peak-rss-MiB is the largest of the processes, by
// GNU time).
func BenchmarkStore(b *testing.B) {
	dir := tree(b)
	bin := filepath.Join(b.TempDir(), "ctathena")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ctathena").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	gnuTime := "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		b.Skip("no GNU time (apt-get install time) for peak RSS")
	}
	tmp := b.TempDir()
	// run returns the command's wall time, its peak RSS and how long it
	// took until its last query completed (the engine's part: opening the
	// store or loading the files, and the queries; the rest is turning
	// rows into findings and writing the report, which the store does not
	// change).
	run := func(cache string, args ...string) (time.Duration, int64, time.Duration) {
		out := filepath.Join(b.TempDir(), "bundle")
		args = append(args, "--logs", dir, "--since", start.Format("2006-01-02"), "--until", end.Format("2006-01-02"),
			"--out", out, "--quiet", "--format", "json", "--no-validate")
		if cache == "" {
			args = append(args, "--no-cache")
		}
		rssFile := filepath.Join(b.TempDir(), "rss")
		cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", rssFile, bin}, args...)...)
		cmd.Env = append(os.Environ(), "CTATHENA_TMPDIR="+tmp, "CTATHENA_CACHE="+cache)
		t0 := time.Now()
		if o, err := cmd.CombinedOutput(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
				b.Fatalf("%v: %v\n%s", args, err, tailOf(string(o)))
			}
		}
		elapsed := time.Since(t0)
		var rss int64
		txt, err := os.ReadFile(rssFile)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Fields(string(txt)) // "Command exited with non-zero status 3" comes first
		if len(lines) == 0 {
			b.Fatalf("GNU time wrote nothing")
		}
		if _, err := fmt.Sscan(lines[len(lines)-1], &rss); err != nil {
			b.Fatalf("GNU time wrote %q: %v", txt, err)
		}
		engine := elapsed
		if m, err := os.ReadFile(filepath.Join(out, "manifest.json")); err == nil {
			var man struct {
				Queries []struct {
					Completed time.Time `json:"completed"`
				} `json:"queries"`
			}
			if json.Unmarshal(m, &man) == nil {
				var last time.Time
				for _, q := range man.Queries {
					if q.Completed.After(last) {
						last = q.Completed
					}
				}
				if !last.IsZero() {
					engine = last.Sub(t0)
				}
			}
		}
		b.Logf("%v (cache %q): %s (engine %s), %d MiB", args[:1], cache, elapsed.Round(time.Millisecond), engine.Round(time.Millisecond), rss/1024)
		return elapsed, rss, engine
	}
	cmds := map[string][]string{
		"hunt":  {"hunt"},
		"exfil": {"exfil", "--bucket", "payroll-exports"},
	}
	for i := 0; i < b.N; i++ {
		var peak int64
		// Once untimed first, so that the floor and the ingest both read the
		// files from the page cache: measured cold (after the 10M trail had
		// been read), the floor took 10.5 s and the ingest after it 14.9 s.
		readAll(b, dir)
		t0 := time.Now()
		readAll(b, dir)
		floor := time.Since(t0)
		b.ReportMetric(floor.Seconds(), "read+gunzip-s")

		cache := filepath.Join(b.TempDir(), "cache")
		t0 = time.Now()
		e, err := local.Open(context.Background(), local.Options{Dir: dir, From: start, To: end, TempDir: tmp, Store: cache})
		if err != nil {
			b.Fatal(err)
		}
		ingest := time.Since(t0)
		e.Close()
		b.Logf("read+gunzip %s, ingest %s", floor.Round(time.Millisecond), ingest.Round(time.Millisecond))
		b.ReportMetric(ingest.Seconds(), "ingest-s")
		b.ReportMetric(ingest.Seconds()/floor.Seconds(), "ingest/read+gunzip")

		first, rss, _ := run(filepath.Join(b.TempDir(), "cache2"), "hunt")
		peak = max(peak, rss)
		b.ReportMetric(first.Seconds(), "first-hunt-s")
		b.ReportMetric(float64(rss)/1024, "first-hunt-rss-MiB")

		for name, args := range cmds {
			tf, rf, ef := run("", args...)
			ts, rs, es := run(cache, args...)
			b.ReportMetric(ef.Seconds(), "files-"+name+"-engine-s")
			b.ReportMetric(es.Seconds(), "store-"+name+"-engine-s")
			b.ReportMetric(ef.Seconds()/es.Seconds(), "files/store-"+name+"-engine")
			peak = max(peak, rf, rs)
			b.ReportMetric(tf.Seconds(), "files-"+name+"-s")
			b.ReportMetric(ts.Seconds(), "store-"+name+"-s")
			b.ReportMetric(tf.Seconds()/ts.Seconds(), "files/store-"+name)
			b.ReportMetric(float64(rf)/1024, "files-"+name+"-rss-MiB")
			b.ReportMetric(float64(rs)/1024, "store-"+name+"-rss-MiB")
		}
		b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
	}
}
