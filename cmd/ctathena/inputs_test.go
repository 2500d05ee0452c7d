package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A control character in any value is refused, naming the flag, before
// anything runs; a bad value is echoed at most ~80 characters long.
func TestValuesTakenExactlyOrRefused(t *testing.T) {
	sample, _ := filepath.Abs("../../testdata/sample")
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "exfil", "--logs", sample, "--bucket", "payroll\nexports", "--out", "b")
	if code != exitUsage || !strings.Contains(stderr, `--bucket "payroll\nexports": the value holds a control character (U+000A at byte 8)`) {
		t.Errorf("newline in --bucket: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "hunt", "--logs="+sample+"\t", "--out", "b")
	if code != exitUsage || !strings.Contains(stderr, "--logs ") || !strings.Contains(stderr, "control character (U+0009") {
		t.Errorf("tab in --logs=: exit %d, stderr %q", code, stderr)
	}
	long := strings.Repeat("a", 100_000)
	code, _, stderr = runCLI(t, "exfil", "--logs", sample, "--bucket", long, "--out", "b")
	if code != exitUsage || len(stderr) > 600 || !strings.Contains(stderr, "(100000 characters in all)") {
		t.Errorf("100,000-character --bucket: exit %d, %d bytes of stderr: %.300q", code, len(stderr), stderr)
	}
	if _, err := os.Stat("b"); err == nil {
		t.Errorf("a refused run left its bundle folder behind")
	}
}

// --out is checked before any log is read: non-empty, a file, or inside
// --logs are refused at once; default names never collide.
func TestOutCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	os.WriteFile(filepath.Join(logs, "trail.json"), []byte(`{"Records":[]}`), 0o644)
	os.MkdirAll("full", 0o755)
	os.WriteFile(filepath.Join("full", "keep.txt"), []byte("mine"), 0o644)
	for _, c := range []struct {
		out, want string
	}{
		{"full", "--out full already exists and is not empty"},
		{filepath.Join("full", "keep.txt"), "is a file"},
		{filepath.Join(logs, "bundle"), "is inside --logs"},
		{logs, "already exists and is not empty"},
	} {
		start := time.Now()
		code, _, stderr := runCLI(t, "hunt", "--logs", logs, "--out", c.out, "--since", "2026-11-01", "--until", "2026-11-02")
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("--out %s: exit %d, stderr %q; want %q", c.out, code, stderr, c.want)
		}
		if strings.Contains(stderr, "reading CloudTrail") || time.Since(start) > 2*time.Second {
			t.Errorf("--out %s: checked only after reading the logs", c.out)
		}
	}
	if _, err := os.Stat(filepath.Join(logs, "bundle")); err == nil {
		t.Errorf("--out inside --logs was created")
	}
	fixed := func() time.Time { return time.Date(2026, 11, 29, 10, 15, 0, 0, time.UTC) }
	a, b := &globals{now: fixed}, &globals{now: fixed}
	if err := a.prepareOut("hunt"); err != nil {
		t.Fatal(err)
	}
	if err := b.prepareOut("hunt"); err != nil {
		t.Fatal(err)
	}
	if a.outDir != "ctathena-hunt-20261129T101500Z" || b.outDir != "ctathena-hunt-20261129T101500Z-2" {
		t.Errorf("two runs in the same second chose %q and %q", a.outDir, b.outDir)
	}
}

// A reader that stops early (| head) never costs the bundle.
func TestClosedStdoutKeepsTheBundle(t *testing.T) {
	sample, _ := filepath.Abs("../../testdata/sample")
	t.Chdir(t.TempDir())
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var stderr bytes.Buffer
	code := Main([]string{"exfil", "--logs", sample, "--bucket", "payroll-exports", "--since", "2026-11-01", "--until", "2026-11-08", "--out", "b"}, strings.NewReader(""), w, &stderr)
	if code != exitOK {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stdout was closed before the results were printed; they are all in the bundle") {
		t.Errorf("stderr does not say stdout was closed: %s", stderr.String())
	}
	if code, _, stderr := runCLI(t, "verify", "b"); code != exitOK {
		t.Errorf("the bundle does not verify: %s", stderr)
	}
}

// --format json says whether the answer is complete, and why not, for
// every investigation command: a script reading stdout must not take a
// partial answer for a clean one.
func TestJSONSaysIncomplete(t *testing.T) {
	sample, _ := filepath.Abs("../../testdata/sample")
	dir := t.TempDir()
	t.Chdir(dir)
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	// One good read and one record without eventTime (counted, never
	// dropped silently: the answer is INCOMPLETE).
	os.WriteFile(filepath.Join(logs, "trail.json"), []byte(`{"Records":[
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012"},"eventTime":"2026-11-05T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"curl/8","requestParameters":{"bucketName":"data-bkt","key":"a.csv"},"additionalEventData":{"bytesTransferredOut":1000},"eventID":"e-1","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"123456789012","eventCategory":"Data"},
{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e-2"}
]}`), 0o644)
	window := []string{"--since", "2026-11-05", "--until", "2026-11-06", "--format", "json"}
	type answer struct {
		Command    string    `json:"command"`
		Complete   *bool     `json:"complete"`
		Incomplete *[]string `json:"incomplete"`
	}
	check := func(name string, wantComplete bool, wantExit int, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != wantExit {
			t.Fatalf("%s: exit %d, want %d\n%s", name, code, wantExit, stderr)
		}
		var a answer
		if err := json.Unmarshal([]byte(stdout), &a); err != nil {
			t.Fatalf("%s: stdout is not JSON: %v\n%.500s", name, err, stdout)
		}
		switch {
		case a.Complete == nil || a.Incomplete == nil:
			t.Errorf("%s: the JSON has no complete/incomplete: %.300s", name, stdout)
		case *a.Complete != wantComplete:
			t.Errorf("%s: complete %v, want %v", name, *a.Complete, wantComplete)
		case wantComplete && len(*a.Incomplete) != 0:
			t.Errorf("%s: complete, yet incomplete lists %q", name, *a.Incomplete)
		case !wantComplete && !strings.Contains(strings.Join(*a.Incomplete, " "), "no eventTime"):
			t.Errorf("%s: incomplete %q does not give the reason (a record without eventTime)", name, *a.Incomplete)
		}
	}
	for i, args := range [][]string{
		{"exfil", "--logs", logs, "--bucket", "data-bkt"},
		{"access", "--logs", logs, "--bucket", "data-bkt"},
		{"identity", "--logs", logs, "--ip", "203.0.113.0/24"},
		{"hunt", "--logs", logs},
		{"query", "exfil/top_readers", "--logs", logs, "--param", "buckets=data-bkt"},
	} {
		check(args[0]+" (a record without eventTime)", false, exitPartial, append(append(args, window...), "--out", fmt.Sprintf("i%d", i))...)
	}
	check("exfil on the sample", true, exitOK, "exfil", "--logs", sample, "--bucket", "payroll-exports",
		"--since", "2026-11-01", "--until", "2026-11-08", "--format", "json", "--out", "c")
}
