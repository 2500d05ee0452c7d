package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine/local"
)

// BenchmarkIngest: the first ingest of the 30-day tree into an empty
// evidence store (every event, every column, SHA-256 of every file), side
// by side with the floor, in one process:
//
//   - read+gunzip-s: every file read and decompressed by 2 goroutines;
//   - ingest-s: local.Open into an empty store, and Close;
//   - ingest-cpu-s: the CPU time (user + system) of the ingest;
//   - ingest-rss-MiB: the process's peak RSS during the ingest (the peak is
//     reset just before it, see resetPeakRSS; it includes the test binary's
//     own pages, as a command's does).
//
// Goals (issue 14): ingest/read+gunzip <= 2, ingest-rss-MiB <= 256.
func BenchmarkIngest(b *testing.B) {
	dir := tree(b)
	tmp := b.TempDir()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		readAll(b, dir)
		floor := time.Since(t0)

		cache := filepath.Join(b.TempDir(), "cache")
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS(b)
		cpu0 := cpuTime()
		t0 = time.Now()
		e, err := local.Open(context.Background(), local.Options{Dir: dir, From: start, To: end, TempDir: tmp, Store: cache})
		if err != nil {
			b.Fatal(err)
		}
		ingest := time.Since(t0)
		cpu := cpuTime() - cpu0
		rss := peakRSS(b)
		e.Close()
		b.Logf("read+gunzip %s, ingest %s (CPU %s), peak RSS %d MiB", floor.Round(time.Millisecond),
			ingest.Round(time.Millisecond), cpu.Round(time.Millisecond), rss>>20)
		b.ReportMetric(floor.Seconds(), "read+gunzip-s")
		b.ReportMetric(ingest.Seconds(), "ingest-s")
		b.ReportMetric(cpu.Seconds(), "ingest-cpu-s")
		b.ReportMetric(ingest.Seconds()/floor.Seconds(), "ingest/read+gunzip")
		b.ReportMetric(float64(rss)/(1<<20), "ingest-rss-MiB")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's record of the process's peak RSS
// (Linux: writing 5 to clear_refs), so peakRSS measures from here.
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
}

// peakRSS is the process's peak RSS (VmHWM) since resetPeakRSS, in bytes.
func peakRSS(b *testing.B) int64 {
	txt, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(txt), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
