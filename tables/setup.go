package tables

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athtypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The SDK calls setup makes, as narrow interfaces so tests can fake them
// and cmd/ can pass the real clients.
type (
	s3Lister interface {
		ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	}
	glueAPI interface {
		GetDatabase(ctx context.Context, in *glue.GetDatabaseInput, optFns ...func(*glue.Options)) (*glue.GetDatabaseOutput, error)
		CreateDatabase(ctx context.Context, in *glue.CreateDatabaseInput, optFns ...func(*glue.Options)) (*glue.CreateDatabaseOutput, error)
		GetTable(ctx context.Context, in *glue.GetTableInput, optFns ...func(*glue.Options)) (*glue.GetTableOutput, error)
		CreateTable(ctx context.Context, in *glue.CreateTableInput, optFns ...func(*glue.Options)) (*glue.CreateTableOutput, error)
		UpdateTable(ctx context.Context, in *glue.UpdateTableInput, optFns ...func(*glue.Options)) (*glue.UpdateTableOutput, error)
	}
	athenaAPI interface {
		GetWorkGroup(ctx context.Context, in *athena.GetWorkGroupInput, optFns ...func(*athena.Options)) (*athena.GetWorkGroupOutput, error)
		CreateWorkGroup(ctx context.Context, in *athena.CreateWorkGroupInput, optFns ...func(*athena.Options)) (*athena.CreateWorkGroupOutput, error)
		UpdateWorkGroup(ctx context.Context, in *athena.UpdateWorkGroupInput, optFns ...func(*athena.Options)) (*athena.UpdateWorkGroupOutput, error)
	}
	orgsAPI interface {
		DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
		ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	}
)

// Clients are the AWS clients setup uses; cmd/ fills them with
// *s3.Client, *glue.Client, *athena.Client and *organizations.Client. Orgs
// may be nil.
type Clients struct {
	S3     s3Lister
	Glue   glueAPI
	Athena athenaAPI
	Orgs   orgsAPI
}

// Source is one trail location: a bucket and the prefix CloudTrail writes
// under (no leading or trailing slash).
type Source struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
}

// Options say what setup should converge.
type Options struct {
	Region          string
	Database        string // default "ctathena"
	Workgroup       string // default "ctathena"
	ResultsLocation string // s3://bucket/prefix/ for query results; required
	// ScanLimitBytes becomes the workgroup's BytesScannedCutoffPerQuery;
	// 0 leaves the cutoff unset.
	ScanLimitBytes int64
	Trail          Source  // management events; required
	Data           *Source // S3 data events, when in another location
	// ManagementTable and DataTable name the tables; defaults "management"
	// and "data".
	ManagementTable, DataTable string
	// OrgID is "" or "auto" to discover it from the bucket.
	OrgID string
	// Accounts and Regions are nil to discover them.
	Accounts, Regions []string
	// Start is the first projected day (YYYY-MM-DD); default DefaultStart.
	Start string
	// Force replaces tables and workgroups ctathena did not make.
	Force bool
	// DryRun makes only read calls and returns the mutating ones unmade.
	DryRun bool
	// Offline, with DryRun, makes no call at all: OrgID, Accounts and
	// Regions must all be given, and the plan is what setup would do in an
	// account where none of the database, tables and workgroup exist yet.
	// Clients may then be empty.
	Offline bool
}

// Action is one AWS call setup made or, in a dry run, would make.
type Action struct {
	Service  string `json:"service"`
	Call     string `json:"call"`
	Target   string `json:"target"`
	Detail   string `json:"detail,omitempty"`
	Mutating bool   `json:"mutating"`
	Done     bool   `json:"done"`
}

func (a Action) String() string {
	s := a.Service + " " + a.Call + " " + a.Target
	if a.Detail != "" {
		s += " (" + a.Detail + ")"
	}
	return s
}

// Result is what setup found and did.
type Result struct {
	OrgID    string
	Accounts []string
	Regions  []string
	// Notes are findings worth showing: Organizations unavailable, a table
	// already current, layouts that surprised discovery.
	Notes   []string
	Actions []Action
	Tables  []Spec
	// DDL holds the CREATE EXTERNAL TABLE equivalent of each table.
	DDL    []string
	Config Config
}

