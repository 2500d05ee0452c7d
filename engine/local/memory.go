package local

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// How much memory DuckDB may take. A run starts lean (DefaultMemoryLimit
// for queries, loadMemoryLimit while loading: measured to keep a 30-day,
// 500,000-event investigation well under 256 MiB of process memory, with
// DuckDB spilling to the temporary folder beyond it). Some operators
// cannot spill (list and string aggregates over wide values, such as
// 3,000 policy documents of 3 KB each), so a query that still runs out of
// memory is run again with twice the limit, up to a ceiling derived from
// the machine: no query fails for memory while the machine has it. A
// limit the user sets (--memory) is both the start and the ceiling.

// memoryFloor is the smallest ceiling, whatever the machine reports.
const memoryFloor = 1 << 30

// ParseSize reads a memory size such as 512MB, 4GB, 2GiB or 1.5G (bytes
// if no unit); it is what --memory takes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   float64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*mult > 1<<50 {
		return 0, fmt.Errorf("%q is not a memory size: use a number with a unit, such as 512MB or 4GB", s)
	}
	return int64(f * mult), nil
}

// machineMemory is the memory this process may use: the cgroup limit if
// one is set, else the physical memory; 0 if neither can be read.
func machineMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64); err == nil {
					total = kb << 10
				}
			}
		}
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
				total = n
			}
		}
	}
	return total
}

// DefaultCeiling is the most DuckDB may take on this machine without
// --memory: 60% of what the machine (or its cgroup) has, at least 1 GiB.
func DefaultCeiling() int64 {
	return max(machineMemory()*6/10, memoryFloor)
}

// moreMemory is the limit a statement that ran out of memory at cur runs
// again with: twice cur, at least least, at most ceiling.
func moreMemory(cur, least, ceiling int64) int64 {
	return min(max(2*cur, least), ceiling)
}

// mib renders a byte count as DuckDB reads it.
func mib(n int64) string { return fmt.Sprintf("%dMiB", max(n>>20, 1)) }

// isOOM reports whether err is DuckDB running out of its memory limit.
func isOOM(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Out of Memory")
}

// explain turns a DuckDB error into what a responder can act on. DuckDB's
// own advice (SET threads, SET memory_limit, PRAGMA ...) is for someone at
// a DuckDB prompt, not for a ctathena user.
func (e *Engine) explain(err error) error {
	msg := err.Error()
	switch {
	case isOOM(err):
		return fmt.Errorf("it needed more memory than the %s the local engine may use (what spills to the temporary folder did not make up for it): run again with a larger --memory, such as --memory %s, on a machine with that much free memory",
			mib(e.ceiling), mib(2*e.ceiling))
	case strings.Contains(msg, "No space left on device") || strings.Contains(msg, "could not write") && strings.Contains(msg, "spill"):
		return fmt.Errorf("the temporary folder %s is full: set CTATHENA_TMPDIR to a folder with more free space and run again", e.spill)
	case strings.Contains(msg, "INTERRUPT"):
		return errors.New("interrupted")
	}
	return errors.New(cleanDuckDB(msg))
}

// cleanDuckDB keeps DuckDB's statement of the problem and drops its tips.
func cleanDuckDB(msg string) string {
	for _, cut := range []string{"\nPossible solutions", "Possible solutions:", "\n\n"} {
		if i := strings.Index(msg, cut); i > 0 {
			msg = msg[:i]
		}
	}
	return strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
}
