package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/internal/moto"
	"github.com/ctathena/ctathena/investigate"
)

// runMain drives the CLI in-process and returns its exit code and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestAthenaEndToEnd runs setup and exfil through the real SDK against
// moto's server, configured only through the environment as a user would.
func TestAthenaEndToEnd(t *testing.T) {
	srv := moto.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretAccessKey)
	t.Setenv("AWS_REGION", moto.Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	cfg := aws.Config{Region: moto.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, "")}
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{"org-trail", "ir-results"} {
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	root := "../../testdata/aws/org-trail"
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String(filepath.ToSlash(rel)), Body: bytes.NewReader(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "ctathena.json")

	// A dry run calls nothing that mutates and writes no config.
	code, out, errs := runMain(t, "setup", "--trail-bucket", "org-trail", "--results", "s3://ir-results/ctathena/", "--config", conf, "--dry-run")
	if code != 0 || !strings.Contains(out, "CREATE EXTERNAL TABLE") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Fatalf("dry run wrote the config")
	}

	code, out, errs = runMain(t, "setup", "--trail-bucket", "org-trail", "--results", "s3://ir-results/ctathena/", "--config", conf)
	if code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", code, out, errs)
	}
	gc := glue.NewFromConfig(cfg)
	tbls, err := gc.GetTables(ctx, &glue.GetTablesInput{DatabaseName: aws.String("ctathena")})
	if err != nil || len(tbls.TableList) != 1 {
		t.Fatalf("tables after setup: %v %v", tbls, err)
	}
	params := tbls.TableList[0].Parameters
	if params["projection.enabled"] != "true" || params["projection.account.type"] != "injected" ||
		!strings.Contains(params["storage.location.template"], "s3://org-trail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}") {
		t.Errorf("table parameters: %v", params)
	}

	code, out, errs = runMain(t, "setup", "--trail-bucket", "org-trail", "--results", "s3://ir-results/ctathena/", "--config", conf)
	if code != 0 || !strings.Contains(errs, "no change") {
		t.Fatalf("second setup should change nothing: exit %d\n%s\n%s", code, out, errs)
	}

	// A hostile bucket is refused before any query starts.
	ac := athena.NewFromConfig(cfg)
	code, _, errs = runMain(t, "exfil", "--config", conf, "--bucket", "x' OR '1'='1", "--out", filepath.Join(dir, "hostile"))
	if code != 2 || !strings.Contains(errs, "not a valid S3 bucket name") {
		t.Fatalf("hostile bucket: exit %d\n%s", code, errs)
	}
	if l, _ := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{}); l != nil && len(l.QueryExecutionIds) > 0 {
		t.Fatalf("a query started for a hostile bucket: %v", l.QueryExecutionIds)
	}

	bundle := filepath.Join(dir, "bundle")
	code, out, errs = runMain(t, "exfil", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-11-01", "--until", "2026-11-03", "--out", bundle)
	if code != 0 {
		t.Fatalf("exfil on athena: exit %d\n%s\n%s", code, out, errs)
	}
	l, err := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	// exfil/read_partitions first (which folders hold the window's reads),
	// then one per exfil query.
	if len(l.QueryExecutionIds) != len(investigate.ExfilQueries)+1 {
		t.Fatalf("%d query executions, want %d (exfil/read_partitions, then one per exfil query)", len(l.QueryExecutionIds), len(investigate.ExfilQueries)+1)
	}
	for _, id := range l.QueryExecutionIds {
		qe, err := ac.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		q := aws.ToString(qe.QueryExecution.Query)
		if strings.Contains(q, "payroll-exports") || strings.Contains(q, "2026-11-01") {
			t.Errorf("a user value reached the SQL text:\n%s", q)
		}
		if !strings.Contains(q, `"ctathena"."`) {
			t.Errorf("query does not read the configured table:\n%s", q)
		}
		// Every scan names its partitions (the account column is injected).
		if strings.Count(q, `FROM "ctathena".`) != strings.Count(q, ` WHERE account IN (`) {
			t.Errorf("a table scan is not constrained to its account folders:\n%s", q)
		}
		found := false
		for _, p := range qe.QueryExecution.ExecutionParameters {
			found = found || p == "'payroll-exports'"
		}
		if !found {
			t.Errorf("execution parameters %q lack the bucket", qe.QueryExecution.ExecutionParameters)
		}
		if aws.ToString(qe.QueryExecution.WorkGroup) != "ctathena" {
			t.Errorf("query ran in workgroup %q", aws.ToString(qe.QueryExecution.WorkGroup))
		}
	}
	// The other packs on Athena: every value an ExecutionParameter, never SQL text.
	seen := map[string]bool{}
	for _, id := range l.QueryExecutionIds {
		seen[id] = true
	}
	for _, args := range [][]string{
		{"hunt", "--since", "2026-11-01", "--until", "2026-11-03"},
		{"access", "--bucket", "payroll-exports", "--since", "2026-11-01", "--until", "2026-11-03"},
		{"identity", "--arn", "arn:aws:iam::111111111111:user/alice", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--pivot", "2", "--since", "2026-11-01", "--until", "2026-11-03"},
	} {
		out := filepath.Join(dir, args[0])
		if code, _, errs := runMain(t, append(args, "--config", conf, "--out", out)...); code != 0 {
			t.Fatalf("%s on athena: exit %d\n%s", args[0], code, errs)
		}
		l, err := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, id := range l.QueryExecutionIds {
			if seen[id] {
				continue
			}
			seen[id] = true
			n++
			qe, err := ac.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			q := aws.ToString(qe.QueryExecution.Query)
			for _, v := range []string{"2026-11-0", "payroll-exports", "alice", "AKIAIOSFODNN7EXAMPLE"} {
				if strings.Contains(q, v) {
					t.Errorf("%s: %q reached the SQL text:\n%s", args[0], v, q)
				}
			}
			if len(qe.QueryExecution.ExecutionParameters) == 0 {
				t.Errorf("%s: a query ran without execution parameters:\n%s", args[0], q)
			}
		}
		if n == 0 {
			t.Errorf("%s started no query on Athena", args[0])
		}
	}

	if code, out, _ := runMain(t, "verify", bundle); code != 0 {
		t.Fatalf("verify: %d %s", code, out)
	}
	if code, out, _ := runMain(t, "iam-policy", "--config", conf); code != 0 || !strings.Contains(out, "arn:aws:s3:::org-trail") {
		t.Fatalf("iam-policy: %d %s", code, out)
	}
}