// Changed reports whether setup changed (or, dry, would change) anything.
func (r *Result) Changed() bool {
	for _, a := range r.Actions {
		if a.Mutating {
			return true
		}
	}
	return false
}

// ErrForeignTable is returned for a table or workgroup that exists but was
// not made by ctathena, when Force is not set.
var ErrForeignTable = errors.New("exists and was not created by ctathena; rerun with --force to replace it")

const workgroupDescription = "ctathena: CloudTrail incident response (managed by ctathena)"

// errOffline stands for "not looked up" in an offline plan.
var errOffline = errors.New("not looked up: offline dry run")

// EngineVersion is the Athena engine setup selects.
const EngineVersion = "Athena engine version 3"

type setup struct {
	c   Clients
	o   Options
	res *Result
}

// Setup discovers the trail layout, then converges the Glue database, one
// table per trail location, and the Athena workgroup. Running it again with
// nothing changed makes no mutating call.
func Setup(ctx context.Context, c Clients, o Options) (*Result, error) {
	if o.Database == "" {
		o.Database = "ctathena"
	}
	if o.Workgroup == "" {
		o.Workgroup = "ctathena"
	}
	if o.ManagementTable == "" {
		o.ManagementTable = "management"
	}
	if o.DataTable == "" {
		o.DataTable = "data"
	}
	if o.Start == "" {
		o.Start = DefaultStart
	}
	if _, _, err := SplitS3URI(o.ResultsLocation); err != nil {
		return nil, fmt.Errorf("setup: results location: %w", err)
	}
	if o.Offline {
		if !o.DryRun {
			return nil, errors.New("setup: offline planning is only for dry runs")
		}
		if o.OrgID == "" || o.OrgID == "auto" || o.Accounts == nil || o.Regions == nil {
			return nil, errors.New("setup: an offline dry run needs the organization id, the accounts and the regions")
		}
	}
	o.Trail.Prefix = strings.Trim(o.Trail.Prefix, "/")
	if o.Data != nil {
		d := *o.Data
		d.Prefix = strings.Trim(d.Prefix, "/")
		o.Data = &d
	}
	s := &setup{c: c, o: o, res: &Result{}}
	if o.Offline {
		s.note("offline dry run: nothing was looked up; the plan is for an account where the database, tables and workgroup do not exist yet")
	}
	if err := s.run(ctx); err != nil {
		return s.res, err
	}
	return s.res, nil
}

func (s *setup) note(format string, args ...any) {
	s.res.Notes = append(s.res.Notes, fmt.Sprintf(format, args...))
}

// act records a call; mutating ones run only outside dry runs.
func (s *setup) act(service, call, target, detail string, mutating bool, do func() error) error {
	a := Action{Service: service, Call: call, Target: target, Detail: detail, Mutating: mutating}
	if !mutating || !s.o.DryRun {
		if err := do(); err != nil {
			return err
		}
		a.Done = true
	}
	if mutating {
		s.res.Actions = append(s.res.Actions, a)
	}
	return nil
}

type located struct {
	key    string // "management" or "data"
	table  string
	source Source
	orgID  string
}

