package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

type exfilOptions struct {
	buckets     []string
	principal   string
	ip          string
	keyPrefix   string
	baseline    string
	since       string
	until       string
	orgAccounts []string
}

func newExfilCmd(g *globals) *cobra.Command {
	o := &exfilOptions{}
	cmd := &cobra.Command{
		Use:   "exfil --bucket B [--bucket B2] [--since T] [--until T]",
		Short: "Was data taken from these buckets: readers, bytes out, outsiders, baseline, bucket changes",
		Long: `exfil quantifies S3 exfiltration from CloudTrail data events: per principal, source IP and user
agent the objects read, distinct keys and bytes out (additionalEventData.bytesTransferredOut, over
distinct eventIDs); the most-read keys; reads from outside the organization and anonymous reads;
each reader's baseline before the window; and changes to the bucket's policy, ACL, public access
block, replication and lifecycle.`,
		Example: `  ctathena exfil --logs ./AWSLogs-copy --bucket payroll-exports --since 2026-11-01
  ctathena exfil --bucket payroll-exports --since 14d --ip 198.51.100.0/24 --out case-42-exfil`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExfil(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.buckets, "bucket", nil, "bucket to investigate (repeat or comma-separate)")
	f.StringVar(&o.principal, "principal", "", "only this principal ARN")
	f.StringVar(&o.ip, "ip", "", "only this source IP address, or a CIDR range (IPv4 or IPv6)")
	f.StringVar(&o.keyPrefix, "key-prefix", "", "only object keys starting with this")
	f.StringVar(&o.baseline, "baseline", "14d", "length of the baseline before the window")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	f.StringSliceVar(&o.orgAccounts, "org-accounts", nil, "the organization's account ids (default: from setup, or the accounts in the logs folder)")
	return cmd
}

func runExfil(cmd *cobra.Command, g *globals, o *exfilOptions) error {
	ctx := cmd.Context()
	if len(o.buckets) == 0 {
		return usageErr("exfil needs --bucket: the bucket(s) whose reads to quantify")
	}
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	base, err := investigate.ParseDuration(o.baseline)
	if err != nil {
		return usageErr("--baseline: %v", err)
	}
	if base == 0 {
		return usageErr("--baseline must be longer than zero, such as 14d")
	}
	for _, a := range o.orgAccounts {
		if _, err := sql.Check("account_id", a); err != nil {
			return usageErr("--org-accounts: %v", err)
		}
	}
	opts := investigate.ExfilOptions{Buckets: o.buckets, Principal: o.principal, IP: o.ip, KeyPrefix: o.keyPrefix,
		Baseline: base, Window: w, OrgAccounts: o.orgAccounts}
	// Validate every value before touching any log or AWS.
	if _, err := investigate.PlanExfil(opts); err != nil {
		return err
	}
	params := []reports.Param{
		{Name: "bucket", Value: strings.Join(o.buckets, ",")}, {Name: "since", Value: investigate.Stamp(w.Since)},
		{Name: "until", Value: investigate.Stamp(w.Until)}, {Name: "baseline", Value: o.baseline},
		{Name: "principal", Value: o.principal}, {Name: "ip", Value: o.ip}, {Name: "key-prefix", Value: o.keyPrefix},
		{Name: "org-accounts", Value: strings.Join(o.orgAccounts, ",")},
	}
	if p, ok := strings.CutSuffix(o.principal, "*"); ok {
		params = append(params, reports.Param{Name: "principal match", Value: "prefix: every principal whose ARN starts with " + p})
	}
	narrow, err := exfilNarrow(opts)
	if err != nil {
		return err
	}
	r := run{command: "exfil", window: w, params: g.commonParams(params), primary: "exfil/top_readers",
		narrow: narrow}
	return g.investigate(ctx, r, w.Since.Add(-base), w.Until, func(env *investigate.Env, b *backend) (*investigate.Outcome, error) {
		if b != nil && len(opts.OrgAccounts) == 0 {
			opts.OrgAccounts = b.accounts
		}
		return investigate.Exfil(ctx, env, opts)
	})
}

// exfilNarrow is what exfil reads (see investigate.ExfilLoad).
func exfilNarrow(o investigate.ExfilOptions) (*local.Narrow, error) {
	cat, err := sql.Default()
	if err != nil {
		return nil, err
	}
	return investigate.ExfilLoad(cat, o, local.View)
}

// commonParams appends the global settings that shape the results.
func (g *globals) commonParams(p []reports.Param) []reports.Param {
	engine := g.engine
	if engine == "" {
		engine = map[bool]string{true: "local", false: "athena"}[g.useLocal()]
	}
	p = append(p, reports.Param{Name: "engine", Value: engine})
	if g.logs != "" {
		p = append(p, reports.Param{Name: "logs", Value: g.logs})
	}
	if g.config != "" {
		p = append(p, reports.Param{Name: "config", Value: g.config})
	}
	if g.geoip != "" {
		p = append(p, reports.Param{Name: "geoip", Value: g.geoip})
	}
	return p
}
