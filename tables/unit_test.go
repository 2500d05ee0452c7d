package tables

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athtypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func sampleConfig() Config {
	return Config{Region: "us-east-1", Database: "ctathena", Workgroup: "ctathena", ResultsLocation: "s3://ir-results/athena/",
		Account: "999999999999", OrgID: "o-a1b2c3d4e5", Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"},
		Tables: map[string]TableConfig{"management": {Name: "management", Location: "s3://org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/", Bucket: "org-trail", Prefix: "cloudtrail"}}}
}

func TestSaveConfigMergesAndRefusesLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ctathena.json")
	if err := SaveConfig(path, sampleConfig(), false); err != nil {
		t.Fatal(err)
	}
	next := sampleConfig()
	next.Accounts = []string{"222222222222"}
	next.Tables = map[string]TableConfig{"data": {Name: "data", Location: "s3://data-events/AWSLogs/"}}
	next.Region = ""
	if err := SaveConfig(path, next, false); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Accounts, ",") != "111111111111,222222222222" || len(got.Tables) != 2 || got.Region != "us-east-1" {
		t.Errorf("merged config = %+v", got)
	}
	clash := sampleConfig()
	clash.Database = "other"
	if err := SaveConfig(path, clash, false); !errors.Is(err, ErrConfigConflict) || !strings.Contains(err.Error(), "database") {
		t.Errorf("conflicting save: %v", err)
	}
	if got, _ := LoadConfig(path); got.Database != "ctathena" {
		t.Error("conflicting save overwrote the file")
	}
	if err := SaveConfig(path, clash, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadConfig(path); got.Database != "other" {
		t.Error("overwrite did not overwrite")
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SaveConfig(path, sampleConfig(), false); err == nil {
		t.Error("unreadable existing config silently replaced")
	}
}

func TestIAMPolicy(t *testing.T) {
	c := sampleConfig()
	c.Tables["data"] = TableConfig{Name: "data", Location: "s3://data-events/AWSLogs/"}
	p := IAMPolicy(c)
	var doc struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(p), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, p)
	}
	for _, want := range []string{
		`"arn:aws:s3:::org-trail/cloudtrail/AWSLogs/*"`, `"arn:aws:s3:::data-events/AWSLogs/*"`,
		`"arn:aws:s3:::ir-results/athena/*"`, `"arn:aws:glue:us-east-1:999999999999:table/ctathena/management"`,
		`"arn:aws:glue:us-east-1:999999999999:database/ctathena"`, `"arn:aws:athena:us-east-1:999999999999:workgroup/ctathena"`,
		`"athena:StopQueryExecution"`, `"cloudtrail/AWSLogs/*"`,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if strings.HasSuffix(a, ":*") || strings.Contains(a, "Delete") {
				t.Errorf("statement %s grants %s", s.Sid, a)
			}
		}
		for _, r := range s.Resource {
			if r == "*" && s.Sid != "DiscoverOrganization" && s.Sid != "CloudTrailPublicKeys" {
				t.Errorf("statement %s on every resource", s.Sid)
			}
		}
	}
}

// pagedS3 serves common prefixes one per page, to prove discovery follows
// continuation tokens and never asks for objects.
type pagedS3 struct {
	dirs map[string][]string
	// years are the folders a listing rolled up at "/2" (the year
	// folders) names under a prefix: account/CloudTrail/region.
	years map[string][]string
	calls int
}

