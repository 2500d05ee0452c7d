package tables

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athtypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/internal/moto"
)

type motoAWS struct {
	clients Clients
	s3      *s3.Client
	glue    *glue.Client
	athena  *athena.Client
}

func startMoto(t *testing.T) *motoAWS {
	t.Helper()
	srv := moto.Start(t)
	cfg := aws.Config{Region: moto.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(moto.AccessKeyID, moto.SecretAccessKey, "")}
	m := &motoAWS{
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		glue:   glue.NewFromConfig(cfg),
		athena: athena.NewFromConfig(cfg),
	}
	m.clients = Clients{S3: m.s3, Glue: m.glue, Athena: m.athena, Orgs: organizations.NewFromConfig(cfg)}
	return m
}

func (m *motoAWS) bucket(t *testing.T, name string) {
	t.Helper()
	if _, err := m.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// upload copies a fixture tree from testdata/aws into bucket under prefix.
func (m *motoAWS) upload(t *testing.T, tree, bucket, prefix string) {
	t.Helper()
	root := filepath.Join("..", "testdata", "aws", tree)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		key := filepath.ToSlash(rel)
		if prefix != "" {
			key = prefix + "/" + key
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = m.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f})
		return err
	})
	if err != nil {
		t.Fatalf("upload %s: %v", tree, err)
	}
}

func (m *motoAWS) table(t *testing.T, name string) *gluetypes.Table {
	t.Helper()
	out, err := m.glue.GetTable(context.Background(), &glue.GetTableInput{DatabaseName: aws.String("ctathena"), Name: aws.String(name)})
	if err != nil {
		t.Fatalf("get table %s: %v", name, err)
	}
	return out.Table
}

func orgOptions() Options {
	return Options{Region: moto.Region, ResultsLocation: "s3://ir-results/athena/", ScanLimitBytes: 200 << 30,
		Trail: Source{Bucket: "org-trail", Prefix: "cloudtrail"}, Start: "2026-01-01"}
}

func mutating(r *Result) []string {
	var out []string
	for _, a := range r.Actions {
		if a.Mutating {
			out = append(out, a.Call+" "+a.Target)
		}
	}
	return out
}

