package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/tables"
)

type setupOptions struct {
	trailBucket, trailPrefix string
	dataBucket, dataPrefix   string
	orgID                    string
	accounts, regions        string
	start                    string
	database, workgroup      string
	results                  string
	scanLimit                string
	mgmtTable, dataTable     string
	force                    bool
}

func init() { extraCommands = append(extraCommands, newSetupCmd, newIAMPolicyCmd) }

func newSetupCmd(g *globals) *cobra.Command {
	o := &setupOptions{}
	cmd := &cobra.Command{
		Use:   "setup --trail-bucket B --results s3://bucket/prefix/ [flags]",
		Short: "Create or converge the Glue database, CloudTrail tables and the guarded Athena workgroup",
		Long: `setup discovers the organization id, accounts and regions by listing the trail bucket (folders
only), then creates or converges: the Glue database, one partition-projected table per trail
location (management events, and S3 data events when they live elsewhere), and an Athena workgroup
with an enforced result location, SSE-S3 encryption and a per-query scan cutoff. Re-running it
converges: nothing changes when nothing drifted, new accounts and regions are added, and a table
ctathena did not create is never replaced without --force. It writes the config file (--config,
default ./ctathena.json) that the other commands read. --dry-run prints the calls and the DDL.`,
		Example: `  ctathena setup --trail-bucket org-cloudtrail-logs --data-bucket org-s3-data-events --results s3://ir-athena-results/ctathena/
  ctathena setup --trail-bucket org-cloudtrail-logs --results s3://ir-athena-results/ --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSetup(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.trailBucket, "trail-bucket", "", "bucket the organization (or account) trail delivers to")
	f.StringVar(&o.trailPrefix, "trail-prefix", "", "prefix before AWSLogs/ in the trail bucket")
	f.StringVar(&o.dataBucket, "data-bucket", "", "bucket of a separate S3 data-events trail")
	f.StringVar(&o.dataPrefix, "data-prefix", "", "prefix before AWSLogs/ in the data bucket")
	f.StringVar(&o.orgID, "org-id", "auto", "organization id (o-…) or auto to discover it")
	f.StringVar(&o.accounts, "accounts", "auto", "auto, or comma-separated account ids")
	f.StringVar(&o.regions, "regions", "auto", "auto, or comma-separated regions")
	f.StringVar(&o.start, "start", "", "first day of logs, YYYY-MM-DD (default: 2013-11-01, CloudTrail's first)")
	f.StringVar(&o.database, "database", "ctathena", "Glue database")
	f.StringVar(&o.workgroup, "workgroup", "ctathena", "Athena workgroup")
	f.StringVar(&o.results, "results", "", "s3://bucket/prefix/ where Athena writes query results")
	f.StringVar(&o.scanLimit, "scan-limit", "200GB", "per-query scan cutoff (e.g. 200GB, 1TB)")
	f.StringVar(&o.mgmtTable, "management-table", "", "name of the management events table (default: derived from the bucket)")
	f.StringVar(&o.dataTable, "data-table", "", "name of the data events table (default: derived from the bucket)")
	f.BoolVar(&o.force, "force", false, "replace a table or workgroup of the same name that ctathena did not create")
	return cmd
}

var scanLimitRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$`)

// parseSize reads sizes like 200GB (decimal) or 1TiB (binary).
func parseSize(s string) (int64, error) {
	m := scanLimitRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size such as 200GB or 1TB", s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	n := int64(v * mult)
	if n < 10_000_000 {
		return 0, fmt.Errorf("%q is below Athena's minimum scan cutoff of 10 MB", s)
	}
	return n, nil
}

func splitList(s string) []string {
	if s == "" || s == "auto" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runSetup(cmd *cobra.Command, g *globals, o *setupOptions) error {
	ctx := cmd.Context()
	if g.logs != "" || g.engine == "local" {
		return usageErr("setup prepares Athena; it does not apply to --logs or --engine local")
	}
	if o.trailBucket == "" {
		return usageErr("setup needs --trail-bucket: the bucket the CloudTrail trail delivers to")
	}
	if o.results == "" {
		return usageErr("setup needs --results s3://bucket/prefix/: where Athena writes query results")
	}
	for _, b := range []string{o.trailBucket, o.dataBucket} {
		if b != "" {
			if err := sql.ValidBucket(b); err != nil {
				return usageErr("%v", err)
			}
		}
	}
	if _, _, err := tables.SplitS3URI(o.results); err != nil {
		return usageErr("--results: %v", err)
	}
	limit, err := parseSize(o.scanLimit)
	if err != nil {
		return usageErr("--scan-limit: %v", err)
	}
	opts := tables.Options{
		Database: o.database, Workgroup: o.workgroup, ResultsLocation: o.results, ScanLimitBytes: limit,
		Trail:           tables.Source{Bucket: o.trailBucket, Prefix: o.trailPrefix},
		ManagementTable: o.mgmtTable, DataTable: o.dataTable,
		Accounts: splitList(o.accounts), Regions: splitList(o.regions), Force: o.force, DryRun: g.dryRun,
	}
	if o.orgID != "auto" {
		if !tables.IsOrgID(o.orgID) {
			return usageErr("--org-id %q: use auto or an organization id such as o-a1b2c3d4e5", o.orgID)
		}
		opts.OrgID = o.orgID
	}
	for _, a := range opts.Accounts {
		if !tables.IsAccountID(a) {
			return usageErr("--accounts: %q is not a 12-digit account id", a)
		}
	}
	for _, r := range opts.Regions {
		if !tables.IsRegion(r) {
			return usageErr("--regions: %q is not a region such as us-east-1", r)
		}
	}
	if o.start != "" {
		d, err := tables.NormalizeDay(o.start)
		if err != nil {
			return usageErr("--start: %v", err)
		}
		opts.Start = d
	}
	if o.dataBucket != "" {
		opts.Data = &tables.Source{Bucket: o.dataBucket, Prefix: o.dataPrefix}
	}
	// A dry run told everything discovery would find needs no credentials
	// and no network: it plans against an empty account.
	opts.Offline = g.dryRun && opts.OrgID != "" && opts.Accounts != nil && opts.Regions != nil
	var cl *awsClients
	var clients tables.Clients
	if opts.Offline {
		opts.Region = g.region
		if opts.Region == "" {
			opts.Region = g.getenv("AWS_REGION")
		}
	} else {
		var err error
		if cl, err = g.awsClients(ctx, ""); err != nil {
			return err
		}
		opts.Region = cl.cfg.Region
		clients = tables.Clients{S3: cl.s3, Glue: cl.glue, Athena: cl.athena, Orgs: cl.orgs}
	}
	res, err := tables.Setup(ctx, clients, opts)
	if err != nil {
		if errors.Is(err, tables.ErrForeignTable) {
			return usageErr("%v", err)
		}
		return err
	}
	for _, n := range res.Notes {
		g.warnf("%s", n)
	}
	for _, a := range res.Actions {
		fmt.Fprintln(g.stdout, a.String())
	}
	if g.dryRun {
		for _, ddl := range res.DDL {
			fmt.Fprintf(g.stdout, "\n%s\n", strings.TrimRight(ddl, "\n"))
		}
		g.warnf("dry run: nothing was created or changed, and %s was not written", g.configPath())
		return nil
	}
	cfg := res.Config
	if id, err := cl.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil && id.Account != nil {
		cfg.Account = *id.Account
	}
	if err := tables.SaveConfig(g.configPath(), cfg, false); err != nil {
		if errors.Is(err, tables.ErrConfigConflict) {
			return usageErr("%v", err)
		}
		return err
	}
	if res.Changed() {
		g.warnf("setup converged: %d accounts, %d regions, org %s; config written to %s", len(res.Accounts), len(res.Regions), orNone(res.OrgID), g.configPath())
	} else {
		g.warnf("setup: no change (everything already matched); config %s", g.configPath())
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none: single-account layout)"
	}
	return s
}

func newIAMPolicyCmd(g *globals) *cobra.Command {
	var trail, trailPrefix, data, dataPrefix, results, database, workgroup string
	var kmsKeys []string
	cmd := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy ctathena needs",
		Long: `iam-policy prints the IAM policy the tool needs: read the trail buckets (and decrypt them with
--kms-key for trails encrypted with SSE-KMS), write the results prefix, Glue on its database and
tables, Athena on its workgroup. It reads the config that setup wrote (--config, default
./ctathena.json); before setup, pass the --trail-bucket, --trail-prefix, --data-bucket,
--data-prefix and --results you will give setup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, k := range kmsKeys {
				if !tables.IsKMSKeyARN(k) {
					return usageErr("--kms-key %q: give the key's ARN, such as arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", k)
				}
			}
			for name, p := range map[string]string{"--trail-prefix": trailPrefix, "--data-prefix": dataPrefix} {
				if strings.ContainsAny(p, "*?\x00'\"\n\r${}") {
					return usageErr("%s %q: a prefix is a plain S3 key prefix (no wildcards or quotes)", name, p)
				}
			}
			var c tables.Config
			if trail != "" {
				for _, b := range []string{trail, data} {
					if b != "" {
						if err := sql.ValidBucket(b); err != nil {
							return usageErr("%v", err)
						}
					}
				}
				if _, _, err := tables.SplitS3URI(results); err != nil {
					return usageErr("--results: %v", err)
				}
				c = tables.Config{Database: database, Workgroup: workgroup, ResultsLocation: results,
					Tables: map[string]tables.TableConfig{"management": {Name: "*", Bucket: trail, Prefix: strings.Trim(trailPrefix, "/")}}}
				if data != "" {
					c.Tables["data"] = tables.TableConfig{Name: "*", Bucket: data, Prefix: strings.Trim(dataPrefix, "/")}
				}
			} else {
				if trailPrefix != "" || data != "" || dataPrefix != "" {
					return usageErr("--trail-prefix, --data-bucket and --data-prefix go with --trail-bucket (without it the policy comes from the config)")
				}
				loaded, err := tables.LoadConfig(g.configPath())
				if err != nil {
					return usageErr("read config %s: %v (run setup first, or pass --trail-bucket and --results)", g.configPath(), err)
				}
				c = *loaded
			}
			c.KMSKeys = append(c.KMSKeys, kmsKeys...)
			fmt.Fprintln(g.stdout, tables.IAMPolicy(c))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&trail, "trail-bucket", "", "trail bucket (when there is no config yet)")
	f.StringVar(&trailPrefix, "trail-prefix", "", "prefix before AWSLogs/ in the trail bucket (when there is no config yet)")
	f.StringVar(&data, "data-bucket", "", "data-events bucket (when there is no config yet)")
	f.StringVar(&dataPrefix, "data-prefix", "", "prefix before AWSLogs/ in the data bucket (when there is no config yet)")
	f.StringVar(&results, "results", "", "s3://bucket/prefix/ for query results (when there is no config yet)")
	f.StringVar(&database, "database", "ctathena", "Glue database")
	f.StringVar(&workgroup, "workgroup", "ctathena", "Athena workgroup")
	f.StringSliceVar(&kmsKeys, "kms-key", nil, "ARN of the KMS key the trail logs are encrypted with (SSE-KMS); repeat for several")
	return cmd
}
