package collect

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/integrity"
	"github.com/ctathena/ctathena/integrity/trailtest"
	"github.com/ctathena/ctathena/internal/moto"
)

// BenchmarkCollectMoto collects a 3-day window of a generated trail
// (2 accounts x 2 regions, 6 log files an hour, signed hourly digests) from
// moto's S3, resumes it (nothing to copy, everything re-hashed), and
// validates it on S3 and offline, reporting files per second for each.
// moto answers each request in a few milliseconds of Python on the same
// 2 cores, so these rates bound the tool's own cost from below only.
func BenchmarkCollectMoto(b *testing.B) {
	srv := moto.Start(b)
	ctx := context.Background()
	cfg := aws.Config{Region: moto.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, "")}
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	start := time.Date(2026, 11, 1, 0, 1, 31, 0, time.UTC)
	k, err := trailtest.NewKey(start.AddDate(0, -1, 0), start.AddDate(0, 1, 0))
	if err != nil {
		b.Fatal(err)
	}
	tr := &trailtest.Trail{Bucket: "bench-trail", OrgID: "o-abc123def4", Accounts: []string{"111122223333", "444455556666"},
		Regions: []string{"us-east-1", "eu-west-1"}, Start: start, Hours: 6*24 - 2, FilesPerHour: 6, Keys: []*trailtest.Key{k}}
	built, err := tr.Build()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tr.Bucket)}); err != nil {
		b.Fatal(err)
	}
	for _, o := range built.Objects {
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tr.Bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body), Metadata: o.Meta}); err != nil {
			b.Fatal(err)
		}
	}
	keys, _ := integrity.ParsePublicKeysJSON("k", trailtest.PublicKeysJSON(k))
	since, until := start.AddDate(0, 0, 2).Truncate(24*time.Hour), start.AddDate(0, 0, 3).Truncate(24*time.Hour)
	for i := 0; i < b.N; i++ {
		out := b.TempDir()
		o := Options{Locations: []Location{{Bucket: tr.Bucket}}, Since: since, Until: until, Out: out, Workers: 16, ToolVersion: "bench"}
		t0 := time.Now()
		res, err := Collect(ctx, sc, o)
		if err != nil || len(res.Failed) > 0 {
			b.Fatalf("collect: %v %v", err, res.Failed)
		}
		el := time.Since(t0)
		t1 := time.Now()
		res2, err := Collect(ctx, sc, o)
		if err != nil || res2.Verified != res.Files {
			b.Fatalf("resume: %v %+v", err, res2)
		}
		el2 := time.Since(t1)
		t2 := time.Now()
		r, err := integrity.Validate(ctx, NewStore(sc, Location{Bucket: tr.Bucket}, nil, nil), integrity.Options{Since: since, Until: until, Keys: keys, Reference: until.AddDate(0, 0, 3)})
		if err != nil || !r.OK() {
			b.Fatalf("validate on S3: %v %v", err, r.FindingLines())
		}
		el3 := time.Since(t2)
		t3 := time.Now()
		r2, err := integrity.Validate(ctx, integrity.DirStore{Dir: out}, integrity.Options{Since: since, Until: until, Keys: keys, Reference: until.AddDate(0, 0, 3)})
		if err != nil || !r2.OK() {
			b.Fatalf("validate offline: %v %v", err, r2.FindingLines())
		}
		el4 := time.Since(t3)
		b.ReportMetric(float64(res.Files), "files")
		b.ReportMetric(float64(res.Files)/el.Seconds(), "collect-files/s")
		b.ReportMetric(float64(res.Files)/el2.Seconds(), "resume-files/s")
		b.ReportMetric(float64(len(r.Files)+len(r.Digests))/el3.Seconds(), "validate-s3-files/s")
		b.ReportMetric(float64(len(r2.Files)+len(r2.Digests))/el4.Seconds(), "validate-copy-files/s")
	}
}
