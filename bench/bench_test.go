package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/internal/refreader"
	"github.com/ctathena/ctathena/internal/trailgen"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/sql"
)

var (
	start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end   = start.AddDate(0, 0, 30)
)

// tree returns the benchmark trail, generating it the first time.
func tree(b testing.TB) string {
	b.Helper()
	dir := os.Getenv("CTATHENA_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join("..", ".bench", "trail-30d-500k")
	}
	marker := dir + ".ready" // beside the tree, not in it: the engine would report it
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	b.Logf("generating the 30-day, ~500,000-event trail into %s (once; about a minute)", dir)
	tr, err := trailgen.Generate(dir, trailgen.Config{Seed: 7, Start: start, Days: 30, EventsPerDay: 500_000 / 30,
		OrgID: trailgen.DefaultOrgID, Accounts: trailgen.DefaultAccounts, Regions: trailgen.DefaultRegions, Scenarios: true, GzipLevel: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte(fmt.Sprintf(`{"events": %d, "files": %d}`, tr.Events, tr.Files)), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// jqProgram computes the aggregate the engines compute: per principal,
// successful GetObject calls on the bucket over distinct eventIDs, and their
// bytes out.
const jqProgram = `[inputs.Records[]
  | select(.eventSource == "s3.amazonaws.com" and .eventName == "GetObject" and .errorCode == null
           and .requestParameters.bucketName == "payroll-exports")
  | {id: .eventID, p: (.userIdentity.arn // .userIdentity.principalId // "anonymous"),
     b: (.additionalEventData.bytesTransferredOut // 0)}]
  | unique_by(.id) | group_by(.p)
  | map({principal: .[0].p, objects: length, bytes: (map(.b) | add)})`

// BenchmarkAggregate: one aggregate over 30 days, read from the files every
// time, by the local engine (load + query), by `zcat | jq`, and by a plain
// Go encoding/json reader with 2 goroutines. Goals: jq/local >= 8, go/local >= 2.
// The engine is opened the way `ctathena exfil` opens it: loading only the
// events and the columns exfil's queries read (investigate.ExfilLoad),
// as jq's select and the Go reader keep only what the aggregate needs;
// every file is still read. local-full-s is the same aggregate after loading every event (what
// hunt and identity load).
func BenchmarkAggregate(b *testing.B) {
	dir := tree(b)
	ctx := context.Background()
	cat, err := sql.Default()
	if err != nil {
		b.Fatal(err)
	}
	dayFrom, dayTo := start.AddDate(0, 0, -1).Format("2006/01/02"), end.AddDate(0, 0, 1).Format("2006/01/02")
	r, err := cat.MustGet("exfil/top_readers").Render(map[string]string{"data": local.View}, map[string]string{
		"buckets": "payroll-exports", "since": start.Format(time.RFC3339), "until": end.Format(time.RFC3339),
		"day_from": dayFrom, "day_to": dayTo, "ip_lo": "-1", "ip_hi": "-1"})
	if err != nil {
		b.Fatal(err)
	}
	var localT, fullT, jqT, goT, warmT, floorT time.Duration
	var localObjects, fullObjects, goObjects int64
	aggregate := func(narrow *local.Narrow) (time.Duration, int64) {
		t0 := time.Now()
		e, err := local.Open(ctx, local.Options{Dir: dir, From: start, To: end, TempDir: b.TempDir(), Narrow: narrow})
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.Run(ctx, engine.Query{Name: r.Name, SQL: r.SQL, Args: r.Args})
		if err != nil {
			b.Fatal(err)
		}
		cold := time.Since(t0)
		// The same aggregate again on the loaded engine: what every
		// further query of an investigation costs.
		t1 := time.Now()
		if _, err := e.Run(ctx, engine.Query{Name: r.Name, SQL: r.SQL, Args: r.Args}); err != nil {
			b.Fatal(err)
		}
		warmT += time.Since(t1)
		e.Close()
		return cold, sumCol(res, "reads")
	}
	for i := 0; i < b.N; i++ {
		h, err := investigate.ExfilLoad(cat, investigate.ExfilOptions{Buckets: []string{"payroll-exports"},
			Window: investigate.Window{Since: start, Until: end}}, local.View)
		if err != nil {
			b.Fatal(err)
		}
		t, n := aggregate(h) // its Before rule is idle: the window has no baseline
		localT += t
		localObjects = n
		t, n = aggregate(nil)
		fullT += t
		fullObjects = n

		t0 := time.Now()
		readAll(b, dir)
		floorT += time.Since(t0)

		t0 = time.Now()
		ans, err := refreader.Exfil(ctx, dir, refreader.Options{Bucket: "payroll-exports", Since: start, Until: end, Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		goT += time.Since(t0)
		goObjects = ans.Objects

		if _, err := exec.LookPath("jq"); err == nil {
			t0 = time.Now()
			cmd := exec.Command("bash", "-c", `find "$1" -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 zcat | jq -n -c "$2" > /dev/null`, "bash", dir, jqProgram)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("zcat | jq: %v\n%s", err, out)
			}
			jqT += time.Since(t0)
		}
	}
	if localObjects != goObjects || fullObjects != goObjects {
		b.Fatalf("the engines disagree: local %d objects (full load %d), Go reader %d", localObjects, fullObjects, goObjects)
	}
	n := float64(b.N)
	b.ReportMetric(localT.Seconds()/n, "local-s")
	b.ReportMetric(fullT.Seconds()/n, "local-full-s")
	b.ReportMetric(warmT.Seconds()/(2*n), "local-warm-query-s")
	b.ReportMetric(floorT.Seconds()/n, "read+gunzip-only-s")
	b.ReportMetric(goT.Seconds()/fullT.Seconds(), "gojson2/local-full")
	b.ReportMetric(goT.Seconds()/n, "gojson2-s")
	b.ReportMetric(goT.Seconds()/localT.Seconds(), "gojson2/local")
	if jqT > 0 {
		b.ReportMetric(jqT.Seconds()/n, "jq-s")
		b.ReportMetric(jqT.Seconds()/localT.Seconds(), "jq/local")
		b.ReportMetric(jqT.Seconds()/floorT.Seconds(), "jq/read+gunzip-only")
	} else {
		b.Log("jq not installed: apt-get install jq for the zcat | jq baseline")
	}
}

// readAll reads and decompresses every log file under dir with 2
// goroutines and does nothing else: the floor under any reader of these
// files on this machine (the engine reads them the same way).
func readAll(b *testing.B, dir string) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var zr *gzip.Reader
			var out bytes.Buffer
			for p := range work {
				raw, err := os.ReadFile(p)
				if err != nil {
					b.Error(err)
					continue
				}
				if zr == nil {
					zr, err = gzip.NewReader(bytes.NewReader(raw))
				} else {
					err = zr.Reset(bytes.NewReader(raw))
				}
				if err != nil {
					b.Error(err)
					zr = nil
					continue
				}
				out.Reset()
				if _, err := io.Copy(&out, zr); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
}

func sumCol(r *engine.Result, col string) int64 {
	idx := -1
	for i, c := range r.Columns {
		if c.Name == col {
			idx = i
		}
	}
	var n int64
	for _, row := range r.Rows {
		if v, ok := row[idx].(int64); ok {
			n += v
		}
	}
	return n
}

// BenchmarkExfilWindow: the whole `ctathena exfil` (a separate process, as a
// user runs it, bundle included) over 30 days against one day, and its peak
// memory. Partition pruning should make one day >= 4x cheaper; the 14-day
// baseline widens what one day reads, so both are measured with
// --baseline 1d (pruning alone) and with the default 14d.
func BenchmarkExfilWindow(b *testing.B) {
	dir := tree(b)
	bin := filepath.Join(b.TempDir(), "ctathena")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ctathena").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	// Peak memory comes from GNU time run in between: the rusage of a child
	// the benchmark starts itself counts the benchmark's own memory too
	// (the child shares it until exec), which made 1-day and 30-day runs
	// report the same 309 MiB.
	gnuTime, _ := exec.LookPath("time")
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		gnuTime = "/usr/bin/time"
	}
	if gnuTime == "" {
		b.Log("no GNU time (apt-get install time): peak RSS falls back to rusage, which includes the benchmark process")
	}
	run := func(since, until, baseline string) (time.Duration, int64) {
		out := filepath.Join(b.TempDir(), "bundle")
		args := []string{"exfil", "--logs", dir, "--bucket", "payroll-exports", "--since", since, "--until", until,
			"--baseline", baseline, "--out", out, "--quiet", "--format", "json", "--no-cache"} // the files, as measured before the store
		rssFile := filepath.Join(b.TempDir(), "rss")
		cmd := exec.Command(bin, args...)
		if gnuTime != "" {
			cmd = exec.Command(gnuTime, append([]string{"-f", "%M", "-o", rssFile, bin}, args...)...)
		}
		cmd.Env = append(os.Environ(), "CTATHENA_TMPDIR="+b.TempDir())
		t0 := time.Now()
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("exfil %s..%s: %v\n%s", since, until, err, tailOf(string(o)))
		}
		elapsed := time.Since(t0)
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		if gnuTime != "" {
			txt, err := os.ReadFile(rssFile)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := fmt.Sscan(string(txt), &rss); err != nil {
				b.Fatalf("GNU time wrote %q: %v", txt, err)
			}
		}
		return elapsed, rss
	}
	oneDay := start.AddDate(0, 0, 20)
	for i := 0; i < b.N; i++ {
		for _, base := range []string{"1d", "14d"} {
			t30, rss30 := run(start.Format("2006-01-02"), end.Format("2006-01-02"), base)
			t1, rss1 := run(oneDay.Format("2006-01-02"), oneDay.AddDate(0, 0, 1).Format("2006-01-02"), base)
			b.ReportMetric(t30.Seconds(), "30d-s/baseline-"+base)
			b.ReportMetric(t1.Seconds(), "1d-s/baseline-"+base)
			b.ReportMetric(t30.Seconds()/t1.Seconds(), "30d/1d/baseline-"+base)
			b.ReportMetric(float64(max(rss30, rss1))/1024, "peak-rss-MiB/baseline-"+base)
		}
	}
}

func tailOf(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
