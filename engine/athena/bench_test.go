package athena

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"

	"github.com/ctathena/ctathena/engine"
)

func bigFake(n int) *fakeAthena {
	f := newFake()
	f.cols = []types.ColumnInfo{col("eventid", "varchar"), col("bytes", "bigint"), col("useragent", "varchar")}
	for i := range n {
		f.rows = append(f.rows, []*string{aws.String("ev-" + strconv.Itoa(i)), aws.String(strconv.Itoa(i * 7)), aws.String(`aws-cli/2 "x", y`)})
	}
	return f
}

// BenchmarkResultFetch100k counts the requests needed to read a
// 100,000-row result: the CSV object versus GetQueryResults paging.
func BenchmarkResultFetch100k(b *testing.B) {
	const n = 100_000
	for _, path := range []string{"csv", "paging"} {
		b.Run(path, func(b *testing.B) {
			var reqs int
			for b.Loop() {
				f := bigFake(n)
				if path == "paging" {
					f.s3Err = &smithy.GenericAPIError{Code: "AccessDenied", Message: "managed results"}
				}
				res, err := New(f, f, fastOptions()).Run(context.Background(), engine.Query{Name: "bench", SQL: "SELECT 1"})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Rows) != n {
					b.Fatalf("%d rows", len(res.Rows))
				}
				reqs = f.Calls("GetQueryResults") + f.Calls("GetObject")
			}
			b.ReportMetric(float64(reqs), "requests")
		})
	}
}

// BenchmarkPack8x2s runs 8 queries that each take 2 s on the (fake) service
// with 4 in flight, in real time; the goal is <= 1.2 * 2 rounds * 2 s.
func BenchmarkPack8x2s(b *testing.B) {
	for b.Loop() {
		f := newFake()
		f.runtime = 2 * time.Second
		f.cols = []types.ColumnInfo{col("x", "varchar")}
		e := New(f, f, Options{Workgroup: "w", PollMin: 100 * time.Millisecond, PollMax: 250 * time.Millisecond})
		start := time.Now()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := e.Run(context.Background(), engine.Query{Name: "pack", SQL: "SELECT 1"}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		b.ReportMetric(took.Seconds(), "s/pack")
		b.ReportMetric(float64(f.maxSeen), "max-in-flight")
		if took > time.Duration(1.2*2*2*float64(time.Second)) {
			b.Errorf("pack took %s, goal <= 4.8s", took)
		}
	}
}
