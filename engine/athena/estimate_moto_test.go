package athena

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/internal/moto"
)

// countingS3 counts the calls the estimator makes, so a test can tell it
// never reads an object.
type countingS3 struct {
	*s3.Client
	mu   sync.Mutex
	list int
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.mu.Lock()
	c.list++
	c.mu.Unlock()
	return c.Client.ListObjectsV2(ctx, in, o...)
}

// TestEstimateEqualsObjectSizes: on a bucket whose objects' sizes are known,
// the estimate of a query is exactly the sum of the sizes of the log files
// in the partitions its day range covers, across pages of the listing,
// leaving out digest and insight files and the days outside the range.
func TestEstimateEqualsObjectSizes(t *testing.T) {
	srv := moto.Start(t)
	sc := s3.NewFromConfig(motoConfig(srv), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	const bucket = "org-trail"
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	root := "ct/AWSLogs/o-a1b2c3d4e5/"
	type obj struct {
		key  string
		size int
	}
	var objs []obj
	want := int64(0)
	wantParts := map[string]bool{}
	add := func(acct, kind, region, day string, n, size int, in bool) {
		for i := range n {
			objs = append(objs, obj{fmt.Sprintf("%s%s/%s/%s/%s/%s_%s_%d.json.gz", root, acct, kind, region, day, acct, kind, i), size + i})
			if in {
				want += int64(size + i)
				wantParts[acct+region+day] = true
			}
		}
	}
	add("111111111111", "CloudTrail", "us-east-1", "2026/11/01", 3, 1000, true)
	add("111111111111", "CloudTrail", "us-east-1", "2026/11/03", 1, 7777, true)
	add("111111111111", "CloudTrail", "us-east-1", "2026/11/04", 2, 500, false)  // after the range
	add("111111111111", "CloudTrail", "us-east-1", "2026/10/30", 2, 500, false)  // before it
	add("111111111111", "CloudTrail", "eu-west-1", "2026/11/02", 1005, 10, true) // more than one page
	add("111111111111", "CloudTrail-Digest", "us-east-1", "2026/11/01", 2, 99999, false)
	add("222222222222", "CloudTrail-Insight", "eu-west-1", "2026/11/01", 1, 99999, false)
	add("222222222222", "CloudTrail", "ap-south-1", "2026/10/31", 2, 4096, true)
	add("333333333333", "CloudTrail", "us-east-1", "2026/11/01", 2, 5000, false) // an account the table does not project
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make(chan error, len(objs))
	for _, o := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(make([]byte, o.size))})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cs := &countingS3{Client: sc}
	accounts := []string{"111111111111", "222222222222"}
	for i := len(accounts); i < 2000; i++ {
		accounts = append(accounts, fmt.Sprintf("%012d", 400000000000+i))
	}
	regions := []string{"ap-south-1", "eu-west-1", "us-east-1"}
	for i := len(regions); i < 17; i++ {
		regions = append(regions, fmt.Sprintf("xx-test-%d", i))
	}
	est := NewEstimator(cs, []Location{{Table: `"ctathena"."management"`, Bucket: bucket, Root: root, Accounts: accounts, Regions: regions}}, 4, nil)
	q := engine.Query{Name: "hunt/x", SQL: `SELECT 1 FROM "ctathena"."management" WHERE day BETWEEN ? AND ?`,
		Args: []any{"2026/10/31", "2026-11-01T00:00:00Z", "2026/11/03", int64(3)}}
	e, err := est.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if e.Bytes != want || e.Partitions != int64(len(wantParts)) || e.Objects != 3+1+1005+2 {
		t.Errorf("estimate %d bytes in %d files, %d partitions; want %d bytes in %d files, %d partitions", e.Bytes, e.Objects, e.Partitions, want, 3+1+1005+2, len(wantParts))
	}
	if e.Projected != 2000*17*4 || e.DayFrom != "2026/10/31" || e.DayTo != "2026/11/03" {
		t.Errorf("projected %d over %s..%s, want %d over 2026/10/31..2026/11/03", e.Projected, e.DayFrom, e.DayTo, 2000*17*4)
	}
	if e.CostUSD != Cost(want) {
		t.Errorf("cost %v, want %v", e.CostUSD, Cost(want))
	}
	// The listing is made once: a second query over the same days lists
	// nothing more.
	calls := cs.list
	if _, err := est.Query(ctx, q); err != nil || cs.list != calls {
		t.Errorf("second estimate listed again (%d -> %d calls, %v)", calls, cs.list, err)
	}
	// A query with no day range or no configured table is not estimated as
	// zero: it is an error.
	for _, bad := range []engine.Query{
		{Name: "no-days", SQL: `SELECT 1 FROM "ctathena"."management"`, Args: []any{"x"}},
		{Name: "no-table", SQL: `SELECT 1 FROM "other"."t" WHERE day BETWEEN ? AND ?`, Args: []any{"2026/11/01", "2026/11/02"}},
	} {
		if _, err := est.Query(ctx, bad); err == nil {
			t.Errorf("%s estimated", bad.Name)
		}
	}
}
