package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/ctathena/ctathena/collect"
	"github.com/ctathena/ctathena/integrity"
	"github.com/ctathena/ctathena/integrity/trailtest"
	"github.com/ctathena/ctathena/internal/moto"
)

// integrityTrail is a trail over 2026-11-02 00:01 .. 2026-11-06 22:01 (the
// window 2026-11-03 .. 2026-11-04 and every day folder its padding reads),
// signed by two keys (rotation on 2026-11-04 12:00), with one backfill
// digest.
func integrityTrail(t *testing.T) (*trailtest.Trail, *trailtest.Built, []byte) {
	t.Helper()
	start := time.Date(2026, 11, 2, 0, 1, 31, 0, time.UTC)
	rot := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	a, err := trailtest.NewKey(start.AddDate(0, -1, 0), rot)
	if err != nil {
		t.Fatal(err)
	}
	b, err := trailtest.NewKey(rot, start.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	tr := &trailtest.Trail{Bucket: "org-trail-bucket", Prefix: "ct", OrgID: "o-abc123def4", Name: "org-trail", HomeRegion: "us-east-1",
		Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"us-east-1"},
		Start: start, Hours: 5*24 - 2, FilesPerHour: 1, Keys: []*trailtest.Key{a, b}, RotateAt: rot,
		Backfill: time.Date(2026, 11, 3, 5, 1, 31, 0, time.UTC), BackfillAt: time.Date(2026, 11, 4, 18, 0, 0, 0, time.UTC)}
	built, err := tr.Build()
	if err != nil {
		t.Fatal(err)
	}
	return tr, built, trailtest.PublicKeysJSON(a, b)
}

func motoEnv(t *testing.T) (*s3.Client, string) {
	t.Helper()
	srv := moto.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretAccessKey)
	t.Setenv("AWS_REGION", moto.Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cfg := aws.Config{Region: moto.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, "")}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), srv.URL
}

type validateJSON struct {
	OK       bool                     `json:"ok"`
	Summary  []string                 `json:"summary"`
	Findings []integrity.Finding      `json:"findings"`
	Files    []integrity.FileStatus   `json:"files"`
	Digests  []integrity.DigestStatus `json:"digests"`
}

// decodeValidate reads validate's JSON: one document per trail location,
// merged.
func decodeValidate(t *testing.T, out string) validateJSON {
	t.Helper()
	var all validateJSON
	all.OK = true
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var v validateJSON
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("validate --format json: %v\n%s", err, out)
		}
		all.OK = all.OK && v.OK
		all.Summary = append(all.Summary, v.Summary...)
		all.Findings = append(all.Findings, v.Findings...)
		all.Files = append(all.Files, v.Files...)
		all.Digests = append(all.Digests, v.Digests...)
	}
	return all
}

// byRel rewrites each finding and file status to "kind|AWSLogs/...", so a
// copy and the bucket compare.
func byRel(v validateJSON) []string {
	var out []string
	for _, f := range v.Findings {
		out = append(out, string(f.Kind)+"|"+integrity.Rel(filepath.ToSlash(f.Path)))
	}
	for _, f := range v.Files {
		out = append(out, f.Status+"|"+integrity.Rel(filepath.ToSlash(f.Path))+"|"+f.SHA256)
	}
	for _, d := range v.Digests {
		out = append(out, d.Signature+"|"+integrity.Rel(filepath.ToSlash(d.Path)))
	}
	sort.Strings(out)
	return out
}

