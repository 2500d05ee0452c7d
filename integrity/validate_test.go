package integrity_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctathena/ctathena/integrity"
	"github.com/ctathena/ctathena/integrity/trailtest"
)

var (
	t0      = time.Date(2026, 11, 3, 10, 1, 31, 0, time.UTC)
	keyOnce sync.Once
	keyA    *trailtest.Key
	keyB    *trailtest.Key
	keyX    *trailtest.Key // not CloudTrail's
)

func keys(t *testing.T) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		from := t0.AddDate(0, -1, 0)
		if keyA, err = trailtest.NewKey(from, t0.Add(3*time.Hour)); err != nil {
			panic(err)
		}
		if keyB, err = trailtest.NewKey(t0.Add(3*time.Hour), t0.AddDate(0, 1, 0)); err != nil {
			panic(err)
		}
		if keyX, err = trailtest.NewKey(from, t0.AddDate(0, 1, 0)); err != nil {
			panic(err)
		}
	})
}

func baseTrail(t *testing.T) *trailtest.Trail {
	keys(t)
	return &trailtest.Trail{Bucket: "org-trail-bucket", Prefix: "ct", OrgID: "o-abc123def4", Name: "org-trail", HomeRegion: "us-east-1",
		Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"us-east-1"},
		Start: t0, Hours: 6, FilesPerHour: 3, Keys: []*trailtest.Key{keyA}}
}

type fixture struct {
	dir   string
	built *trailtest.Built
	tr    *trailtest.Trail
}

// path is where the copy holds key.
func (f *fixture) path(key string) string {
	return filepath.Join(f.dir, f.tr.Bucket, filepath.FromSlash(key))
}

func write(t *testing.T, tr *trailtest.Trail, sidecars bool) *fixture {
	t.Helper()
	b, err := tr.Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := trailtest.WriteCopy(dir, tr.Bucket, b.Objects, sidecars); err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, built: b, tr: tr}
}