func TestSetupConvergesOnMoto(t *testing.T) {
	m := startMoto(t)
	ctx := context.Background()
	m.bucket(t, "org-trail")
	m.bucket(t, "ir-results")
	m.upload(t, "org-trail", "org-trail", "cloudtrail")

	res, err := Setup(ctx, m.clients, orgOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.OrgID != "o-a1b2c3d4e5" {
		t.Errorf("org id = %q", res.OrgID)
	}
	if want := []string{"111111111111", "222222222222"}; !slices.Equal(res.Accounts, want) {
		t.Errorf("accounts = %v, want %v", res.Accounts, want)
	}
	// us-west-2 only has a CloudTrail-Digest folder and ap-south-1 only
	// CloudTrail-Insight: neither is a CloudTrail region.
	if want := []string{"eu-west-1", "us-east-1"}; !slices.Equal(res.Regions, want) {
		t.Errorf("regions = %v, want %v", res.Regions, want)
	}
	if got, want := mutating(res), []string{"CreateDatabase ctathena", "CreateTable ctathena.management", "CreateWorkGroup ctathena"}; !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "AWSOrganizationsNotInUseException") {
		t.Errorf("organizations failure not noted: %v", res.Notes)
	}
	tb := m.table(t, "management")
	p := tb.Parameters
	for k, v := range map[string]string{
		"projection.enabled":        "true",
		"projection.account.type":   "injected",
		"projection.account.values": "",
		"projection.region.values":  "eu-west-1,us-east-1",
		"projection.day.range":      "2026/01/01,NOW",
		"projection.day.format":     "yyyy/MM/dd",
		"storage.location.template": "s3://org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}",
		ParamManaged:                "true",
	} {
		if p[k] != v {
			t.Errorf("table parameter %s = %q, want %q", k, p[k], v)
		}
	}
	sd := tb.StorageDescriptor
	if aws.ToString(sd.SerdeInfo.SerializationLibrary) != SerDe || aws.ToString(sd.InputFormat) != InputFormat ||
		aws.ToString(sd.Location) != "s3://org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/" || len(sd.Columns) != len(Columns()) || len(tb.PartitionKeys) != 3 {
		t.Errorf("storage descriptor = %+v, partitions %d", sd, len(tb.PartitionKeys))
	}
	wg, err := m.athena.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: aws.String("ctathena")})
	if err != nil {
		t.Fatal(err)
	}
	c := wg.WorkGroup.Configuration
	if aws.ToString(c.ResultConfiguration.OutputLocation) != "s3://ir-results/athena/" ||
		c.ResultConfiguration.EncryptionConfiguration.EncryptionOption != athtypes.EncryptionOptionSseS3 ||
		!aws.ToBool(c.EnforceWorkGroupConfiguration) || aws.ToInt64(c.BytesScannedCutoffPerQuery) != 200<<30 ||
		aws.ToString(c.EngineVersion.SelectedEngineVersion) != EngineVersion {
		t.Errorf("workgroup configuration = %+v", c)
	}
	if res.Config.Tables["management"].Location != "s3://org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/" || res.Config.OrgID != "o-a1b2c3d4e5" {
		t.Errorf("config = %+v", res.Config)
	}

	// Second run, nothing changed: no mutating call.
	res, err = Setup(ctx, m.clients, orgOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() {
		t.Errorf("second run changed something: %v", res.Actions)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "no change") {
		t.Errorf("no 'no change' note: %v", res.Notes)
	}

	// A new account starts delivering (in a new region): the table is
	// updated for the region, not recreated; the account is injected, so
	// only the config names it.
	m.upload(t, "new-account", "org-trail", "cloudtrail")
	res, err = Setup(ctx, m.clients, orgOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := mutating(res); !slices.Equal(got, []string{"UpdateTable ctathena.management"}) {
		t.Fatalf("drift actions = %v", got)
	}
	if d := res.Actions[0].Detail; !strings.Contains(d, "+ap-southeast-2") {
		t.Errorf("update detail %q does not name the new region", d)
	}
	if got := m.table(t, "management").Parameters["projection.account.values"]; got != "" {
		t.Errorf("the table lists accounts %q; they are injected", got)
	}
	if got := strings.Join(res.Config.Accounts, ","); got != "111111111111,222222222222,333333333333" {
		t.Errorf("config accounts after drift = %q", got)
	}

	// Setup restricted to one account keeps the ones already projected.
	o := orgOptions()
	o.Accounts = []string{"111111111111"}
	if res, err = Setup(ctx, m.clients, o); err != nil || res.Changed() {
		t.Errorf("narrower rerun: err %v, actions %v", err, res.Actions)
	}
}

func TestSetupRefusesForeignTable(t *testing.T) {
	m := startMoto(t)
	ctx := context.Background()
	m.bucket(t, "org-trail")
	m.upload(t, "org-trail", "org-trail", "cloudtrail")
	if _, err := m.glue.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("ctathena")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.glue.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("ctathena"), TableInput: &gluetypes.TableInput{
		Name: aws.String("management"), Parameters: map[string]string{"owner": "security-team"},
		StorageDescriptor: &gluetypes.StorageDescriptor{Location: aws.String("s3://elsewhere/")}}}); err != nil {
		t.Fatal(err)
	}
	_, err := Setup(ctx, m.clients, orgOptions())
	if !errors.Is(err, ErrForeignTable) {
		t.Fatalf("err = %v, want ErrForeignTable", err)
	}
	if got := aws.ToString(m.table(t, "management").StorageDescriptor.Location); got != "s3://elsewhere/" {
		t.Fatalf("foreign table was modified: location %s", got)
	}
	o := orgOptions()
	o.Force = true
	res, err := Setup(ctx, m.clients, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := mutating(res); !slices.Contains(got, "UpdateTable ctathena.management") {
		t.Errorf("forced actions = %v", got)
	}
	if m.table(t, "management").Parameters[ParamManaged] != "true" {
		t.Error("forced table not marked as ctathena's")
	}
}

func TestSetupDryRunMutatesNothing(t *testing.T) {
	m := startMoto(t)
	ctx := context.Background()
	m.bucket(t, "org-trail")
	m.bucket(t, "data-events")
	m.upload(t, "org-trail", "org-trail", "cloudtrail")
	m.upload(t, "single-trail", "data-events", "")
	o := orgOptions()
	o.DryRun = true
	o.Data = &Source{Bucket: "data-events"}
	res, err := Setup(ctx, m.clients, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CreateDatabase ctathena", "CreateTable ctathena.management", "CreateTable ctathena.data", "CreateWorkGroup ctathena"}
	if got := mutating(res); !slices.Equal(got, want) {
		t.Errorf("planned = %v, want %v", got, want)
	}
	for _, a := range res.Actions {
		if a.Done {
			t.Errorf("dry run made %s", a)
		}
	}
	if len(res.DDL) != 2 || !strings.Contains(res.DDL[1], "LOCATION 's3://data-events/AWSLogs/'") ||
		!strings.Contains(res.DDL[1], "'storage.location.template'='s3://data-events/AWSLogs/${account}/CloudTrail/${region}/${day}'") {
		t.Errorf("DDL = %v", res.DDL)
	}
	if want := []string{"111111111111", "222222222222", "444444444444"}; !slices.Equal(res.Accounts, want) {
		t.Errorf("accounts = %v", res.Accounts)
	}
	if _, err := m.glue.GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String("ctathena")}); !isNotFound(err) {
		t.Errorf("dry run created the database (err %v)", err)
	}
	if res.Config.Tables["data"].Location != "s3://data-events/AWSLogs/" {
		t.Errorf("config tables = %+v", res.Config.Tables)
	}
}
