package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	engathena "github.com/ctathena/ctathena/engine/athena"
	"github.com/ctathena/ctathena/internal/moto"
	"github.com/ctathena/ctathena/tables"
)

// Athena's documented limits on one StartQueryExecution (API reference,
// StartQueryExecution: QueryString at most 262,144 bytes; each
// ExecutionParameters member at most 1,024 characters).
const (
	maxQueryBytes = 262144
	maxParamChars = 1024
)

var scaleRegions = []string{"af-south-1", "ap-east-1", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-2"}

// scaleEnv points the CLI at moto as a user's environment would.
func scaleEnv(t *testing.T) (*moto.Server, aws.Config) {
	t.Helper()
	srv := moto.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretAccessKey)
	t.Setenv("AWS_REGION", moto.Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return srv, aws.Config{Region: moto.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, "")}
}

// logFile is one file of the layout.
type logFile struct {
	account, day string
	size         int64
}

// orgLayout writes one small log file per account (in one of the 17
// regions, on one of three days) under an organization trail: every account
// and region folder exists, cheaply. It returns the files written.
func orgLayout(t *testing.T, sc *s3.Client, bucket string, accounts []string) []logFile {
	t.Helper()
	ctx := context.Background()
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	var files []logFile
	type obj struct {
		key  string
		size int
	}
	var objs []obj
	for i, a := range accounts {
		day := fmt.Sprintf("2026/10/%02d", 29+i%3)
		r := scaleRegions[i%len(scaleRegions)]
		size := 200 + i%97
		objs = append(objs, obj{fmt.Sprintf("AWSLogs/o-a1b2c3d4e5/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_x.json.gz", a, r, day, a, r), size})
		files = append(files, logFile{a, day, int64(size)})
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, o := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(make([]byte, o.size))})
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return files
}

// recorded is one StartQueryExecution as moto recorded it.
type recorded struct {
	name, text string
	params     []string
}

