// Package par runs a function over the indexes of a list with a few
// goroutines.
package par

import (
	"context"
	"sync"
)

// For runs fn(w, i) for every i in 0..n-1 on at most workers goroutines; w
// (0..workers-1) names the goroutine, for state it keeps between calls such
// as a buffer. It stops handing out indexes once ctx is done and returns
// when every call it started has returned.
func For(ctx context.Context, workers, n int, fn func(w, i int)) {
	workers = min(workers, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(w, i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
