package refreader

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctathena/ctathena/internal/trailgen"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// checkAgainstTruth compares a reference answer with what the generator
// says it planted.
func checkAgainstTruth(t *testing.T, ans *Answer, truth *trailgen.Truth) {
	t.Helper()
	ex := truth.Exfil
	if len(ans.Skipped) > 0 {
		t.Errorf("skipped files: %v", ans.Skipped)
	}
	if ans.Objects != ex.Objects || ans.Bytes != ex.Bytes || ans.DistinctKeys != ex.DistinctKeys {
		t.Errorf("totals: got objects=%d bytes=%d keys=%d, truth objects=%d bytes=%d keys=%d",
			ans.Objects, ans.Bytes, ans.DistinctKeys, ex.Objects, ex.Bytes, ex.DistinctKeys)
	}
	if ans.FailedReads != int64(len(ex.FailedReads)) {
		t.Errorf("failed reads: got %d, truth %d", ans.FailedReads, len(ex.FailedReads))
	}
	if len(ans.Readers) != len(ex.Readers) {
		t.Fatalf("readers: got %d, truth %d", len(ans.Readers), len(ex.Readers))
	}
	for i, want := range ex.Readers {
		got := ans.Readers[i]
		if got.Principal != want.Principal || got.SourceIP != want.SourceIP || got.UserAgent != want.UserAgent ||
			got.Objects != want.Objects || got.DistinctKeys != want.DistinctKeys || got.Bytes != want.Bytes ||
			got.FirstSeen.Format(time.RFC3339) != want.FirstSeen || got.LastSeen.Format(time.RFC3339) != want.LastSeen {
			t.Errorf("reader %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestExfilMatchesGeneratedTruth(t *testing.T) {
	root := t.TempDir()
	truth, err := trailgen.Generate(root, trailgen.Config{
		Seed: 7, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Days: 5, EventsPerDay: 300,
		OrgID: "o-test123456", Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1", "eu-central-1"},
		Scenarios: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := Exfil(context.Background(), root, Options{Bucket: truth.Exfil.Bucket,
		Since: mustTime(t, truth.Window.Since), Until: mustTime(t, truth.Window.Until), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstTruth(t, ans, truth)
	if ans.DuplicateRecords == 0 {
		t.Error("the generated trail has duplicate deliveries but none were seen")
	}
	if ans.FilesPruned == 0 {
		t.Error("a 3-day window over 5 days should prune some day folders")
	}
}

func TestExfilOnCommittedSample(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "sample")
	data, err := os.ReadFile(root + "-truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth trailgen.Truth
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatal(err)
	}
	ans, err := Exfil(context.Background(), root, Options{Bucket: truth.Exfil.Bucket,
		Since: mustTime(t, truth.Window.Since), Until: mustTime(t, truth.Window.Until)})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstTruth(t, ans, &truth)
	// The whole span reads every file: records and distinct events match
	// what the generator wrote.
	all, err := Exfil(context.Background(), root, Options{Bucket: truth.Exfil.Bucket,
		Since: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if all.Files != truth.Files || all.Records != truth.Records || all.Events != truth.Events || all.DuplicateRecords != truth.DuplicateRecords {
		t.Errorf("whole sample: files=%d records=%d events=%d dups=%d, truth files=%d records=%d events=%d dups=%d",
			all.Files, all.Records, all.Events, all.DuplicateRecords, truth.Files, truth.Records, truth.Events, truth.DuplicateRecords)
	}
}

func writeGz(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

const getObject = `{"eventID":%q,"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"035.249.253.232",
"userAgent":"ua","userIdentity":%s,"requestParameters":{"bucketName":"b","key":%q},"additionalEventData":{"bytesTransferredOut":%s}}`

func rec(id, at, ident, key, bytes string) string {
	return sprintf(getObject, id, at, ident, key, bytes)
}

func TestPlainFolderLayoutsAndOddValues(t *testing.T) {
	dir := t.TempDir()
	user := `{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accountId":"1"}`
	anon := `{"type":"AWSAccount","principalId":"","accountId":"anonymous"}`
	// A plain .json file holding a bare array, with a float byte count.
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte("["+rec("e1", "2026-01-02T10:00:00Z", user, "k1", "100.0")+","+
		rec("e2", "2026-01-02T11:00:00Z", user, "k1", "50")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same event delivered again, plus anonymous reads, in a gzip envelope.
	writeGz(t, filepath.Join(dir, "sub", "b.json.gz"), `{"Records":[`+rec("e2", "2026-01-02T11:00:00Z", user, "k1", "50")+","+
		rec("e3", "2026-01-02T12:00:00Z", anon, "k2", `"7"`)+","+
		rec("e4", "2026-01-03T00:00:00Z", anon, "k3", "1")+"]}")
	// Unreadable files are reported, not dropped; other files are ignored.
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"Records":[{`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ans, err := Exfil(context.Background(), dir, Options{Bucket: "b",
		Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Files != 3 || len(ans.Skipped) != 1 || ans.Skipped[0].Path != filepath.Join(dir, "broken.json") {
		t.Errorf("files=%d skipped=%v", ans.Files, ans.Skipped)
	}
	if ans.Records != 5 || ans.Events != 4 || ans.DuplicateRecords != 1 {
		t.Errorf("records=%d events=%d dups=%d", ans.Records, ans.Events, ans.DuplicateRecords)
	}
	// e4 sits on the until bound and is outside the half-open window.
	if ans.Objects != 3 || ans.Bytes != 157 || ans.DistinctKeys != 2 || len(ans.Readers) != 2 {
		t.Fatalf("objects=%d bytes=%d keys=%d readers=%+v", ans.Objects, ans.Bytes, ans.DistinctKeys, ans.Readers)
	}
	u := ans.Readers[0]
	if u.Principal != "arn:aws:iam::1:user/u" || u.SourceIP != "035.249.253.232" || u.Objects != 2 || u.DistinctKeys != 1 || u.Bytes != 150 ||
		!u.FirstSeen.Equal(time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)) || !u.LastSeen.Equal(time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("user reader %+v", u)
	}
	if a := ans.Readers[1]; a.Principal != "anonymous" || a.Objects != 1 || a.Bytes != 7 {
		t.Errorf("anonymous reader %+v", a)
	}
}

func TestPruneByDeliveryDay(t *testing.T) {
	dir := t.TempDir()
	user := `{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accountId":"1"}`
	base := filepath.Join(dir, "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2026")
	// Delivered the next day: must be read although the folder is after the window.
	writeGz(t, filepath.Join(base, "01", "03", "f1.json.gz"), `{"Records":[`+rec("late", "2026-01-02T23:59:00Z", user, "k", "5")+`]}`)
	writeGz(t, filepath.Join(base, "01", "20", "f2.json.gz"), `{"Records":[`+rec("far", "2026-01-02T12:00:00Z", user, "k", "5")+`]}`)
	writeGz(t, filepath.Join(dir, "AWSLogs", "111111111111", "CloudTrail-Digest", "us-east-1", "2026", "01", "02", "d.json.gz"), `not json`)
	ans, err := Exfil(context.Background(), dir, Options{Bucket: "b",
		Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Files != 1 || ans.FilesPruned != 1 || len(ans.Skipped) != 0 || ans.Objects != 1 {
		t.Errorf("files=%d pruned=%d skipped=%v objects=%d", ans.Files, ans.FilesPruned, ans.Skipped, ans.Objects)
	}
}

func TestStratusLogsDecode(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "stratus")
	ans, err := Exfil(context.Background(), dir, Options{Bucket: "any",
		Since: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Files != 35 || len(ans.Skipped) != 0 || ans.Records != 310 {
		t.Errorf("files=%d skipped=%v records=%d", ans.Files, ans.Skipped, ans.Records)
	}
}

func TestExfilRejectsBadOptions(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Exfil(context.Background(), t.TempDir(), Options{Since: at, Until: at.Add(time.Hour)}); err == nil {
		t.Error("no bucket: want an error")
	}
	if _, err := Exfil(context.Background(), t.TempDir(), Options{Bucket: "b", Since: at, Until: at}); err == nil {
		t.Error("empty window: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	writeGz(t, filepath.Join(t.TempDir(), "x.json.gz"), "{}")
	if _, err := Exfil(ctx, filepath.Join("..", "..", "testdata", "stratus"), Options{Bucket: "b", Since: at, Until: at.Add(time.Hour)}); err == nil {
		t.Error("cancelled context: want an error")
	}
}