// newExecutions returns the executions moto recorded since the last call,
// named from the bundle's manifest.
func newExecutions(t *testing.T, ac *athena.Client, seen map[string]bool, manifest string) []recorded {
	t.Helper()
	ctx := context.Background()
	names := map[string]string{}
	if b, err := os.ReadFile(manifest); err == nil {
		var m struct {
			Queries []struct {
				Name        string `json:"name"`
				ExecutionID string `json:"execution_id"`
			} `json:"queries"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		for _, q := range m.Queries {
			names[q.ExecutionID] = q.Name
		}
	}
	var out []recorded
	var token *string
	for {
		l, err := ac.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range l.QueryExecutionIds {
			if seen[id] {
				continue
			}
			seen[id] = true
			qe, err := ac.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, recorded{name: names[id], text: aws.ToString(qe.QueryExecution.Query), params: qe.QueryExecution.ExecutionParameters})
		}
		if token = l.NextToken; token == nil {
			return out
		}
	}
}

// scaleFigures are what one organization size sent to Athena.
type scaleFigures struct {
	queries, maxParam, maxText, maxParams       int
	maxParamQuery, maxTextQuery, maxParamsQuery string
	// before is what each query projected with the account enum (accounts
	// set up × regions × days); projected, maxScan and scans what its
	// scoped scans project in all, at most in one, and how many.
	before, projected, maxScan map[string]int64
	scans                      map[string]int
	overParam                  []string
}

// TestAthenaOrganizationScale runs setup, exfil, access, identity --pivot
// and hunt on Athena (moto) for organizations of 80, 500 and 2,000 accounts
// in 17 regions, and holds every StartQueryExecution moto recorded to
// Athena's limits: the query text, each parameter as sent, and the
// partitions the query projects (tables/limits.go).
func TestAthenaOrganizationScale(t *testing.T) {
	srv, cfg := scaleEnv(t)
	tableSizes := map[int]int{}
	ctx := context.Background()
	// Checksums only where S3 requires them: the layout is thousands of
	// small writes, and moto verifies a trailing checksum slowly.
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	ac := athena.NewFromConfig(cfg)
	gc := glue.NewFromConfig(cfg)
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ir-results")}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	summary := map[int]*scaleFigures{}
	// One organization trail of 2,000 accounts; the smaller organizations
	// are its first 80 and 500 accounts, given to setup with --accounts
	// (the largest is discovered).
	all := make([]string, 2000)
	for i := range all {
		all[i] = strconv.Itoa(300000000000 + i*7919)
	}
	const bucket = "org-trail"
	t0 := time.Now()
	files := orgLayout(t, sc, bucket, all)
	t.Logf("layout of %d accounts written in %s", len(all), time.Since(t0).Round(time.Millisecond))
	// Largest first: the smaller organizations' estimates reuse its
	// listing (the folders of accounts they do not project are left out).
	for _, n := range []int{2000, 500, 80} {
		t.Run(fmt.Sprintf("%d_accounts", n), func(t *testing.T) {
			started := time.Now()
			f := &scaleFigures{before: map[string]int64{}, projected: map[string]int64{}, maxScan: map[string]int64{}, scans: map[string]int{}}
			summary[n] = f
			accounts := all[:n]
			dir := t.TempDir()
			conf := filepath.Join(dir, "ctathena.json")
			db, wg := fmt.Sprintf("ct_%d", n), fmt.Sprintf("wg_%d", n)
			setup := []string{"setup", "--trail-bucket", bucket, "--results", "s3://ir-results/" + db + "/",
				"--config", conf, "--database", db, "--workgroup", wg}
			if n < len(all) {
				setup = append(setup, "--accounts", strings.Join(accounts, ","))
			}
			code, out, errs := runMain(t, setup...)
			if code != 0 {
				t.Fatalf("setup: exit %d\n%s\n%s", code, out, errs)
			}
			t.Logf("setup %s", time.Since(started))
			c, err := tables.LoadConfig(conf)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Accounts) != n || len(c.Regions) != len(scaleRegions) {
				t.Fatalf("setup found %d accounts and %d regions, want %d and %d", len(c.Accounts), len(c.Regions), n, len(scaleRegions))
			}
			tbl, err := gc.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String(db), Name: aws.String(c.Tables["management"].Name)})
			if err != nil {
				t.Fatal(err)
			}
			// The account column is injected: the definition does not grow
			// with the organization.
			if p := tbl.Table.Parameters; p["projection.account.type"] != "injected" || p["projection.account.values"] != "" {
				t.Errorf("table projects accounts as %q with values %.80q; want injected", p["projection.account.type"], p["projection.account.values"])
			}
			size := glueSize(t, tbl.Table)
			if size > tables.GlueTableMetadataMax || size > 8<<10 {
				t.Errorf("table definition is %d bytes gzip-compressed (Glue's limit %d; injected accounts keep it under 8 KB)", size, tables.GlueTableMetadataMax)
			}
			tableSizes[n] = size
			if len(c.Regions) > tables.EnumAdvice {
				t.Errorf("%d regions projected, more than AWS's few dozen", len(c.Regions))
			}
			if strings.Contains(errs, "more than the few dozen AWS advises") {
				t.Errorf("setup says an enum is past AWS's advice:\n%s", errs)
			}
			t.Logf("%d accounts: table definition %d bytes gzip-compressed (Glue limit %d)", n, size, tables.GlueTableMetadataMax)

			// The estimate before the run is the sum of the sizes of the
			// files in the days each query reads.
			code, out, errs = runMain(t, "exfil", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-10-02", "--until", "2026-11-01", "--dry-run")
			if code != 0 {
				t.Fatalf("exfil --dry-run: exit %d\n%s", code, errs)
			}
			var wantBase, wantWindow int64
			for _, f := range files[:n] {
				if f.day >= "2026/09/17" && f.day <= "2026/11/02" {
					wantBase += f.size
				}
				if f.day >= "2026/10/01" && f.day <= "2026/11/02" {
					wantWindow += f.size
				}
			}
			for q, want := range map[string]int64{"exfil/baseline": wantBase, "exfil/top_readers": wantWindow} {
				if got := estimatedBytes(t, errs, q); got != want {
					t.Errorf("%s estimated at %d bytes, want the files' %d", q, got, want)
				}
			}
			if strings.Contains(errs, "a Trino table scan reads by default") {
				t.Errorf("the dry run plans a scan over Trino's limit:\n%s", errs)
			}
			// The dry run prints the SQL as it will be sent: scoped, with
			// exfil/read_partitions first, which it prices too.
			if !strings.Contains(out, "WHERE account IN (?") || !strings.HasPrefix(out, "-- query: exfil/read_partitions\n") {
				t.Errorf("the dry run's SQL is not scoped to the account folders, or does not start with exfil/read_partitions:\n%.300s", out)
			}
			if got := estimatedBytes(t, errs, "exfil/read_partitions"); got != wantWindow {
				t.Errorf("exfil/read_partitions estimated at %d bytes, want the window's files' %d", got, wantWindow)
			}

			t.Logf("dry run %s", time.Since(started))
			if n == 80 {
				maxCostRefuses(t, ac, seen, conf, dir)
			}
			runs := [][]string{
				{"exfil", "--bucket", "payroll-exports", "--since", "2026-10-02", "--until", "2026-11-01"},
				{"access", "--bucket", "payroll-exports", "--since", "2026-10-25", "--until", "2026-11-01"},
				{"identity", "--arn", "arn:aws:iam::300000000000:user/alice", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--pivot", "2",
					"--since", "2026-10-25", "--until", "2026-11-01"},
				{"hunt", "--since", "2026-10-25", "--until", "2026-11-01"},
			}
			for _, args := range runs {
				bundle := filepath.Join(dir, args[0])
				if args[0] == "exfil" {
					// exfil/read_partitions runs first; the bucket's reads are
					// in two folders (and one it names that does not exist).
					queueReadPartitions(t, srv, readFolders)
				}
				code, _, errs := runMain(t, append(args, "--config", conf, "--out", bundle)...)
				if code != 0 && code != exitPartial {
					t.Fatalf("%s on athena: exit %d\n%s", args[0], code, errs)
				}
				t.Logf("%s %s", args[0], time.Since(started))
				recs := newExecutions(t, ac, seen, filepath.Join(bundle, "manifest.json"))
				if len(recs) == 0 {
					t.Fatalf("%s started no query", args[0])
				}
				if args[0] == "exfil" {
					for _, l := range strings.Split(errs, "\n") {
						if strings.Contains(l, "read_partitions") {
							t.Logf("exfil said: %.300s", l)
						}
					}
					checkExfilNarrowed(t, recs, readFolders, n, bundle)
				}
				for _, r := range recs {
					f.queries++
					if len(r.params) > f.maxParams {
						f.maxParams, f.maxParamsQuery = len(r.params), r.name
					}
					checkScans(t, r, db, f)
					if len(r.text) > maxQueryBytes {
						t.Errorf("%s: query text of %d bytes, over Athena's %d", r.name, len(r.text), maxQueryBytes)
					}
					if len(r.text) > f.maxText {
						f.maxText, f.maxTextQuery = len(r.text), r.name
					}
					var days []any
					for _, p := range r.params {
						if n := len([]rune(p)); n > f.maxParam {
							f.maxParam, f.maxParamQuery = n, r.name
						}
						if n := len([]rune(p)); n > maxParamChars {
							f.overParam = append(f.overParam, fmt.Sprintf("%s (%d chars)", r.name, n))
						}
						days = append(days, strings.Trim(p, "'"))
					}
					from, to, ok := engathena.DayRange(days)
					if !ok {
						t.Errorf("%s: no partition day range among its parameters %q", r.name, r.params)
						continue
					}
					f.before[r.name] = int64(n) * int64(len(scaleRegions)) * int64(dayCount(t, from, to))
				}
			}
			for _, o := range f.overParam {
				t.Errorf("parameter over Athena's %d characters as sent: %s", maxParamChars, o)
			}
			t.Logf("%d accounts: %d queries in %s; largest parameter %d chars (%s), longest query %d bytes (%s), most parameters %d (%s)",
				n, f.queries, time.Since(started).Round(time.Millisecond), f.maxParam, f.maxParamQuery, f.maxText, f.maxTextQuery, f.maxParams, f.maxParamsQuery)
			names := make([]string, 0, len(f.before))
			for q := range f.before {
				names = append(names, q)
			}
			sort.Strings(names)
			var sigmaMax, sigmaBefore int64
			sigmaN := 0
			for _, q := range names {
				if strings.HasPrefix(q, "sigma/") {
					sigmaN++
					sigmaMax, sigmaBefore = max(sigmaMax, f.maxScan[q]), max(sigmaBefore, f.before[q])
					continue
				}
				t.Logf("%d accounts: %-40s enum projection %8d partitions; now %3d scans of at most %6d (%7d in all)",
					n, q, f.before[q], f.scans[q], f.maxScan[q], f.projected[q])
			}
			t.Logf("%d accounts: %d sigma/ queries: enum projection %d partitions each; now at most %d in one scan", n, sigmaN, sigmaBefore, sigmaMax)
		})
	}
	// The definition is the same size at every organization size (but for
	// the database name's digits).
	if a, b := tableSizes[80], tableSizes[2000]; a > 0 && b > 0 && (b-a > 8 || a-b > 8) {
		t.Errorf("table definition %d bytes at 80 accounts, %d at 2,000: it grows with the organization", tableSizes[80], tableSizes[2000])
	}
}

// glueSize is the gzip-compressed size of a Glue table's definition as
// GetTable returns it: what Glue's ~1 MB limit applies to.
func glueSize(t *testing.T, tb *gluetypes.Table) int {
	t.Helper()
	raw, err := json.Marshal(tb)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Len()
}

// checkScans holds each table scan of a recorded query to the per-scan
// budget, computed from the scan's own rendered constraints: accounts ×
// regions × days of its `account IN (…) AND region IN (…) AND day BETWEEN
// … AND …`, bound to the parameters moto recorded. Every reference to a
// table must be such a scan (an unconstrained one would project the whole
// table, and fail on an injected column).
func checkScans(t *testing.T, r recorded, db string, f *scaleFigures) {
	t.Helper()
	args := make([]any, len(r.params))
	for i, p := range r.params {
		args[i] = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(p, "'"), "'"), "''", "'")
	}
	scans := engathena.ParseScans(r.text, args)
	if refs := strings.Count(r.text, `FROM "`+db+`".`); refs != len(scans) || refs == 0 {
		t.Errorf("%s: %d table references but %d constrained scans:\n%.2000s", r.name, refs, len(scans), r.text)
	}
	f.scans[r.name] = len(scans)
	for _, s := range scans {
		p := s.Partitions()
		if p <= 0 || p > tables.ScanBudget || p > tables.ScanPartitionsMax {
			t.Errorf("%s: a scan projects %d partitions (%d accounts × %d regions × %s..%s), over the budget of %d",
				r.name, p, len(s.Accounts), len(s.Regions), s.DayFrom, s.DayTo, tables.ScanBudget)
		}
		for _, a := range s.Accounts {
			if !tables.IsAccountID(a) {
				t.Errorf("%s: scan account %q", r.name, a)
			}
		}
		for _, g := range s.Regions {
			if !tables.IsRegion(g) {
				t.Errorf("%s: scan region %q", r.name, g)
			}
		}
		f.maxScan[r.name] = max(f.maxScan[r.name], p)
		f.projected[r.name] += p
	}
}

// readFolders are where the moto layout holds files of accounts 0 and 18
// (orgLayout puts account i in region i%17), and one folder that does not
// exist, which the narrowing must drop.
var readFolders = [][2]string{
	{"300000000000", "af-south-1"}, {"300000142542", "ap-east-1"}, {"300000000000", "us-west-2"},
}

// queueReadPartitions gives exfil/read_partitions its answer.
func queueReadPartitions(t *testing.T, srv *moto.Server, folders [][2]string) {
	t.Helper()
	res := moto.AthenaResult{Rows: []moto.Row{{Data: []moto.Datum{{VarCharValue: moto.Str("account")}, {VarCharValue: moto.Str("region")}}}},
		ColumnInfo: []moto.ColumnInfo{{Name: "account", Type: "varchar"}, {Name: "region", Type: "varchar"}}}
	for _, f := range folders {
		res.Rows = append(res.Rows, moto.Row{Data: []moto.Datum{{VarCharValue: moto.Str(f[0])}, {VarCharValue: moto.Str(f[1])}}})
	}
	if err := srv.QueueAthenaResults(context.Background(), moto.Region, res); err != nil {
		t.Fatal(err)
	}
}

// checkExfilNarrowed: exfil/read_partitions ran first over every folder;
// the object-read queries then read only the folders it found that exist;
// bucket_changes (management events) every folder; the bundle says so.
func checkExfilNarrowed(t *testing.T, recs []recorded, folders [][2]string, n int, bundle string) {
	t.Helper()
	if len(recs) == 0 || !strings.Contains(recs[0].text, "SELECT DISTINCT account, region") {
		t.Fatalf("exfil's first query is not exfil/read_partitions")
	}
	want := map[string]bool{}
	for _, f := range folders[:2] {
		want[f[0]+"/"+f[1]] = true
	}
	for _, r := range recs {
		args := make([]any, len(r.params))
		for i, p := range r.params {
			args[i] = strings.Trim(p, "'")
		}
		got := map[string]bool{}
		for _, s := range engathena.ParseScans(r.text, args) {
			for _, a := range s.Accounts {
				for _, g := range s.Regions {
					got[a+"/"+g] = true
				}
			}
		}
		switch {
		case strings.Contains(r.text, "SELECT DISTINCT account, region"), r.name == "exfil/bucket_changes":
			if len(got) != n {
				t.Errorf("%s reads %d folders, want all %d", r.name, len(got), n)
			}
		default:
			if len(got) != len(want) || !got[folders[0][0]+"/"+folders[0][1]] || !got[folders[1][0]+"/"+folders[1][1]] {
				t.Errorf("%s reads folders %v, want only %v", r.name, got, want)
			}
		}
	}
	m, err := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m), "read only the 2 of "+strconv.Itoa(n)+" account/region folders where exfil/read_partitions found") ||
		!strings.Contains(string(m), `"name": "exfil/read_partitions"`) {
		t.Errorf("the manifest does not say which folders exfil read and why, or omits exfil/read_partitions")
	}
}

