package reports

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/xuri/excelize/v2"
)

// benchRows builds n rows of 15 text columns shaped like CloudTrail fields.
// Values come from a pool of pre-built ones so the input itself stays small
// next to what the writers allocate.
func benchRows(n int) ([]engine.Column, [][]any) {
	const ncol, pool = 15, 4096
	cols := make([]engine.Column, ncol)
	vals := make([][]any, ncol)
	for c := range cols {
		cols[c] = engine.Column{Name: fmt.Sprintf("col_%02d", c), Type: engine.String}
		vals[c] = make([]any, pool)
		for i := range vals[c] {
			vals[c][i] = fmt.Sprintf("arn:aws:iam::%012d:user/u%d-%s", i*7919%1000000000000, c, strings.Repeat("x", i%17))
		}
	}
	cells := make([]any, n*ncol)
	rows := make([][]any, n)
	for r := range rows {
		row := cells[r*ncol : (r+1)*ncol : (r+1)*ncol]
		for c := range row {
			row[c] = vals[c][(r*31+c*7)%pool]
		}
		rows[r] = row
	}
	return cols, rows
}

// peak tracks the largest heap the Go runtime held and the process's peak
// resident set (VmHWM, reset through /proc/self/clear_refs where allowed).
type peak struct {
	cpu0     time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
	heapSys  uint64
	resetHWM bool
}

func startPeak() *peak {
	p := &peak{stop: make(chan struct{}), cpu0: cpuTime()}
	p.resetHWM = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			p.heapSys = max(p.heapSys, ms.HeapInuse)
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peak) end() (heapMiB, hwmMiB float64, cpu time.Duration) {
	close(p.stop)
	p.wg.Wait()
	return float64(p.heapSys) / (1 << 20), float64(vmHWM()) / (1 << 20), cpuTime() - p.cpu0
}

// cpuTime is the process's user+system time: on a shared machine the
// wall clock mostly measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func vmHWM() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseUint(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchN is the row count of BenchmarkSheet1M; lowered only when profiling.
var benchN = 1_000_000

// BenchmarkSheet1M writes 1,000,000 rows x 15 text columns as a report
// sheet (the whole workbook path: stream writer, zip, canonical rewrite)
// and as the results CSV, side by side. Run with -benchtime=1x.
func BenchmarkSheet1M(b *testing.B) {
	// Measure what users get: the CLI caps the Go heap's headroom the same
	// way (cmd/ctathena Main) unless GOMEMLIMIT is set.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
	}
	cols, rows := benchRows(benchN)
	q := QueryRun{Name: "bench/rows", SQL: "SELECT 1", Columns: cols, Rows: rows}
	runtime.GC()
	var csvNs, xlsxNs float64
	var csvCPU, xlsxCPU time.Duration
	b.Run("csv", func(b *testing.B) {
		csvNs, csvCPU = measureWrite(b, "rows.csv", func(out io.Writer) error { return writeCSV(out, &q) })
	})
	runtime.GC()
	b.Run("xlsx", func(b *testing.B) {
		xlsxNs, xlsxCPU = measureWrite(b, "report.xlsx", func(out io.Writer) error {
			w := &writer{dir: b.TempDir(), b: &Bundle{Queries: []QueryRun{q}}, csvs: []string{"results/bench__rows.csv"},
				sqls: []string{"queries/bench__rows.sql"}, sheet: make([][]string, 1)}
			return w.writeWorkbook(out, nil)
		})
	})
	if csvNs > 0 {
		b.Logf("xlsx/csv wall-time ratio %.2f (csv %.2fs, xlsx %.2fs); cpu-time ratio %.2f (csv %.2fs, xlsx %.2fs)",
			xlsxNs/csvNs, csvNs/1e9, xlsxNs/1e9, xlsxCPU.Seconds()/csvCPU.Seconds(), csvCPU.Seconds(), xlsxCPU.Seconds())
	}
}

// BenchmarkRolloverRealLimit is the honest rollover check at Excel's real
// row limit (too slow for the unit tests, which lower the limit): a sheet
// holds its title, description and heading rows and TotalRows-3 data rows,
// so one row more lands on sheet (2).
func BenchmarkRolloverRealLimit(b *testing.B) {
	n := excelize.TotalRows - queryHeadRows + 1 // head rows + (n-1) rows fill sheet 1; 1 row left
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i)}
	}
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "bundle")
		w, err := Write(dir, &Bundle{Queries: []QueryRun{{Name: "big/rows", SQL: "SELECT 1",
			Columns: []engine.Column{{Name: "n", Type: engine.Integer}}, Rows: rows}}})
		if err != nil {
			b.Fatal(err)
		}
		sheets := w.Manifest.Queries[0].Sheets
		if len(sheets) != 2 || sheets[1] != "big.rows (2)" {
			b.Fatalf("sheets %q, want big.rows and big.rows (2)", sheets)
		}
		f, err := excelize.OpenFile(filepath.Join(dir, ReportName))
		if err != nil {
			b.Fatal(err)
		}
		got, _ := f.GetRows(sheets[1])
		last, _ := f.GetCellValue(sheets[0], fmt.Sprintf("A%d", excelize.TotalRows))
		f.Close()
		if len(got) != queryHeadRows+1 || got[queryHeadRows][0] != groupThousands(int64(n-1)) || last != groupThousands(int64(n-2)) {
			b.Fatalf("second sheet %q, last row of first %q", got, last)
		}
	}
}

// measureWrite times write into a file b.N times and reports CPU time, peak
// heap, peak RSS and file size; it returns wall and CPU time per run.
func measureWrite(b *testing.B, name string, write func(io.Writer) error) (float64, time.Duration) {
	dir := b.TempDir()
	p := startPeak()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := write(bw); err != nil {
			b.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	heap, hwm, cpu := p.end()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	st, _ := os.Stat(filepath.Join(dir, name))
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(hwm, "peak-rss-MiB")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	return ns, cpu / time.Duration(b.N)
}
