package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/tables"
)

// coverStatus reads the report's Cover status line and the text of its
// first Findings row.
func coverStatus(t *testing.T, bundle string) (status, first string) {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(bundle, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Cover")
	for _, r := range rows {
		if len(r) > 1 && r[0] == "Status" {
			status = r[1]
		}
	}
	rows, _ = f.GetRows("Findings")
	for i, r := range rows {
		if c := slices.Index(r, "Finding"); c >= 0 && i+1 < len(rows) && c < len(rows[i+1]) {
			return status, rows[i+1][c]
		}
	}
	return status, ""
}

func readManifest(t *testing.T, bundle string) (m struct {
	Sources  []string        `json:"sources"`
	Coverage engine.Coverage `json:"coverage"`
	Status   struct {
		Complete   bool     `json:"complete"`
		Incomplete []string `json:"incomplete"`
	} `json:"status"`
}) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAthenaInventoryAndEmptyWindow: on Athena (moto), --inventory records
// every log file of the partitions the queries read, with the key, size
// and ETag S3 lists; a window whose partitions hold no log file while the
// table holds files on other days is INCOMPLETE (exit 3), naming those
// days and the --since/--until that reaches them; and a table with no
// account folder at all is refused before any query starts.
func TestAthenaInventoryAndEmptyWindow(t *testing.T) {
	_, cfg := scaleEnv(t)
	ctx := context.Background()
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ac := athena.NewFromConfig(cfg)
	for _, b := range []string{"org-trail", "ir-results", "empty-trail"} {
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	root := "AWSLogs/o-a1b2c3d4e5/"
	objects := map[string]int{
		root + "111111111111/CloudTrail/us-east-1/2026/10/29/111111111111_CloudTrail_us-east-1_a.json.gz": 310,
		root + "111111111111/CloudTrail/us-east-1/2026/10/30/111111111111_CloudTrail_us-east-1_b.json.gz": 420,
		root + "222222222222/CloudTrail/eu-west-1/2026/10/30/222222222222_CloudTrail_eu-west-1_c.json.gz": 530,
		// Outside the window's partitions, and not a log file: never listed.
		root + "111111111111/CloudTrail/us-east-1/2026/10/20/111111111111_CloudTrail_us-east-1_d.json.gz":               640,
		root + "111111111111/CloudTrail-Digest/us-east-1/2026/10/30/111111111111_CloudTrail-Digest_us-east-1_e.json.gz": 750,
	}
	etags := map[string]string{}
	for k, n := range objects {
		out, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String(k), Body: strings.NewReader(strings.Repeat("x", n))})
		if err != nil {
			t.Fatal(err)
		}
		etags[k] = strings.Trim(aws.ToString(out.ETag), `"`)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "ctathena.json")
	if code, out, errs := runMain(t, "setup", "--trail-bucket", "org-trail", "--results", "s3://ir-results/x/", "--config", conf); code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", code, out, errs)
	}

	// --inventory: the three log files of the window's partitions
	// (2026/10/28..2026/11/01 for a window of 10/29..10/31), nothing else.
	inv := filepath.Join(dir, "inventory")
	code, _, errs := runMain(t, "access", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-10-29", "--until", "2026-10-31", "--inventory", "--out", inv)
	if code != 0 {
		t.Fatalf("access --inventory: exit %d\n%s", code, errs)
	}
	m := readManifest(t, inv)
	var want []engine.SourceFile
	for k, n := range objects {
		if strings.Contains(k, "/CloudTrail/") && !strings.Contains(k, "/2026/10/20/") {
			want = append(want, engine.SourceFile{Path: "s3://org-trail/" + k, Size: int64(n), ETag: etags[k]})
		}
	}
	slices.SortFunc(want, func(a, b engine.SourceFile) int { return strings.Compare(a.Path, b.Path) })
	if !slices.Equal(m.Coverage.Files.List(), want) {
		t.Errorf("inventory:\n got %+v\nwant %+v", m.Coverage.Files.List(), want)
	}
	for _, f := range m.Coverage.Files.List() {
		if f.ETag == "" || f.SHA256 != "" {
			t.Errorf("inventory entry %+v: want the ETag and no hash (Athena reads no object)", f)
		}
	}
	if !strings.Contains(strings.Join(m.Sources, "\n"), "read only the account/region folders the S3 listing of s3://org-trail/AWSLogs/o-a1b2c3d4e5/ shows: 2 folders of 2 accounts in 2 regions") {
		t.Errorf("the sources do not say which folders the queries read:\n%s", strings.Join(m.Sources, "\n"))
	}
	// Without --inventory no file is listed.
	plain := filepath.Join(dir, "plain")
	if code, _, errs := runMain(t, "access", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-10-29", "--until", "2026-10-31", "--out", plain); code != 0 {
		t.Fatalf("access: exit %d\n%s", code, errs)
	}
	if m := readManifest(t, plain); m.Coverage.Files.Len() != 0 {
		t.Errorf("%d files listed without --inventory", m.Coverage.Files.Len())
	}

	// A window with no log file in its partitions: INCOMPLETE, exit 3, on
	// stderr, the Cover and the first Findings row, naming the logs' days.
	empty := filepath.Join(dir, "empty")
	code, _, errs = runMain(t, "access", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-09-01", "--until", "2026-09-03", "--out", empty)
	const days = "the logs hold events from 2026-10-20 to 2026-10-30 (UTC): to read them, run again with --since 2026-10-20 --until 2026-10-31"
	if code != exitPartial || !strings.Contains(errs, "INCOMPLETE") || !strings.Contains(errs, days) {
		t.Fatalf("empty window: exit %d, want %d naming the logs' days:\n%s", code, exitPartial, errs)
	}
	status, first := coverStatus(t, empty)
	if !strings.Contains(status, "INCOMPLETE") || !strings.Contains(status, days) || !strings.Contains(first, days) {
		t.Errorf("empty window: Cover status %q, first finding %q", status, first)
	}
	if m := readManifest(t, empty); m.Status.Complete || !strings.Contains(strings.Join(m.Sources, "\n"), "shows no log file in the window's partitions (days 2026/08/31 to 2026/09/04)") {
		t.Errorf("empty window: manifest status %+v, sources %q", m.Status, m.Sources)
	}
	// A window with logs is complete.
	if status, _ := coverStatus(t, plain); !strings.HasPrefix(status, "COMPLETE") {
		t.Errorf("a window with logs: Cover status %q", status)
	}

	// No account folder at all: refused before any query, exit 2.
	c, err := tables.LoadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	mt := c.Tables["management"]
	mt.Location = "s3://empty-trail/AWSLogs/o-a1b2c3d4e5/"
	c.Tables["management"] = mt
	b, _ := json.Marshal(c)
	bare := filepath.Join(dir, "bare.json")
	if err := os.WriteFile(bare, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{})
	code, _, errs = runMain(t, "hunt", "--config", bare, "--since", "2026-10-29", "--until", "2026-10-31", "--out", filepath.Join(dir, "bare"))
	if code != exitUsage || !strings.Contains(errs, "the S3 listing of s3://empty-trail/AWSLogs/o-a1b2c3d4e5/ shows no CloudTrail folder") {
		t.Errorf("no folder: exit %d, want 2 with a clear message:\n%s", code, errs)
	}
	after, _ := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{})
	if len(after.QueryExecutionIds) != len(before.QueryExecutionIds) {
		t.Errorf("%d queries started over a table with no folder", len(after.QueryExecutionIds)-len(before.QueryExecutionIds))
	}
}