// estimatedBytes reads a query's estimate from the dry run's stderr.
func estimatedBytes(t *testing.T, stderr, query string) int64 {
	t.Helper()
	re := regexp.MustCompile(`estimate ` + regexp.QuoteMeta(query) + `: [^(\n]*\((\d+) bytes\) in \d+ files`)
	m := re.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no estimate for %s in:\n%s", query, stderr)
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

func dayCount(t *testing.T, from, to string) int {
	t.Helper()
	a, err1 := time.Parse("2006/01/02", from)
	b, err2 := time.Parse("2006/01/02", to)
	if err1 != nil || err2 != nil {
		t.Fatalf("days %s..%s", from, to)
	}
	return int(b.Sub(a).Hours()/24) + 1
}

// maxCostRefuses: an estimate over --max-cost, or over max_cost_usd in the
// config, stops the run before any query starts: exit 2, naming the
// estimate and the largest query.
func maxCostRefuses(t *testing.T, ac *athena.Client, seen map[string]bool, conf, dir string) {
	t.Helper()
	args := []string{"exfil", "--config", conf, "--bucket", "payroll-exports", "--since", "2026-10-02", "--until", "2026-11-01"}
	// Every query costs at least Athena's 10 MB minimum: $0.0000477.
	code, _, errs := runMain(t, append(args, "--max-cost", "0.0001", "--out", filepath.Join(dir, "refused"))...)
	re := regexp.MustCompile(`estimated cost \$([0-9.]+) \(.*\) is over --max-cost \$0\.0001; the largest query is (exfil/\w+) at \$[0-9.]+`)
	if code != exitUsage || !re.MatchString(errs) {
		t.Fatalf("--max-cost 0.0001: exit %d, want 2 naming the estimate and the largest query:\n%s", code, errs)
	}
	if recs := newExecutions(t, ac, seen, ""); len(recs) != 0 {
		t.Errorf("%d queries started although the estimate was over --max-cost", len(recs))
	}
	if _, err := os.Stat(filepath.Join(dir, "refused")); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote a bundle")
	}
	// The same limit from the config file.
	c, err := tables.LoadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	c.MaxCostUSD = 0.0001
	b, _ := json.Marshal(c)
	limited := filepath.Join(dir, "limited.json")
	if err := os.WriteFile(limited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	args[2] = limited
	if code, _, errs := runMain(t, append(args, "--out", filepath.Join(dir, "refused2"))...); code != exitUsage || !strings.Contains(errs, "is over --max-cost") {
		t.Errorf("max_cost_usd in the config: exit %d\n%s", code, errs)
	}
	// A limit above the estimate lets the run go.
	if code, _, errs := runMain(t, append(args[:len(args):len(args)], "--max-cost", "5", "--dry-run")...); code != 0 {
		t.Errorf("--max-cost 5 dry run: exit %d\n%s", code, errs)
	}
	if recs := newExecutions(t, ac, seen, ""); len(recs) != 0 {
		t.Errorf("%d queries started by refused or dry runs", len(recs))
	}
}