func (s *setup) run(ctx context.Context) error {
	sources := []located{{key: "management", table: s.o.ManagementTable, source: s.o.Trail}}
	if s.o.Data != nil && (s.o.Data.Bucket != s.o.Trail.Bucket || s.o.Data.Prefix != s.o.Trail.Prefix) {
		sources = append(sources, located{key: "data", table: s.o.DataTable, source: *s.o.Data})
	}
	accounts := map[string]bool{}
	regions := map[string]bool{}
	for i := range sources {
		if s.o.Offline {
			sources[i].orgID = s.o.OrgID
			continue
		}
		l, err := discover(ctx, s.c.S3, sources[i].source, s.o.OrgID)
		if err != nil {
			return fmt.Errorf("setup: discover %s: %w", sources[i].key, err)
		}
		s.res.Notes = append(s.res.Notes, l.notes...)
		sources[i].orgID = l.orgID
		for _, a := range l.accounts {
			accounts[a] = true
		}
		for _, r := range l.regions {
			regions[r] = true
		}
	}
	s.res.OrgID = sources[0].orgID
	if s.o.Accounts != nil {
		accounts = setOf(s.o.Accounts)
	} else if s.c.Orgs != nil && !s.o.Offline {
		s.mergeOrganization(ctx, accounts)
	}
	if s.o.Regions != nil {
		regions = setOf(s.o.Regions)
	}
	s.res.Accounts = slices.Sorted(maps.Keys(accounts))
	s.res.Regions = slices.Sorted(maps.Keys(regions))

	var specs []Spec
	for _, l := range sources {
		sp := Spec{Database: s.o.Database, Name: l.table, Bucket: l.source.Bucket, Prefix: l.source.Prefix,
			OrgID: l.orgID, Accounts: s.res.Accounts, Regions: s.res.Regions, Start: s.o.Start}
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("setup: table %s: %w", l.table, err)
		}
		notes, err := checkLimits(sp)
		if err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		s.res.Notes = append(s.res.Notes, notes...)
		specs = append(specs, sp)
	}
	if err := s.database(ctx); err != nil {
		return err
	}
	for i := range specs {
		final, err := s.table(ctx, specs[i])
		if err != nil {
			return err
		}
		specs[i] = final
		s.res.Tables = append(s.res.Tables, final)
		s.res.DDL = append(s.res.DDL, DDL(final))
	}
	if err := s.workgroup(ctx); err != nil {
		return err
	}
	cfg := Config{Region: s.o.Region, Database: s.o.Database, Workgroup: s.o.Workgroup,
		ResultsLocation: s.o.ResultsLocation, OrgID: s.res.OrgID, Start: s.o.Start,
		ScanLimitBytes: s.o.ScanLimitBytes, Tables: map[string]TableConfig{}}
	acc, reg := map[string]bool{}, map[string]bool{}
	for i, sp := range specs {
		cfg.Tables[sources[i].key] = TableConfig{Name: sp.Name, Location: sp.LogsRoot(), Bucket: sp.Bucket, Prefix: sp.Prefix, OrgID: sp.OrgID}
		for _, a := range sp.Accounts {
			acc[a] = true
		}
		for _, r := range sp.Regions {
			reg[r] = true
		}
	}
	cfg.Accounts, cfg.Regions = slices.Sorted(maps.Keys(acc)), slices.Sorted(maps.Keys(reg))
	s.res.Config = cfg
	if !s.res.Changed() {
		s.note("no change: database, tables and workgroup are already current")
	}
	return nil
}

func setOf(in []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range in {
		m[v] = true
	}
	return m
}

func (s *setup) mergeOrganization(ctx context.Context, accounts map[string]bool) {
	org, err := s.c.Orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		s.note("organizations: %s; accounts come from the bucket only", apiReason(err))
		return
	}
	if org.Organization != nil && s.res.OrgID != "" && aws.ToString(org.Organization.Id) != s.res.OrgID {
		s.note("organizations: this account belongs to %s but the trail is from %s; accounts come from the bucket only",
			aws.ToString(org.Organization.Id), s.res.OrgID)
		return
	}
	var token *string
	added := 0
	for {
		out, err := s.c.Orgs.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: token})
		if err != nil {
			s.note("organizations: list accounts: %s; accounts come from the bucket only", apiReason(err))
			return
		}
		for _, a := range out.Accounts {
			id := aws.ToString(a.Id)
			if IsAccountID(id) && !accounts[id] {
				accounts[id] = true
				added++
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if added > 0 {
		s.note("organizations: %d member accounts without logs in the bucket yet were added", added)
	}
}

func apiReason(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func isNotFound(err error) bool {
	var nf *gluetypes.EntityNotFoundException
	if errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "EntityNotFoundException"
}

func (s *setup) database(ctx context.Context) error {
	db := s.o.Database
	if !s.o.Offline {
		_, err := s.c.Glue.GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String(db)})
		if err == nil {
			return nil
		}
		if !isNotFound(err) {
			return fmt.Errorf("setup: get database %s: %w", db, err)
		}
	}
	return s.act("glue", "CreateDatabase", db, "", true, func() error {
		_, err := s.c.Glue.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{
			Name: aws.String(db), Description: aws.String("CloudTrail tables for incident response (ctathena)"),
			Parameters: map[string]string{ParamManaged: "true"}}})
		if err != nil {
			return fmt.Errorf("setup: create database %s: %w", db, err)
		}
		return nil
	})
}

