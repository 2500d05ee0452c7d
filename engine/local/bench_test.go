package local

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// genTree writes an org-layout tree of files x events CloudTrail events
// (gzip, like a trail writes) and returns the total uncompressed bytes. The
// real generator lives in internal/trailgen; this one only needs realistic
// size and shape.
func genTree(tb testing.TB, dir string, files, events int) int64 {
	tb.Helper()
	var total int64
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for f := range files {
		acct := fmt.Sprintf("%012d", 100000000000+f%3)
		region := []string{"us-east-1", "eu-west-1"}[f%2]
		day := base.AddDate(0, 0, f%5)
		var recs []map[string]any
		for i := range events {
			t := day.Add(time.Duration(i*86400/events) * time.Second)
			recs = append(recs, map[string]any{
				"eventVersion": "1.09",
				"userIdentity": map[string]any{
					"type": "AssumedRole", "principalId": "AROAEXAMPLE:session" + fmt.Sprint(i%17),
					"arn": "arn:aws:sts::" + acct + ":assumed-role/App/session", "accountId": acct, "accessKeyId": fmt.Sprintf("ASIA%016d", i%101),
					"sessionContext": map[string]any{
						"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::" + acct + ":role/App", "accountId": acct, "userName": "App"},
						"attributes":    map[string]any{"creationDate": "2024-03-01T00:00:00Z", "mfaAuthenticated": "false"},
					},
				},
				"eventTime": t.Format("2006-01-02T15:04:05Z"), "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
				"awsRegion": region, "sourceIPAddress": fmt.Sprintf("10.%d.%d.%d", i%7, i%11, i%13), "userAgent": "aws-sdk-go-v2/1.30 os/linux",
				"requestParameters":   map[string]any{"bucketName": "payroll", "key": fmt.Sprintf("exports/%d/%d.csv", f, i), "Host": "payroll.s3.amazonaws.com"},
				"responseElements":    nil,
				"additionalEventData": map[string]any{"bytesTransferredOut": 1000 + i, "CipherSuite": "TLS_AES_128_GCM_SHA256", "x-amz-id-2": "abcdefghijklmnopqrstuvwxyz0123456789"},
				"requestID":           fmt.Sprintf("REQ%013d", f*events+i), "eventID": fmt.Sprintf("%08d-0000-4000-8000-%012d", f, i),
				"readOnly": true, "resources": []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::payroll/x"}, map[string]any{"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::payroll"}},
				"eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": acct, "eventCategory": "Data",
				"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "payroll.s3.amazonaws.com"},
			})
		}
		b, err := json.Marshal(map[string]any{"Records": recs})
		if err != nil {
			tb.Fatal(err)
		}
		total += int64(len(b))
		p := filepath.Join(dir, "AWSLogs", "o-abcdefghij", acct, "CloudTrail", region, day.Format("2006/01/02"), fmt.Sprintf("%s_CloudTrail_%s_%d.json.gz", acct, region, f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		fh, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		zw := gzip.NewWriter(fh)
		zw.Write(b)
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		fh.Close()
	}
	return total
}

// BenchmarkLoad compares the read_json option sets the loader could use.
//
// Measured on the shared 2-core build machine (load average 11-15, so only
// the ratios mean anything), 40 files x 500 events, 28 MB of JSON:
//
//	explicit columns, format=unstructured, 1 load thread   3.5-6.2 s  (chosen)
//	explicit columns, format=auto, 1 load thread           5.5-10.4 s
//	explicit columns, 2 load threads, memory_limit 160MB   7.4-20 s (up to 3x slower)
//	explicit columns, 2 load threads, memory_limit 512MB   5.5-6.2 s
//	one read_json per file                                 10.3-12.4 s
//	every file rewritten as per-line documents             4.6-6.2 s
//	auto-detect + union_by_name, read only (no insert)     2.6-2.8 s
//
// Auto-detection reads faster but infers a different struct per batch and
// drops keys absent from its sample, so it cannot feed a fixed Athena-shaped
// table. TestLoadRSS: 500,000 events (676 MB JSON, 200 gzip files) load in
// 16.8 s, a GROUP BY over them takes 0.7 s, peak RSS 237 MiB.
// Run with: go test ./engine/local -run '^$' -bench Load -benchtime 3x
// Sizes are set by CTATHENA_BENCH_FILES / CTATHENA_BENCH_EVENTS (default
// 100 files x 500 events).
func BenchmarkLoad(b *testing.B) {
	files, events := 100, 500
	fmt.Sscan(os.Getenv("CTATHENA_BENCH_FILES"), &files)
	fmt.Sscan(os.Getenv("CTATHENA_BENCH_EVENTS"), &events)
	dir := b.TempDir()
	size := genTree(b, dir, files, events)
	variants := []struct {
		name string
		o    Options
	}{
		{"columns_unstructured_batch512_load1", Options{}}, // the default
		{"columns_auto_batch512_load1", Options{format: "auto"}},
		{"columns_unstructured_batch512_load2", Options{loadThreads: 2}},
		{"columns_auto_batch512_load2", Options{format: "auto", loadThreads: 2}},
		{"columns_auto_batch512_load2_mem512", Options{format: "auto", loadThreads: 2, MemoryLimit: "512MB"}},
		{"columns_unstructured_perfile_load1", Options{BatchFiles: 1}},
		{"columns_unstructured_batch64_load1", Options{BatchFiles: 64}},
		{"ndjson_rewrite_all_load1", Options{transcodeAbove: -1}},
		{"autodetect_union_by_name_load1", Options{autodetect: true}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				o := v.o
				o.Dir, o.TempDir = dir, b.TempDir()
				e, err := Open(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				cov, _ := e.Coverage(context.Background())
				if cov.Events != int64(files*events) && !o.autodetect {
					b.Fatalf("loaded %d events, want %d", cov.Events, files*events)
				}
				e.Close()
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss_MiB")
		})
	}
}

// TestLoadRSS measures peak process memory for a large load. It is opt-in
// because it takes minutes: first generate a tree in one process, then load
// it in another so the generator's memory is not counted:
//
//	CTATHENA_RSS_GEN=/tmp/t500k go test ./engine/local -run LoadRSS -v   (200 files x 2500 events)
//	CTATHENA_RSS_DIR=/tmp/t500k go test ./engine/local -run LoadRSS -v
func TestLoadRSS(t *testing.T) {
	if dir := os.Getenv("CTATHENA_RSS_GEN"); dir != "" {
		size := genTree(t, dir, 200, 2500)
		t.Logf("generated %d MB", size>>20)
		return
	}
	dir := os.Getenv("CTATHENA_RSS_DIR")
	if dir == "" {
		t.Skip("set CTATHENA_RSS_GEN or CTATHENA_RSS_DIR")
	}
	start := time.Now()
	e, err := Open(context.Background(), Options{Dir: dir, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	loaded := time.Since(start)
	cov, _ := e.Coverage(context.Background())
	res, err := e.Run(context.Background(), engineQuery(`SELECT useridentity.arn, sourceipaddress, count(DISTINCT eventid) AS n,
		sum(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS BIGINT)) AS bytes
		FROM cloudtrail WHERE eventname = 'GetObject' GROUP BY 1, 2 ORDER BY n DESC`))
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t.Logf("events %d files %d load %v query %v (%d rows) maxrss %d MiB",
		cov.Events, cov.FilesRead, loaded, res.Stats.Elapsed, len(res.Rows), ru.Maxrss/1024)
}