func (p *pagedS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	p.calls++
	all, sep := p.dirs[aws.ToString(in.Prefix)], "/"
	switch aws.ToString(in.Delimiter) {
	case "/":
	case "/2":
		all, sep = p.years[aws.ToString(in.Prefix)], "/2"
	default:
		return nil, errors.New("listing without a delimiter")
	}
	i := 0
	if tok := aws.ToString(in.ContinuationToken); tok != "" {
		i = int(tok[0] - '0')
	}
	out := &s3.ListObjectsV2Output{}
	if i < len(all) {
		out.CommonPrefixes = []s3types.CommonPrefix{{Prefix: aws.String(aws.ToString(in.Prefix) + all[i] + sep)}}
	}
	if i+1 < len(all) {
		out.IsTruncated = aws.Bool(true)
		out.NextContinuationToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestDiscoverPagesThroughPrefixes(t *testing.T) {
	p := &pagedS3{dirs: map[string][]string{
		"AWSLogs/": {"111111111111", "222222222222", "not-an-account"},
	}, years: map[string][]string{
		"AWSLogs/": {"111111111111/CloudTrail/eu-west-1", "111111111111/CloudTrail/us-east-1",
			"111111111111/CloudTrail-Digest/sa-east-1", "222222222222/CloudTrail/ap-northeast-1"},
	}}
	l, err := discover(context.Background(), p, Source{Bucket: "b"}, "auto")
	if err != nil {
		t.Fatal(err)
	}
	if l.orgID != "" || strings.Join(l.accounts, ",") != "111111111111,222222222222" ||
		strings.Join(l.regions, ",") != "ap-northeast-1,eu-west-1,us-east-1" {
		t.Errorf("layout = %+v", l)
	}
	if p.calls != 7 {
		t.Errorf("%d list calls, want 7 (3 pages of accounts, 4 of account/region folders)", p.calls)
	}
	p.dirs["AWSLogs/"] = []string{"o-aaaaaaaaaa", "o-bbbbbbbbbb"}
	if _, err := discover(context.Background(), p, Source{Bucket: "b"}, ""); err == nil || !strings.Contains(err.Error(), "--org-id") {
		t.Errorf("two organizations: %v", err)
	}
}

// fakeWorkgroups holds one workgroup; moto has no UpdateWorkGroup, so drift
// of workgroup settings is tested here.
type fakeWorkgroups struct {
	wg      *athtypes.WorkGroup
	updates []*athena.UpdateWorkGroupInput
}

func (f *fakeWorkgroups) GetWorkGroup(ctx context.Context, in *athena.GetWorkGroupInput, _ ...func(*athena.Options)) (*athena.GetWorkGroupOutput, error) {
	if f.wg == nil {
		return nil, &athtypes.InvalidRequestException{Message: aws.String("WorkGroup " + aws.ToString(in.WorkGroup) + " is not found.")}
	}
	return &athena.GetWorkGroupOutput{WorkGroup: f.wg}, nil
}

func (f *fakeWorkgroups) CreateWorkGroup(ctx context.Context, in *athena.CreateWorkGroupInput, _ ...func(*athena.Options)) (*athena.CreateWorkGroupOutput, error) {
	f.wg = &athtypes.WorkGroup{Name: in.Name, Description: in.Description, Configuration: in.Configuration}
	return &athena.CreateWorkGroupOutput{}, nil
}

func (f *fakeWorkgroups) UpdateWorkGroup(ctx context.Context, in *athena.UpdateWorkGroupInput, _ ...func(*athena.Options)) (*athena.UpdateWorkGroupOutput, error) {
	f.updates = append(f.updates, in)
	u := in.ConfigurationUpdates
	if u.BytesScannedCutoffPerQuery != nil {
		f.wg.Configuration.BytesScannedCutoffPerQuery = u.BytesScannedCutoffPerQuery
	}
	return &athena.UpdateWorkGroupOutput{}, nil
}

func TestWorkgroupConvergence(t *testing.T) {
	f := &fakeWorkgroups{}
	s := &setup{c: Clients{Athena: f}, o: Options{Workgroup: "ctathena", ResultsLocation: "s3://r/x/", ScanLimitBytes: 100}, res: &Result{}}
	ctx := context.Background()
	if err := s.workgroup(ctx); err != nil || f.wg == nil {
		t.Fatalf("create: %v", err)
	}
	if err := s.workgroup(ctx); err != nil || len(f.updates) != 0 {
		t.Fatalf("rerun: %v, updates %d", err, len(f.updates))
	}
	s.o.ScanLimitBytes = 200
	if err := s.workgroup(ctx); err != nil || len(f.updates) != 1 || aws.ToInt64(f.updates[0].ConfigurationUpdates.BytesScannedCutoffPerQuery) != 200 {
		t.Fatalf("scan limit drift: %v, updates %+v", err, f.updates)
	}
	if u := f.updates[0].ConfigurationUpdates; u.ResultConfigurationUpdates != nil || u.EngineVersion != nil {
		t.Errorf("update touched settings that had not drifted: %+v", u)
	}
	f.wg.Description = aws.String("someone else's")
	if err := s.workgroup(ctx); !errors.Is(err, ErrForeignTable) {
		t.Errorf("foreign workgroup: %v", err)
	}
	s.o.DryRun, s.o.Force = true, true
	f.wg.Configuration.EnforceWorkGroupConfiguration = aws.Bool(false)
	if err := s.workgroup(ctx); err != nil || len(f.updates) != 1 || !s.res.Changed() {
		t.Errorf("dry forced run: %v, updates %d, changed %v", err, len(f.updates), s.res.Changed())
	}
}
