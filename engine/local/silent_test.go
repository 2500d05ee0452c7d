package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A gzip stream cut off inside its first block decompresses to nothing, and
// DuckDB reads it as an empty file without an error. The engine must still
// name it, next to an empty file, while a whole file whose events fall
// outside the window is not reported.
func TestCutOffGzipIsNotSilent(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "11", "05")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := func(id, when string) string {
		return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a","accountId":"123456789012"},"eventTime":"` + when +
			`","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventID":"` + id + `","readOnly":true,"recipientAccountId":"123456789012"}`
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	whole := gz(`{"Records":[` + rec("in-1", "2026-11-05T10:00:00Z") + `]}`)
	outside := gz(`{"Records":[` + rec("out-1", "2026-11-04T10:00:00Z") + `]}`)
	files := map[string][]byte{
		"whole.json.gz":   whole,
		"outside.json.gz": outside,
		"cut.json.gz":     whole[:40],
		"empty.json":      nil,
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(day, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := Open(context.Background(), Options{Dir: dir, TempDir: t.TempDir(),
		From: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cov, _ := e.Coverage(context.Background())
	got := map[string]string{}
	for _, s := range cov.Skipped {
		got[filepath.Base(s.Path)] = s.Reason
	}
	if !strings.Contains(got["cut.json.gz"], "truncated gzip") {
		t.Errorf("cut-off gzip not reported: %v", got)
	}
	if got["empty.json"] == "" {
		t.Errorf("empty file not reported: %v", got)
	}
	if _, bad := got["outside.json.gz"]; bad {
		t.Errorf("a whole file outside the window was reported: %v", got)
	}
	if _, bad := got["whole.json.gz"]; bad || cov.Events != 1 {
		t.Errorf("whole file: %v, events %d", got, cov.Events)
	}
}