func TestCollectThenValidateOfflineMatchesS3(t *testing.T) {
	sc, _ := motoEnv(t)
	ctx := context.Background()
	tr, built, keysJSON := integrityTrail(t)
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tr.Bucket)}); err != nil {
		t.Fatal(err)
	}
	// Tamper in the bucket: one log file changed, one digest deleted.
	changed := built.Logs[30]
	deleted := built.Digests[40]
	for _, o := range built.Objects {
		body := o.Body
		if o.Key == deleted {
			continue
		}
		if o.Key == changed {
			body = trailtest.Gzip(bytes.Replace(gunzipBytes(t, body), []byte("203.0.113.7"), []byte("203.0.113.8"), 1))
		}
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tr.Bucket), Key: aws.String(o.Key), Body: bytes.NewReader(body), Metadata: o.Meta}); err != nil {
			t.Fatal(err)
		}
	}
	// A separate data-events trail in its own bucket, signed by the same keys.
	dtr := &trailtest.Trail{Bucket: "org-data-bucket", Name: "data-trail", HomeRegion: "us-east-1", Accounts: []string{"111122223333"},
		Regions: []string{"eu-west-1"}, Start: tr.Start, Hours: tr.Hours, FilesPerHour: 1, Keys: tr.Keys, RotateAt: tr.RotateAt}
	dbuilt, err := dtr.Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(dtr.Bucket)}); err != nil {
		t.Fatal(err)
	}
	for _, o := range dbuilt.Objects {
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(dtr.Bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body), Metadata: o.Meta}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	os.WriteFile(keys, keysJSON, 0o644)
	out := filepath.Join(dir, "evidence")
	code, stdout, stderr := runMain(t, "collect", "--trail-bucket", tr.Bucket, "--trail-prefix", "ct", "--data-bucket", dtr.Bucket, "--since", "2026-11-03", "--until", "2026-11-04", "--out", out)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Every file of the padded days: logs of 2026-11-02..05, digests to 11-06.
	lines := manifestLines(t, out)
	var run collect.RunLine
	json.Unmarshal([]byte(lines[0]), &run)
	if run.Type != "run" || !strings.Contains(run.Identity.ARN, moto.AccountID) || run.ToolVersion == "" || run.LogDays != [2]string{"2026-11-02", "2026-11-05"} {
		t.Errorf("run line: %s", lines[0])
	}
	var copied, digests int
	for _, l := range lines[1:] {
		var ol collect.ObjectLine
		if json.Unmarshal([]byte(l), &ol) != nil || ol.Type != "object" {
			continue
		}
		if ol.Action != "copied" || ol.SHA256 == "" || ol.ETag == "" || ol.Size == 0 || ol.LastModified.IsZero() {
			t.Errorf("object line: %s", l)
		}
		copied++
		if ol.Kind == "digest" {
			digests++
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(ol.Path)) + integrity.SidecarSuffix); err != nil {
				t.Errorf("no signature sidecar for %s", ol.Path)
			}
		}
	}
	// 2 accounts x 118 hours of digests (one deleted) + the backfill; log
	// files 2 x 96 hours of days 11-02..05 + the backfill's.
	// The data trail: 118 digests, 96 log files.
	if digests != 2*118-1+1+118 || copied != digests+2*96+1+96 {
		t.Errorf("copied %d files, %d digests", copied, digests)
	}

	conf := filepath.Join(dir, "ctathena.json")
	os.WriteFile(conf, []byte(`{"region":"us-east-1","database":"ctathena","workgroup":"ctathena","results_location":"s3://ir/",
	  "tables":{"management":{"name":"cloudtrail","location":"s3://org-trail-bucket/ct/AWSLogs/o-abc123def4/","bucket":"org-trail-bucket","prefix":"ct"},
	            "data":{"name":"cloudtrail_data","location":"s3://org-data-bucket/AWSLogs/","bucket":"org-data-bucket"}}}`), 0o644)
	codeS3, outS3, errS3 := runMain(t, "validate", "--config", conf, "--public-keys", keys, "--since", "2026-11-03", "--until", "2026-11-04", "--format", "json")
	codeDir, outDir, errDir := runMain(t, "validate", "--logs", out, "--public-keys", keys, "--since", "2026-11-03", "--until", "2026-11-04", "--format", "json")
	if codeS3 != 1 || codeDir != 1 {
		t.Fatalf("validate exit %d on S3, %d offline, want 1\n%s\n%s\n%s\n%s", codeS3, codeDir, outS3, errS3, outDir, errDir)
	}
	vs, vd := decodeValidate(t, outS3), decodeValidate(t, outDir)
	if len(vd.Files) != 2*96+1+96 {
		t.Errorf("offline validation checked %d log files, want both trails' %d", len(vd.Files), 2*96+1+96)
	}
	if a, b := strings.Join(byRel(vs), "\n"), strings.Join(byRel(vd), "\n"); a != b {
		t.Errorf("S3 and offline results differ:\nS3:\n%s\n\noffline:\n%s", a, b)
	}
	want := map[string]bool{"changed|" + integrity.Rel(changed): true, "missing|" + integrity.Rel(deleted): true}
	fails := 0
	for _, f := range vd.Findings {
		if !f.Kind.Fails() {
			continue
		}
		fails++
		k := string(f.Kind) + "|" + integrity.Rel(filepath.ToSlash(f.Path))
		if !want[k] && f.Kind != integrity.NotCovered {
			t.Errorf("unexpected finding %s: %s", k, f.Detail)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("findings not made: %v\n%v", want, vd.Findings)
	}
	if fails != 3 { // + the one log file the deleted digest listed
		t.Errorf("%d failing findings, want 3: %v", fails, vd.Findings)
	}
	if !strings.Contains(strings.Join(vd.Summary, "\n"), "rotated its signing key") {
		t.Errorf("summary: %v", vd.Summary)
	}

	// Resume: nothing to copy, everything re-verified.
	code, stdout, stderr = runMain(t, "collect", "--trail-bucket", tr.Bucket, "--trail-prefix", "ct", "--data-bucket", dtr.Bucket, "--since", "2026-11-03", "--until", "2026-11-04", "--out", out)
	if code != 0 || !strings.Contains(stdout, " 0 copied") || !strings.Contains(stdout, "already in the copy and re-verified") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A copy altered since: reported, never overwritten.
	victim := filepath.Join(out, tr.Bucket, filepath.FromSlash(built.Logs[10]))
	os.WriteFile(victim, []byte("altered"), 0o644)
	os.Remove(filepath.Join(out, tr.Bucket, filepath.FromSlash(built.Logs[11])))
	code, stdout, _ = runMain(t, "collect", "--trail-bucket", tr.Bucket, "--trail-prefix", "ct", "--since", "2026-11-03", "--until", "2026-11-04", "--out", out)
	if b, _ := os.ReadFile(victim); code != 1 || !strings.Contains(stdout, "CONFLICT") || !strings.Contains(stdout, " 1 copied") || string(b) != "altered" {
		t.Errorf("altered copy: exit %d, file %q\n%s", code, b, stdout)
	}
}

