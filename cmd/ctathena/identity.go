package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/internal/attack"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
)

func init() { extraCommands = append(extraCommands, newIdentityCmd) }

type identityOptions struct {
	arns       []string
	keys       []string
	ips        []string
	pivot      int
	maxQueries int
	since      string
	until      string
}

func newIdentityCmd(g *globals) *cobra.Command {
	o := &identityOptions{}
	cmd := &cobra.Command{
		Use:   "identity (--arn ARN | --access-key ID | --ip IP ...) [--pivot N] [--max-queries N]",
		Short: "Everything an identity, access key or address did; with --pivot, follow it to linked identities",
		Long: `identity reports what the given identities, access keys and source addresses did in the window,
in management and S3 data events. Every act that matters is a finding, worst first, saying what the
call did as its request parameters show (logging stopped, a policy attached, a snapshot shared with
an account, a port opened, a secret read, a key created for another user); failed attempts are
grouped by what was attempted. The sheets hold the calls per event source and name with their
ATT&CK tactics, every mutating call (readOnly false), the acts with their requests, failures, and
the resources created (Create*, Run*, Put*) with the ids from the responses.

--pivot N follows the links an investigator follows by hand, round after round: an identity to its
source addresses and access keys, an address to the other identities using it, a key to the session
and access keys it minted (AssumeRole*, GetSessionToken, GetFederationToken) or created
(CreateAccessKey) and to the identities that used it, a role session to its issuing role. It stops
when nothing new appears, after N rounds, or when --max-queries pivot queries have run. AWS-internal
sources ("AWS Internal", *.amazonaws.com) and AWS service identities are recorded, never followed.
The report gets the graph (pivot_edges), every node (pivot_nodes) and the rounds (pivot_rounds).`,
		Example: `  ctathena identity --logs ./AWSLogs-copy --access-key AKIAIOSFODNN7EXAMPLE --pivot 5 --since 2026-11-01
  ctathena identity --arn arn:aws:iam::123456789012:user/alice --ip 198.51.100.7 --since 14d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runIdentity(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.arns, "arn", nil, "identity ARN (userIdentity.arn) to investigate (repeatable)")
	f.StringArrayVar(&o.keys, "access-key", nil, "access key id to investigate (repeatable)")
	f.StringArrayVar(&o.ips, "ip", nil, "source IP address, or one CIDR range (IPv4 or IPv6), to investigate (repeatable)")
	f.IntVar(&o.pivot, "pivot", 0, "follow linked identities, keys and addresses for up to N rounds (0: no pivot)")
	f.IntVar(&o.maxQueries, "max-queries", investigate.DefaultMaxQueries, "most queries the pivot may run (the activity queries are extra)")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	return cmd
}

func runIdentity(cmd *cobra.Command, g *globals, o *identityOptions) error {
	ctx := cmd.Context()
	if len(o.arns)+len(o.keys)+len(o.ips) == 0 {
		return usageErr("identity needs at least one --arn, --access-key or --ip")
	}
	if o.maxQueries < 1 {
		return usageErr("--max-queries must be at least 1, such as 40")
	}
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	opts := investigate.IdentityOptions{ARNs: o.arns, AccessKeys: o.keys, IPs: o.ips, Window: w,
		Pivot: o.pivot, MaxQueries: o.maxQueries}
	// Validate every value before touching any log or AWS.
	if _, err := investigate.PlanIdentity(opts); err != nil {
		return err
	}
	params := []reports.Param{
		{Name: "arn", Value: strings.Join(o.arns, ",")}, {Name: "access-key", Value: strings.Join(o.keys, ",")},
		{Name: "ip", Value: strings.Join(o.ips, ",")}, {Name: "pivot", Value: strconv.Itoa(o.pivot)},
		{Name: "max-queries", Value: strconv.Itoa(o.maxQueries)},
		{Name: "since", Value: investigate.Stamp(w.Since)}, {Name: "until", Value: investigate.Stamp(w.Until)},
	}
	for _, a := range o.arns {
		if p, ok := strings.CutSuffix(a, "*"); ok {
			params = append(params, reports.Param{Name: "arn match", Value: "prefix: every identity whose ARN starts with " + p})
		}
	}
	r := run{command: "identity", window: w, params: g.commonParams(params), primary: "identity/activity",
		credits: []string{attack.Credit}}
	if o.pivot > 0 {
		r.primary = investigate.PivotEdges
	}
	return g.investigate(ctx, r, w.Since, w.Until, func(env *investigate.Env, b *backend) (*investigate.Outcome, error) {
		if b != nil {
			opts.OrgAccounts = b.accounts
		}
		return investigate.Identity(ctx, env, opts)
	})
}
