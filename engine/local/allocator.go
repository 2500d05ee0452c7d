package local

import (
	"sync"
	"time"
)

// DuckDB's allocator (jemalloc, in its Linux builds) keeps memory that a
// query freed for up to a second (its decay time) before it gives the pages
// back, and glibc's heap (DuckDB's other allocations) keeps freed pages
// until trimmed. Neither is part of DuckDB's memory_limit. Measured on the
// 30-day benchmark tree, hunt over the store: 26 hunt queries run one
// after another left 142 MiB RSS (anonymous) with 32 MiB of Go heap and 24
// MiB in DuckDB's buffer pool; giving the freed pages back left 66 MiB. A
// decay of 0 (every free returned at once) made the queries 45% slower;
// decays of 10-200 ms did not lower the peak. Checking every 100 ms and
// giving back once more than 16 MiB is idle: hunt's peak went from 294-337
// to 240-257 MiB (queries not run again) at the same speed within the
// machine's noise (three runs each, side by side). Every 25 ms instead
// of 100 (2026-12-02, three runs each, side by side, one binary): a first
// 30-day exfil, ingest included, 249-273 -> 246-249 MiB, and hunt over the
// store 253-271 -> 241-251 MiB, 6.2 s -> 6.2-6.4 s; the spikes were
// shorter than 100 ms (sampled every 5 ms: jemalloc held 100 MiB freed
// beside 37 in use while the store's per-file counts were written). A
// second batch, the builds before and after, did not repeat the hunt
// figure (242-248 against 245-259 MiB): a peak varies by about 15 MiB
// from run to run here.
const (
	giveBackEvery = 25 * time.Millisecond
	giveBackAbove = 16 << 20
)

// giveBack runs while any engine is open.
var giveBack struct {
	mu   sync.Mutex
	open int
	stop chan struct{}
}

// startGiveBack starts giving freed memory back, once for the process; the
// function it returns stops it when the last engine closes.
func startGiveBack() func() {
	giveBack.mu.Lock()
	defer giveBack.mu.Unlock()
	if giveBack.open == 0 {
		stop := make(chan struct{})
		giveBack.stop = stop
		go func() {
			t := time.NewTicker(giveBackEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if allocatorIdle() > giveBackAbove {
						allocatorGiveBack()
					}
				}
			}
		}()
	}
	giveBack.open++
	var once sync.Once
	return func() {
		once.Do(func() {
			giveBack.mu.Lock()
			defer giveBack.mu.Unlock()
			if giveBack.open--; giveBack.open == 0 {
				close(giveBack.stop)
			}
		})
	}
}