func tableInput(sp Spec) *gluetypes.TableInput {
	cols := make([]gluetypes.Column, 0, len(Columns()))
	for _, c := range Columns() {
		cols = append(cols, gluetypes.Column{Name: aws.String(c.Name), Type: aws.String(c.HiveType)})
	}
	var parts []gluetypes.Column
	for _, c := range PartitionColumns() {
		parts = append(parts, gluetypes.Column{Name: aws.String(c.Name), Type: aws.String(c.HiveType)})
	}
	return &gluetypes.TableInput{
		Name:          aws.String(sp.Name),
		Description:   aws.String("CloudTrail events under " + sp.LogsRoot() + " (managed by ctathena)"),
		TableType:     aws.String("EXTERNAL_TABLE"),
		Parameters:    sp.Parameters(),
		PartitionKeys: parts,
		StorageDescriptor: &gluetypes.StorageDescriptor{
			Columns:      cols,
			Location:     aws.String(sp.LogsRoot()),
			InputFormat:  aws.String(InputFormat),
			OutputFormat: aws.String(OutputFormat),
			SerdeInfo:    &gluetypes.SerDeInfo{SerializationLibrary: aws.String(SerDe)},
		},
	}
}

// table converges one table and returns the spec it ended with: for a
// table ctathena made, accounts and regions already projected are kept
// (an account whose logs were moved away still has history worth
// querying) and an earlier start is kept.
func (s *setup) table(ctx context.Context, sp Spec) (Spec, error) {
	target := sp.Database + "." + sp.Name
	var got *glue.GetTableOutput
	var err error
	if s.o.Offline {
		err = errOffline
	} else {
		got, err = s.c.Glue.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String(sp.Database), Name: aws.String(sp.Name)})
		if err != nil && !isNotFound(err) {
			return sp, fmt.Errorf("setup: get table %s: %w", target, err)
		}
	}
	if err != nil || got.Table == nil {
		return sp, s.act("glue", "CreateTable", target, fmt.Sprintf("%d accounts, %d regions", len(sp.Accounts), len(sp.Regions)), true, func() error {
			if _, err := s.c.Glue.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String(sp.Database), TableInput: tableInput(sp)}); err != nil {
				return fmt.Errorf("setup: create table %s: %w", target, err)
			}
			return nil
		})
	}
	cur := got.Table
	if cur.Parameters[ParamManaged] != "true" {
		if !s.o.Force {
			return sp, fmt.Errorf("setup: table %s %w", target, ErrForeignTable)
		}
		s.note("table %s was not made by ctathena; replacing it (--force)", target)
	} else {
		sp = mergeExisting(sp, cur.Parameters)
	}
	diff := tableDiff(cur, tableInput(sp))
	if len(diff) == 0 {
		s.note("table %s: no change", target)
		return sp, nil
	}
	return sp, s.act("glue", "UpdateTable", target, strings.Join(diff, "; "), true, func() error {
		if _, err := s.c.Glue.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String(sp.Database), TableInput: tableInput(sp)}); err != nil {
			return fmt.Errorf("setup: update table %s: %w", target, err)
		}
		return nil
	})
}

