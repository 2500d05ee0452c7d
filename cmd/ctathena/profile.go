package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// startProfile is a developer's aid for the benchmarks (README,
// Performance): with $CTATHENA_CPUPROFILE set it writes a CPU profile
// there; with $CTATHENA_MEMPROFILE set it writes, to that path plus
// ".peak", the heap profile taken when the Go heap in use was largest
// (sampled every 50 ms). It returns the function that stops them.
func startProfile() func() {
	if p := os.Getenv("CTATHENA_MEMPROFILE"); p != "" {
		go func() {
			var best uint64
			for {
				time.Sleep(50 * time.Millisecond)
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > best+best/10 {
					best = ms.HeapInuse
					f, _ := os.Create(p + ".peak")
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}()
	}
	path := os.Getenv("CTATHENA_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
