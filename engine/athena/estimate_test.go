package athena

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ctathena/ctathena/engine"
)

// memS3 lists an in-memory bucket the way S3 does: keys in order, a
// delimiter rolling them up, StartAfter, and pages of at most max entries.
type memS3 struct {
	keys  []string // sorted
	sizes map[string]int64
	max   int
	// calls counts requests; the estimator lists folders concurrently.
	calls atomic.Int64
}

func (m *memS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	m.calls.Add(1)
	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	after := aws.ToString(in.StartAfter)
	if tok := aws.ToString(in.ContinuationToken); tok != "" {
		after = tok
	}
	out := &s3.ListObjectsV2Output{}
	seen := map[string]bool{}
	n := 0
	for _, k := range m.keys {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if n == m.max {
			out.IsTruncated = aws.Bool(true)
			break
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out.CommonPrefixes = append(out.CommonPrefixes, s3types.CommonPrefix{Prefix: aws.String(cp)})
					n++
				}
				out.NextContinuationToken = aws.String(cp + "\xff")
				continue
			}
		}
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), Size: aws.Int64(m.sizes[k])})
		out.NextContinuationToken = aws.String(k)
		n++
	}
	if !aws.ToBool(out.IsTruncated) {
		out.NextContinuationToken = nil
	}
	return out, nil
}

func newMemS3(files map[string]int64) *memS3 {
	m := &memS3{sizes: files, max: 2}
	for k := range files {
		m.keys = append(m.keys, k)
	}
	slices.Sort(m.keys)
	return m
}

const tbl = `"ctathena"."management"`

func memEstimator(t *testing.T) (*Estimator, *memS3) {
	t.Helper()
	root := "AWSLogs/o-a1b2c3d4e5/"
	m := newMemS3(map[string]int64{
		root + "111111111111/CloudTrail/us-east-1/2026/11/01/a.json.gz":     300 << 20,
		root + "111111111111/CloudTrail/us-east-1/2026/11/02/b.json.gz":     200 << 20,
		root + "111111111111/CloudTrail/eu-west-1/2026/11/02/c.json.gz":     100 << 20,
		root + "222222222222/CloudTrail/us-east-1/2026/11/02/d.json.gz":     24 << 20,
		root + "222222222222/CloudTrail-Digest/us-east-1/2026/11/02/d.json": 1 << 30,
	})
	return NewEstimator(m, []Location{{Table: tbl, Bucket: "b", Root: root,
		Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"eu-west-1", "us-east-1"}}}, 2, nil), m
}

// TestRunRecordsEstimate: the engine prices a query before starting it and
// records the estimate beside what Athena reports scanned.
func TestRunRecordsEstimate(t *testing.T) {
	est, _ := memEstimator(t)
	f := newFake()
	f.bytesScanned = 123
	o := fastOptions()
	o.Estimator = est
	e := New(f, f, o)
	res, err := e.Run(context.Background(), engine.Query{Name: "hunt/q", SQL: "SELECT 1 FROM " + tbl + " WHERE day BETWEEN ? AND ?",
		Args: []any{"2026/11/02", "2026/11/03"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64((200 + 100 + 24) << 20); res.Stats.EstimatedBytes != want || res.Stats.EstimatedCostUSD != Cost(want) || res.Stats.BytesScanned != 123 {
		t.Errorf("stats %+v, want estimate %d bytes beside 123 scanned", res.Stats, want)
	}
}

// TestMaxCostStopsLaterQueries: with MaxCostUSD set, a query whose
// estimate would bring the total over it never starts.
func TestMaxCostStopsLaterQueries(t *testing.T) {
	est, _ := memEstimator(t)
	f := newFake()
	o := fastOptions()
	o.Estimator = est
	// 624 MB is $0.002838; the first query (two days) fits, the second
	// (the same again) does not.
	o.MaxCostUSD = 0.004
	e := New(f, f, o)
	q := engine.Query{Name: "identity/activity", SQL: "SELECT 1 FROM " + tbl + " WHERE day BETWEEN ? AND ?", Args: []any{"2026/11/01", "2026/11/02"}}
	if _, err := e.Run(context.Background(), q); err != nil {
		t.Fatalf("first query: %v", err)
	}
	_, err := e.Run(context.Background(), q)
	var ob *ErrOverBudget
	if !errors.As(err, &ob) || ob.Name != "identity/activity" || !strings.Contains(err.Error(), "exceeds --max-cost $0.004") {
		t.Fatalf("second query: %v", err)
	}
	if n := f.Calls("StartQueryExecution"); n != 1 {
		t.Errorf("%d queries started, want 1", n)
	}
	// A query that cannot be estimated is not run blind under a limit.
	if _, err := e.Run(context.Background(), engine.Query{Name: "x", SQL: "SELECT 1", Args: []any{"a"}}); err == nil || !strings.Contains(err.Error(), "cannot be estimated") {
		t.Errorf("unestimable query under --max-cost: %v", err)
	}
}

// TestPairsRollUpAtYearFolders: one listing names every account/region
// folder of CloudTrail/ and nothing of CloudTrail-Digest/, across pages.
func TestPairsRollUpAtYearFolders(t *testing.T) {
	_, m := memEstimator(t)
	got, err := Pairs(context.Background(), m, "b", "AWSLogs/o-a1b2c3d4e5/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "111111111111/eu-west-1 111111111111/us-east-1 222222222222/us-east-1" {
		t.Errorf("pairs %q", got)
	}
	if m.calls.Load() < 2 {
		t.Errorf("%d calls: the fake's two-entry pages were not followed", m.calls.Load())
	}
}
