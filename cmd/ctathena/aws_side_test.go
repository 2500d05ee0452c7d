package main

import (
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// noAWS points every AWS setting at nothing: no credentials anywhere, and
// every endpoint (services and the instance metadata service) at a local
// listener that counts the connections made to it.
func noAWS(t *testing.T) *atomic.Int64 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	url := "http://" + ln.Addr().String()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_ENDPOINT_URL": url, "AWS_EC2_METADATA_SERVICE_ENDPOINT": url, "AWS_REGION": "eu-west-1",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	return &n
}

// TestSetupDryRunOffline: with the organization, accounts and regions
// given, a dry run plans without credentials and without a single
// connection, and prints the calls and the DDL.
func TestSetupDryRunOffline(t *testing.T) {
	conns := noAWS(t)
	conf := filepath.Join(t.TempDir(), "ctathena.json")
	code, out, errs := runMain(t, "setup", "--dry-run", "--config", conf, "--trail-bucket", "org-trail", "--trail-prefix", "ct",
		"--data-bucket", "org-data", "--results", "s3://ir-results/ctathena/", "--org-id", "o-a1b2c3d4e5",
		"--accounts", "111111111111,222222222222", "--regions", "us-east-1,eu-west-1")
	if code != 0 {
		t.Fatalf("offline dry run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"glue CreateDatabase ctathena", "glue CreateTable ctathena.", "athena CreateWorkGroup ctathena",
		"CREATE EXTERNAL TABLE IF NOT EXISTS", "s3://org-trail/ct/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}",
		"s3://org-data/AWSLogs/o-a1b2c3d4e5/"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "offline dry run") {
		t.Errorf("stderr does not say the plan was made offline:\n%s", errs)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the offline dry run opened %d connections", n)
	}
	// Without everything discovery would find, a dry run needs AWS: the
	// missing credentials are reported as such (exit 4), not as a crash.
	code, _, errs = runMain(t, "setup", "--dry-run", "--config", conf, "--trail-bucket", "org-trail",
		"--results", "s3://ir-results/ctathena/", "--org-id", "o-a1b2c3d4e5")
	if code != exitCredentials || !strings.Contains(errs, "credentials") {
		t.Errorf("dry run needing discovery without credentials: exit %d\n%s", code, errs)
	}
	if strings.Contains(errs, "aws sdk") || strings.Contains(strings.ToLower(errs), "imds") && !strings.Contains(errs, "credentials") {
		t.Errorf("SDK log lines reached the user:\n%s", errs)
	}
}

type policyDoc struct {
	Statement []struct {
		Sid       string
		Action    []string
		Resource  []string
		Condition map[string]map[string][]string
	}
}

func parsePolicy(t *testing.T, s string) policyDoc {
	t.Helper()
	var d policyDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, s)
	}
	return d
}

// grants lists every (action, resource) pair, failing on one granted twice
// or a resource listed twice in a statement.
func grants(t *testing.T, d policyDoc) map[string]string {
	t.Helper()
	seen := map[string]string{}
	for _, s := range d.Statement {
		res := map[string]bool{}
		for _, r := range s.Resource {
			if res[r] {
				t.Errorf("statement %s lists %s twice", s.Sid, r)
			}
			res[r] = true
			for _, a := range s.Action {
				k := a + " " + r
				if other, ok := seen[k]; ok {
					t.Errorf("%s on %s granted by both %s and %s", a, r, other, s.Sid)
				}
				seen[k] = s.Sid
			}
		}
	}
	return seen
}

func TestIAMPolicyPrefixesAndKMS(t *testing.T) {
	key := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	// Results in the trail bucket, data events beside management events
	// under another prefix of the same bucket: nothing granted twice.
	code, out, errs := runMain(t, "iam-policy", "--trail-bucket", "org-trail", "--trail-prefix", "mgmt/",
		"--data-bucket", "org-trail", "--data-prefix", "/data", "--results", "s3://org-trail/athena/", "--kms-key", key)
	if code != 0 {
		t.Fatalf("iam-policy: exit %d\n%s", code, errs)
	}
	d := parsePolicy(t, out)
	g := grants(t, d)
	for _, want := range []string{
		"s3:GetObject arn:aws:s3:::org-trail/mgmt/AWSLogs/*", "s3:GetObject arn:aws:s3:::org-trail/data/AWSLogs/*",
		"s3:PutObject arn:aws:s3:::org-trail/athena/*", "s3:ListBucket arn:aws:s3:::org-trail", "kms:Decrypt " + key,
		"s3:ListBucketMultipartUploads arn:aws:s3:::org-trail",
	} {
		if g[want] == "" {
			t.Errorf("policy does not grant %s:\n%s", want, out)
		}
	}
	for _, s := range d.Statement {
		if s.Sid == "ListTrailLogs" {
			got := strings.Join(s.Condition["StringLike"]["s3:prefix"], " ")
			if got != "athena/ athena/* data/AWSLogs/ data/AWSLogs/* mgmt/AWSLogs/ mgmt/AWSLogs/*" {
				t.Errorf("listing condition %q", got)
			}
		}
	}
	if strings.Contains(out, "arn:aws:s3:::org-trail/AWSLogs/") {
		t.Errorf("policy ignores the prefixes:\n%s", out)
	}
	// No key, no KMS statement.
	_, out, _ = runMain(t, "iam-policy", "--trail-bucket", "org-trail", "--results", "s3://ir-results/")
	if strings.Contains(out, "kms:") {
		t.Errorf("kms granted without --kms-key:\n%s", out)
	}
	grants(t, parsePolicy(t, out))
	for _, bad := range [][]string{
		{"iam-policy", "--trail-bucket", "org-trail", "--results", "s3://r/", "--kms-key", "alias/trail"},
		{"iam-policy", "--trail-bucket", "org-trail", "--trail-prefix", "a*", "--results", "s3://r/"},
		{"iam-policy", "--trail-prefix", "x", "--config", filepath.Join(t.TempDir(), "none.json")},
	} {
		if code, _, errs := runMain(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, errs)
		}
	}
}

// TestSDKLogLinesOnlyWithDebug: the SDK's warnings never reach the user
// as they come; with --debug they appear, one marked line each.
func TestSDKLogLinesOnlyWithDebug(t *testing.T) {
	var errb bytes.Buffer
	g := &globals{stderr: &errb}
	l := sdkLogger{g: g}
	l.Logf(logging.Warn, "failed to get IMDSv2 token,\n falling back to IMDSv1: %s", "dial tcp 169.254.169.254:80")
	if errb.Len() != 0 {
		t.Fatalf("SDK warning shown without --debug: %q", errb.String())
	}
	g.debug = true
	l.Logf(logging.Warn, "failed to get IMDSv2 token,\n falling back to IMDSv1: %s", "x")
	if got := errb.String(); got != "  aws sdk warn: failed to get IMDSv2 token, falling back to IMDSv1: x\n" {
		t.Errorf("debug line %q", got)
	}
}