func mergeExisting(sp Spec, params map[string]string) Spec {
	split := func(v string) []string {
		var out []string
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	var acc, reg []string
	for _, a := range split(params["projection.account.values"]) {
		if IsAccountID(a) {
			acc = append(acc, a)
		}
	}
	for _, r := range split(params["projection.region.values"]) {
		if IsRegion(r) {
			reg = append(reg, r)
		}
	}
	sp.Accounts = sortedUnique(append(slices.Clone(sp.Accounts), acc...))
	sp.Regions = sortedUnique(append(slices.Clone(sp.Regions), reg...))
	if old, _, ok := strings.Cut(params["projection.day.range"], ","); ok {
		if o, err := NormalizeDay(old); err == nil {
			if n, err := NormalizeDay(sp.start()); err == nil && o < n {
				sp.Start = o
			}
		}
	}
	return sp
}

// tableDiff lists how the current table differs from the wanted one, in
// words for the plan. Extra parameters Glue or people added are left alone.
func tableDiff(cur *gluetypes.Table, want *gluetypes.TableInput) []string {
	var d []string
	cp, wp := cur.Parameters, want.Parameters
	if cp["projection.account.values"] != wp["projection.account.values"] {
		d = append(d, "accounts "+setDelta(cp["projection.account.values"], wp["projection.account.values"]))
	}
	if cp["projection.region.values"] != wp["projection.region.values"] {
		d = append(d, "regions "+setDelta(cp["projection.region.values"], wp["projection.region.values"]))
	}
	var other []string
	for k, v := range wp {
		if k != "projection.account.values" && k != "projection.region.values" && cp[k] != v {
			other = append(other, k)
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		d = append(d, "parameters "+strings.Join(other, ","))
	}
	sd := cur.StorageDescriptor
	if sd == nil {
		return append(d, "storage descriptor missing")
	}
	ws := want.StorageDescriptor
	if aws.ToString(sd.Location) != aws.ToString(ws.Location) {
		d = append(d, "location "+aws.ToString(sd.Location)+" -> "+aws.ToString(ws.Location))
	}
	if aws.ToString(sd.InputFormat) != InputFormat || aws.ToString(sd.OutputFormat) != OutputFormat ||
		sd.SerdeInfo == nil || aws.ToString(sd.SerdeInfo.SerializationLibrary) != SerDe {
		d = append(d, "serde or formats")
	}
	if !sameColumns(sd.Columns, ws.Columns) {
		d = append(d, "columns")
	}
	if !sameColumns(cur.PartitionKeys, want.PartitionKeys) {
		d = append(d, "partition keys")
	}
	if aws.ToString(cur.TableType) != "EXTERNAL_TABLE" {
		d = append(d, "table type")
	}
	return d
}

func sameColumns(a, b []gluetypes.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(aws.ToString(a[i].Name), aws.ToString(b[i].Name)) ||
			!strings.EqualFold(strings.ReplaceAll(aws.ToString(a[i].Type), " ", ""), aws.ToString(b[i].Type)) {
			return false
		}
	}
	return true
}

func setDelta(cur, want string) string {
	c, w := setOf(strings.Split(cur, ",")), setOf(strings.Split(want, ","))
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(w)) {
		if v != "" && !c[v] {
			parts = append(parts, "+"+v)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(c)) {
		if v != "" && !w[v] {
			parts = append(parts, "-"+v)
		}
	}
	return strings.Join(parts, " ")
}

func (s *setup) wantWorkgroup() *athtypes.WorkGroupConfiguration {
	c := &athtypes.WorkGroupConfiguration{
		ResultConfiguration: &athtypes.ResultConfiguration{
			OutputLocation:          aws.String(s.o.ResultsLocation),
			EncryptionConfiguration: &athtypes.EncryptionConfiguration{EncryptionOption: athtypes.EncryptionOptionSseS3},
		},
		EnforceWorkGroupConfiguration:   aws.Bool(true),
		PublishCloudWatchMetricsEnabled: aws.Bool(true),
		EngineVersion:                   &athtypes.EngineVersion{SelectedEngineVersion: aws.String(EngineVersion)},
	}
	if s.o.ScanLimitBytes > 0 {
		c.BytesScannedCutoffPerQuery = aws.Int64(s.o.ScanLimitBytes)
	}
	return c
}

func (s *setup) workgroup(ctx context.Context) error {
	wg := s.o.Workgroup
	want := s.wantWorkgroup()
	var out *athena.GetWorkGroupOutput
	var err error
	notFound := s.o.Offline
	if !s.o.Offline {
		out, err = s.c.Athena.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: aws.String(wg)})
		var ae smithy.APIError
		notFound = err == nil && (out.WorkGroup == nil || aws.ToString(out.WorkGroup.Name) == "") ||
			err != nil && errors.As(err, &ae) && ae.ErrorCode() == "InvalidRequestException" && strings.Contains(strings.ToLower(ae.ErrorMessage()), "not found")
	}
	if err != nil && !notFound {
		return fmt.Errorf("setup: get workgroup %s: %w", wg, err)
	}
	if notFound {
		detail := "enforced results " + s.o.ResultsLocation + ", SSE_S3, " + EngineVersion
		if s.o.ScanLimitBytes > 0 {
			detail += fmt.Sprintf(", scan cutoff %d bytes", s.o.ScanLimitBytes)
		}
		return s.act("athena", "CreateWorkGroup", wg, detail, true, func() error {
			_, err := s.c.Athena.CreateWorkGroup(ctx, &athena.CreateWorkGroupInput{Name: aws.String(wg),
				Description: aws.String(workgroupDescription), Configuration: want})
			if err != nil {
				return fmt.Errorf("setup: create workgroup %s: %w", wg, err)
			}
			return nil
		})
	}
	cur := out.WorkGroup
	if aws.ToString(cur.Description) != workgroupDescription {
		if !s.o.Force {
			return fmt.Errorf("setup: workgroup %s %w", wg, ErrForeignTable)
		}
		s.note("workgroup %s was not made by ctathena; converging its settings (--force)", wg)
	}
	upd, diff := workgroupUpdate(cur.Configuration, want)
	if len(diff) == 0 {
		s.note("workgroup %s: no change", wg)
		return nil
	}
	return s.act("athena", "UpdateWorkGroup", wg, strings.Join(diff, "; "), true, func() error {
		_, err := s.c.Athena.UpdateWorkGroup(ctx, &athena.UpdateWorkGroupInput{WorkGroup: aws.String(wg),
			Description: aws.String(workgroupDescription), ConfigurationUpdates: upd})
		if err != nil {
			return fmt.Errorf("setup: update workgroup %s: %w", wg, err)
		}
		return nil
	})
}