func TestValidateCopyWithoutSignaturesAndInvestigation(t *testing.T) {
	tr, built, keysJSON := integrityTrail(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.json")
	os.WriteFile(keys, keysJSON, 0o644)

	// As `aws s3 sync` leaves it: no signatures, no keys given.
	synced := filepath.Join(dir, "synced")
	if err := trailtest.WriteCopy(synced, tr.Bucket, built.Objects, false); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runMain(t, "validate", "--logs", synced, "--since", "2026-11-03", "--until", "2026-11-04")
	if code != 0 || !strings.Contains(out, "Signatures were NOT checked: no public keys") || !strings.Contains(out, "match the SHA-256 their CloudTrail digest lists") {
		t.Errorf("synced copy: exit %d\n%s\n%s", code, out, errs)
	}

	// A copy as collect makes it, investigated: the integrity lines are on
	// the Cover and Coverage, and every file's status is in the manifest.
	copyDir := filepath.Join(dir, "copy")
	if err := trailtest.WriteCopy(copyDir, tr.Bucket, built.Objects, true); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	code, out, errs = runMain(t, "exfil", "--logs", copyDir, "--public-keys", keys, "--bucket", "payroll-exports", "--since", "2026-11-03", "--until", "2026-11-04", "--baseline", "1d", "--out", bundle)
	if code != 0 {
		t.Fatalf("exfil: exit %d\n%s\n%s", code, out, errs)
	}
	var m struct {
		Integrity struct {
			Lines []string
			Files []struct{ Path, SHA256, Status, Digest string }
		}
	}
	b, _ := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(m.Integrity.Lines, "\n")
	if !strings.Contains(joined, "Log integrity PASSED") || !strings.Contains(joined, "signature verifies") || !strings.Contains(joined, "Digest chain unbroken") {
		t.Errorf("integrity lines: %s", joined)
	}
	verified := 0
	for _, f := range m.Integrity.Files {
		if f.Status == integrity.StatusVerified && len(f.SHA256) == 64 && f.Digest != "" {
			verified++
		}
	}
	if verified == 0 || verified != len(m.Integrity.Files) {
		t.Errorf("%d of %d files verified in the manifest", verified, len(m.Integrity.Files))
	}
	x, err := excelize.OpenFile(filepath.Join(bundle, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sheet := range []string{"Cover", "Coverage"} {
		rows, _ := x.GetRows(sheet)
		found := false
		for _, r := range rows {
			if strings.Contains(strings.Join(r, " "), "Log integrity PASSED") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s sheet has no integrity line", sheet)
		}
	}

	// One byte changed in a file the investigation reads: the engine's
	// hash differs from the digest's, and the file is named.
	victim := filepath.Join(copyDir, tr.Bucket, filepath.FromSlash(built.Logs[2*24+30]))
	raw := gunzipBytes(t, mustRead(t, victim))
	raw[bytes.Index(raw, []byte("203.0.113.7"))+5] = '9'
	os.WriteFile(victim, trailtest.Gzip(raw), 0o644)
	bundle3 := filepath.Join(dir, "bundle3")
	code, out, errs = runMain(t, "exfil", "--logs", copyDir, "--public-keys", keys, "--bucket", "payroll-exports", "--since", "2026-11-03", "--until", "2026-11-04", "--baseline", "1d", "--out", bundle3)
	b, _ = os.ReadFile(filepath.Join(bundle3, "manifest.json"))
	m.Integrity.Files = nil
	json.Unmarshal(b, &m)
	var changedFiles []string
	for _, f := range m.Integrity.Files {
		if f.Status == integrity.StatusChanged {
			changedFiles = append(changedFiles, f.Path)
		}
	}
	if code != 0 || !strings.Contains(strings.Join(m.Integrity.Lines, "\n"), "Log integrity FAILED") || len(changedFiles) != 1 ||
		changedFiles[0] != filepath.ToSlash(filepath.Join(tr.Bucket, built.Logs[2*24+30])) || !strings.Contains(errs, "log integrity FAILED") {
		t.Errorf("changed file: exit %d, changed %v\n%s\n%s", code, changedFiles, strings.Join(m.Integrity.Lines, "\n"), errs)
	}

	// --no-validate: the report says the check was skipped.
	bundle2 := filepath.Join(dir, "bundle2")
	code, _, errs = runMain(t, "exfil", "--logs", copyDir, "--no-validate", "--bucket", "payroll-exports", "--since", "2026-11-03", "--until", "2026-11-04", "--baseline", "1d", "--out", bundle2)
	b, _ = os.ReadFile(filepath.Join(bundle2, "manifest.json"))
	if code != 0 || !strings.Contains(string(b), "Log integrity not checked: --no-validate was given.") {
		t.Errorf("--no-validate: exit %d %s", code, errs)
	}
}

func manifestLines(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, collect.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func gunzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidateAndCollectBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys.json")
	os.WriteFile(bad, []byte(`{"PublicKeyList":[{"Value":"AAAA","Fingerprint":"00"}]}`), 0o644)
	for _, args := range [][]string{
		{"validate", "--logs", filepath.Join(dir, "nope"), "--since", "2026-11-01", "--until", "2026-11-02"},
		{"validate", "--logs", dir, "--public-keys", bad, "--since", "2026-11-01", "--until", "2026-11-02"},
		{"validate", "--logs", dir, "--public-keys", filepath.Join(dir, "missing.json")},
		{"validate", "--logs", dir, "--since", "2026-11-02", "--until", "2026-11-01"},
		{"collect", "--out", dir, "--since", "2026-11-01"},
		{"collect", "--trail-bucket", "Not_A_Bucket", "--out", dir},
		{"collect", "--trail-bucket", "org-trail", "--out", dir, "--regions", "mars-1"},
	} {
		code, _, errs := runMain(t, args...)
		if code != 2 || errs == "" {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
