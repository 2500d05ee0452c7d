package par

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestForEveryIndexOnce(t *testing.T) {
	const n = 1000
	var seen [n]atomic.Int32
	var bad atomic.Bool
	For(context.Background(), 4, n, func(w, i int) {
		if w < 0 || w >= 4 {
			bad.Store(true)
		}
		seen[i].Add(1)
	})
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d ran %d times", i, seen[i].Load())
		}
	}
	if bad.Load() {
		t.Fatal("a worker index outside 0..3")
	}
}

func TestForStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	For(ctx, 1, 100, func(w, i int) {
		if ran.Add(1) == 3 {
			cancel()
		}
	})
	if got := ran.Load(); got >= 100 {
		t.Fatalf("ran %d of 100 after the cancel at 3", got)
	}
}