func workgroupUpdate(cur, want *athtypes.WorkGroupConfiguration) (*athtypes.WorkGroupConfigurationUpdates, []string) {
	if cur == nil {
		cur = &athtypes.WorkGroupConfiguration{}
	}
	u := &athtypes.WorkGroupConfigurationUpdates{}
	var d []string
	var loc, enc string
	if cur.ResultConfiguration != nil {
		loc = aws.ToString(cur.ResultConfiguration.OutputLocation)
		if cur.ResultConfiguration.EncryptionConfiguration != nil {
			enc = string(cur.ResultConfiguration.EncryptionConfiguration.EncryptionOption)
		}
	}
	if loc != aws.ToString(want.ResultConfiguration.OutputLocation) || enc != string(athtypes.EncryptionOptionSseS3) {
		u.ResultConfigurationUpdates = &athtypes.ResultConfigurationUpdates{
			OutputLocation:          want.ResultConfiguration.OutputLocation,
			EncryptionConfiguration: want.ResultConfiguration.EncryptionConfiguration,
		}
		d = append(d, "result location and encryption")
	}
	if !aws.ToBool(cur.EnforceWorkGroupConfiguration) {
		u.EnforceWorkGroupConfiguration = aws.Bool(true)
		d = append(d, "enforce configuration")
	}
	if aws.ToInt64(cur.BytesScannedCutoffPerQuery) != aws.ToInt64(want.BytesScannedCutoffPerQuery) {
		if want.BytesScannedCutoffPerQuery == nil {
			u.RemoveBytesScannedCutoffPerQuery = aws.Bool(true)
		} else {
			u.BytesScannedCutoffPerQuery = want.BytesScannedCutoffPerQuery
		}
		d = append(d, fmt.Sprintf("scan cutoff %d -> %d", aws.ToInt64(cur.BytesScannedCutoffPerQuery), aws.ToInt64(want.BytesScannedCutoffPerQuery)))
	}
	if cur.EngineVersion == nil || aws.ToString(cur.EngineVersion.SelectedEngineVersion) != EngineVersion {
		u.EngineVersion = want.EngineVersion
		d = append(d, "engine version")
	}
	return u, d
}