func keyring(t *testing.T, ks ...*trailtest.Key) *integrity.Keys {
	t.Helper()
	k, err := integrity.ParsePublicKeysJSON("keys.json", trailtest.PublicKeysJSON(ks...))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func validate(t *testing.T, f *fixture, k *integrity.Keys) *integrity.Report {
	t.Helper()
	r, err := integrity.Validate(context.Background(), integrity.DirStore{Dir: f.dir}, integrity.Options{
		Since: t0, Until: t0.Add(6 * time.Hour), Keys: k, NoKeysWhy: "no --public-keys given",
		Reference: t0.Add(6*time.Hour + 10*time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// failing are the failing findings as "kind path".
func failing(r *integrity.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Kind.Fails() {
			out = append(out, string(f.Kind)+" "+f.Path)
		}
	}
	sort.Strings(out)
	return out
}

func expect(t *testing.T, r *integrity.Report, want ...string) {
	t.Helper()
	sort.Strings(want)
	got := failing(r)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failing findings:\n  %s\nwant:\n  %s\nall findings:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), strings.Join(r.FindingLines(), "\n  "))
	}
	if r.OK() != (len(want) == 0) {
		t.Errorf("OK() = %v with %d failing findings", r.OK(), len(want))
	}
}

func TestIntactChainPasses(t *testing.T) {
	f := write(t, baseTrail(t), true)
	r := validate(t, f, keyring(t, keyA))
	expect(t, r)
	c := r.Count()
	if c.Files != 36 || c.Verified != 36 || c.Digests != 12 || c.DigestsVerified != 12 {
		t.Errorf("counts %+v", c)
	}
	lines := strings.Join(r.Lines("log files"), "\n")
	for _, want := range []string{"PASSED", "36 of 36 log files", "signature verifies", "Digest chain unbroken 2026-11-03 10:01 to 2026-11-03 16:01 UTC in all 2 account/region chains"} {
		if !strings.Contains(lines, want) {
			t.Errorf("lines lack %q:\n%s", want, lines)
		}
	}
}

func logOf(f *fixture, hour, file int) string {
	return f.built.Logs[hour*f.tr.FilesPerHour+file]
}

func TestOneByteChanged(t *testing.T) {
	f := write(t, baseTrail(t), true)
	p := f.path(logOf(f, 2, 1))
	raw := gunzip(t, p)
	raw[bytes.Index(raw, []byte("203.0.113.7"))+10] = '9'
	os.WriteFile(p, trailtest.Gzip(raw), 0o644)
	expect(t, validate(t, f, keyring(t, keyA)), "changed "+p)
}

func TestLogDeleted(t *testing.T) {
	f := write(t, baseTrail(t), true)
	p := f.path(logOf(f, 3, 0))
	os.Remove(p)
	expect(t, validate(t, f, keyring(t, keyA)), "missing "+p)
}

func TestLogAdded(t *testing.T) {
	tr := baseTrail(t)
	f := write(t, tr, true)
	key := tr.LogKey("111122223333", "us-east-1", t0.Add(2*time.Hour+20*time.Minute), "ZZZZZZZZZZZZZZZZ")
	p := f.path(key)
	os.WriteFile(p, trailtest.Gzip(trailtest.Records("111122223333", "us-east-1", t0.Add(2*time.Hour+20*time.Minute), 999)), 0o644)
	expect(t, validate(t, f, keyring(t, keyA)), "extra "+p)
}

func TestOneDigestDeleted(t *testing.T) {
	f := write(t, baseTrail(t), true)
	d := f.path(f.built.Digests[2])
	os.Remove(d)
	os.Remove(d + integrity.SidecarSuffix)
	r := validate(t, f, keyring(t, keyA))
	// The digest is named; the three log files it listed are named as
	// unverifiable because of it.
	want := []string{"missing " + d}
	for i := 0; i < 3; i++ {
		want = append(want, "not covered "+f.path(logOf(f, 2, i)))
	}
	expect(t, r, want...)
}

func TestTwoDigestsInARowDeleted(t *testing.T) {
	f := write(t, baseTrail(t), true)
	var want []string
	for _, i := range []int{2, 3} {
		d := f.path(f.built.Digests[i])
		os.Remove(d)
		os.Remove(d + integrity.SidecarSuffix)
		want = append(want, "missing "+d)
		for j := 0; j < 3; j++ {
			want = append(want, "not covered "+f.path(logOf(f, i, j)))
		}
	}
	expect(t, validate(t, f, keyring(t, keyA)), want...)
}

func TestDigestSignedByAnotherKey(t *testing.T) {
	tr := baseTrail(t)
	f := write(t, tr, true)
	// The newest digest of the first account, re-signed with a key that is
	// not CloudTrail's, its fingerprint left naming CloudTrail's key.
	key := f.built.Digests[5]
	resign(t, f.path(key), keyX, false)
	expect(t, validate(t, f, keyring(t, keyA)), "bad signature "+f.path(key))

	// Naming the other key's fingerprint: an unknown key.
	f2 := write(t, tr, true)
	resign(t, f2.path(key), keyX, true)
	expect(t, validate(t, f2, keyring(t, keyA)), "unknown key "+f2.path(key))
}

func TestWrongPreviousHash(t *testing.T) {
	tr := baseTrail(t)
	b, _ := tr.Build()
	tr.WrongPrevHash = map[string]bool{b.Digests[3]: true}
	f := write(t, tr, true)
	expect(t, validate(t, f, keyring(t, keyA)), "chain break "+f.path(f.built.Digests[3]))
}

func TestDataAppendedAfterGzipMember(t *testing.T) {
	f := write(t, baseTrail(t), true)
	p := f.path(logOf(f, 1, 2))
	extra := trailtest.Gzip(trailtest.Records("111122223333", "us-east-1", t0.Add(time.Hour), 4242))
	fh, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	fh.Write(extra)
	fh.Close()
	expect(t, validate(t, f, keyring(t, keyA)), "changed "+p)
}

func TestBackfillAndKeyRotation(t *testing.T) {
	tr := baseTrail(t)
	tr.Keys = []*trailtest.Key{keyA, keyB}
	tr.RotateAt = t0.Add(3 * time.Hour)
	tr.Backfill = t0.Add(time.Hour)
	tr.BackfillAt = t0.Add(5 * time.Hour) // signed with the new key
	f := write(t, tr, true)
	r := validate(t, f, keyring(t, keyA, keyB))
	expect(t, r)
	c := r.Count()
	if c.Files != 37 || c.Verified != 37 {
		t.Errorf("counts %+v", c)
	}
	var backfill int
	for _, d := range r.Digests {
		if d.Backfill && d.Signature == "verified" && d.Fingerprint == keyB.Public.Fingerprint {
			backfill++
		}
	}
	if backfill != 1 {
		t.Errorf("backfill digest not verified with the rotated key: %+v", r.Digests)
	}
	if len(r.Keys) != 2 || !strings.Contains(strings.Join(r.Lines("log files"), "\n"), "rotated its signing key") {
		t.Errorf("key rotation not reported: %+v\n%s", r.Keys, r.Lines("log files"))
	}
	// Without the new key, the digests it signed name it as unknown.
	r = validate(t, f, keyring(t, keyA))
	if n := r.Count().ByKind[integrity.UnknownKey]; n != 9 {
		t.Errorf("%d unknown-key findings without the rotated key, want 9 (4 digests ending from the rotation x 2 accounts + backfill)", n)
	}
}

func TestCopyWithoutSignatures(t *testing.T) {
	f := write(t, baseTrail(t), false) // as aws s3 sync leaves it
	r, err := integrity.Validate(context.Background(), integrity.DirStore{Dir: f.dir}, integrity.Options{
		Since: t0, Until: t0.Add(6 * time.Hour), NoKeysWhy: "no --public-keys given",
		Reference: t0.Add(6*time.Hour + 10*time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r)
	lines := strings.Join(r.Lines("log files"), "\n")
	if r.SignaturesChecked || !strings.Contains(lines, "Signatures were NOT checked: no --public-keys given") || !strings.Contains(lines, "36 of 36 log files") {
		t.Errorf("lines:\n%s", lines)
	}
	// Hashes are still checked.
	p := filepath.Join(f.dir, filepath.FromSlash(logOf(f, 0, 0)))
	raw := gunzip(t, p)
	raw[20] ^= 1
	os.WriteFile(p, trailtest.Gzip(raw), 0o644)
	r, _ = integrity.Validate(context.Background(), integrity.DirStore{Dir: f.dir}, integrity.Options{Since: t0, Until: t0.Add(6 * time.Hour), Reference: t0.Add(6 * time.Hour)})
	expect(t, r, "changed "+p)

	// With the keys, every digest but each chain's newest is verified with
	// the signature the next digest records.
	r = validate(t, f, keyring(t, keyA))
	expect(t, r, "changed "+p)
	c := r.Count()
	// 36 files: 1 changed, 6 listed by the two chains' newest digests (hash
	// only), 29 verified.
	if c.DigestsVerified != 10 || c.Verified != 29 || c.HashOK != 6 {
		t.Errorf("with keys on an unsigned copy: %d digests verified (want 10), %d files verified (want 29), %d hash only (want 6)", c.DigestsVerified, c.Verified, c.HashOK)
	}
	if !strings.Contains(strings.Join(r.Lines("log files"), "\n"), "2 digest(s) have no signature in the copy") {
		t.Errorf("lines: %s", r.Lines("log files"))
	}
}

func TestNotCoveredYet(t *testing.T) {
	tr := baseTrail(t)
	f := write(t, tr, true)
	at := t0.Add(6*time.Hour + 5*time.Minute)
	key := tr.LogKey("111122223333", "us-east-1", at, "YYYYYYYYYYYYYYYY")
	os.WriteFile(f.path(key), trailtest.Gzip(trailtest.Records("111122223333", "us-east-1", at, 7)), 0o644)
	r := validate(t, f, keyring(t, keyA))
	expect(t, r)
	if r.Count().NotCoveredYet != 1 {
		t.Errorf("not covered yet: %v", r.FindingLines())
	}
	// Read a day later, the same file's digest is overdue.
	r, _ = integrity.Validate(context.Background(), integrity.DirStore{Dir: f.dir}, integrity.Options{Since: t0, Until: t0.Add(6 * time.Hour), Keys: keyring(t, keyA), Reference: t0.Add(30 * time.Hour)})
	if r.OK() || r.Count().ByKind[integrity.NotCovered] != 1 {
		t.Errorf("a day later: %v", r.FindingLines())
	}
}

func TestKeyFileFingerprintChecked(t *testing.T) {
	keys(t)
	b := trailtest.PublicKeysJSON(keyA)
	b = bytes.Replace(b, []byte(keyA.Public.Fingerprint), []byte("00000000000000000000000000000000"), 1)
	if _, err := integrity.ParsePublicKeysJSON("k.json", b); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("tampered key file accepted: %v", err)
	}
	// AWS's own published example: the fingerprint is the MD5 of the DER.
	aws := `{"PublicKeyList": [{"ValidityStartTime": 1453076702.0, "ValidityEndTime": 1455668702.0,
	 "Value": "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB",
	 "Fingerprint": "7f3f401420072e50a65a141430817ab3"}]}`
	k, err := integrity.ParsePublicKeysJSON("aws-example.json", []byte(aws))
	if err != nil || k.Lookup("7f3f401420072e50a65a141430817ab3") == nil {
		t.Fatalf("AWS's example key: %v", err)
	}
}

func resign(t *testing.T, p string, k *trailtest.Key, useItsFingerprint bool) {
	t.Helper()
	raw := gunzip(t, p)
	d, err := integrity.ParseDigest(raw)
	if err != nil {
		t.Fatal(err)
	}
	if useItsFingerprint {
		raw = bytes.Replace(raw, []byte(d.Fingerprint), []byte(k.Public.Fingerprint), 1)
		d, _ = integrity.ParseDigest(raw)
		os.WriteFile(p, trailtest.Gzip(raw), 0o644)
	}
	sig, err := trailtest.Sign(k.Private, d, raw)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := os.ReadFile(p + integrity.SidecarSuffix)
	var old struct {
		Signature string `json:"signature"`
	}
	_ = jsonUnmarshal(sc, &old)
	os.WriteFile(p+integrity.SidecarSuffix, bytes.ReplaceAll(sc, []byte(old.Signature), []byte(sig)), 0o644)
}

func gunzip(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
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

func TestParseDigestFields(t *testing.T) {
	base := `{"awsAccountId":"111122223333","digestStartTime":"2026-11-03T10:01:31Z","digestEndTime":"2026-11-03T11:01:31Z",
	"digestS3Bucket":"b","digestS3Object":"AWSLogs/x.json.gz","digestPublicKeyFingerprint":"ab","digestSignatureAlgorithm":"SHA256withRSA",
	"previousDigestSignature":null,"logFiles":[]}`
	d, err := integrity.ParseDigest([]byte(base))
	if err != nil || d.PreviousSignature != nil || d.S3Bucket != "b" || d.Fingerprint != "ab" || d.EndTime != "2026-11-03T11:01:31Z" {
		t.Fatalf("parse: %+v %v", d, err)
	}
	if got := integrity.StringToSign(d, []byte("x")); got != "2026-11-03T11:01:31Z\nb/AWSLogs/x.json.gz\n2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\nnull" {
		t.Errorf("string to sign: %q", got)
	}
	if _, err := integrity.ParseDigest([]byte(strings.Replace(base, `"previousDigestSignature":null,`, "", 1))); err == nil || !strings.Contains(err.Error(), "previousDigestSignature") {
		t.Errorf("missing previousDigestSignature accepted: %v", err)
	}
	if _, err := integrity.ParseDigest([]byte(strings.Replace(base, `2026-11-03T11:01:31Z`, "soon", 1))); err == nil {
		t.Error("bad end time accepted")
	}
}

func TestNoDigestsOneFindingPerAccountRegion(t *testing.T) {
	f := write(t, baseTrail(t), true)
	for _, d := range f.built.Digests {
		os.Remove(f.path(d))
		os.Remove(f.path(d) + integrity.SidecarSuffix)
	}
	r := validate(t, f, keyring(t, keyA))
	c := r.Count()
	if r.OK() || c.ByKind[integrity.NotCovered] != 2 || c.NotCovered != 36 || !strings.Contains(strings.Join(r.Lines("log files"), "\n"), "No CloudTrail digest files were found") {
		t.Errorf("no digests: %+v\n%v", c, r.Lines("log files"))
	}
}
