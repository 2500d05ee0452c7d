package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/internal/attack"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/sql/sigma"
)

func init() { extraCommands = append(extraCommands, newHuntCmd) }

type huntOptions struct {
	packs    []string
	sigma    []string
	since    string
	until    string
	baseline string
}

func newHuntCmd(g *globals) *cobra.Command {
	o := &huntOptions{}
	cmd := &cobra.Command{
		Use:   "hunt [--pack evasion,recon,persistence,...] [--since T] [--until T]",
		Short: "Run the detection catalog over the window; every hit mapped to MITRE ATT&CK",
		Long: `hunt runs the detection catalog over the window: logging switched off (StopLogging, DeleteTrail,
PutEventSelectors, DeleteDetector, DeleteFlowLogs, ...), where errors come from (long tail first),
who-am-I and inventory calls by source IP, new users, keys, roles and backdoored functions,
permissions granted, cross-account role use and remote access to instances, snapshots and images
shared out, bucket data copied out or exposed (replication, public access blocks), data destroyed
or encrypted (lifecycle expiry, DeleteBucket, bulk deletes, SSE-C writes, KMS keys disabled or
deleted), defences removed (log groups, MFA, Access Analyzer), key pairs, bursts of failed sign-ins,
Organizations changes, public Lambda functions, secrets read, and a short list of calls that are
rare outside intrusions. Failed attempts are hits too, shown with their error. Each finding says
what the call did, read from its request parameters, and carries its ATT&CK tactics and techniques
(mapping from TrailDiscover, CC BY 4.0). Routine calls (Lambda code, SSM sessions) are ranked by
rarity against the principal's own calls in the --baseline before the window.

Packs: ` + strings.Join(investigate.HuntPackNames(), ", ") + ` (default: all). The sigma pack is SigmaHQ's
AWS CloudTrail rules (Detection Rule License 1.1; each rule's author is shown with its hits);
--sigma FILE-or-FOLDER (repeatable) adds a team's own Sigma rules, translated to the catalog's SQL.
A rule that cannot be translated is listed with the reason on the sigma/rules sheet.`,
		Example: `  ctathena hunt --logs ./AWSLogs-copy --since 2026-11-01
  ctathena hunt --pack evasion,persistence --since 14d --out case-42-hunt
  ctathena hunt --logs ./AWSLogs-copy --sigma ./detections/cloudtrail --since 14d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHunt(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.packs, "pack", nil, "detection packs to run (repeat or comma-separate; default all): "+strings.Join(investigate.HuntPackNames(), ","))
	f.StringArrayVar(&o.sigma, "sigma", nil, "a team's Sigma rules to run too: a .yml file or a folder of them (repeatable)")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	f.StringVar(&o.baseline, "baseline", "14d", "how far before the window each principal's own baseline of routine calls reaches (0: none)")
	return cmd
}

func runHunt(cmd *cobra.Command, g *globals, o *huntOptions) error {
	ctx := cmd.Context()
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	base, err := investigate.ParseDuration(o.baseline)
	if err != nil {
		return usageErr("--baseline: %v", err)
	}
	opts := investigate.HuntOptions{Packs: o.packs, Window: w, Baseline: base, NoBaseline: base == 0}
	if len(o.sigma) > 0 {
		rules, refused, err := sigma.Load(o.sigma)
		if err != nil {
			return usageErr("--sigma: %v", err)
		}
		opts.SigmaRules, opts.SigmaRefused = rules, refused
	}
	// Validate every value before touching any log or AWS.
	if _, err := investigate.PlanHunt(opts); err != nil {
		return err
	}
	narrow, err := huntNarrow(opts)
	if err != nil {
		return err
	}
	packs := strings.Join(o.packs, ",")
	if packs == "" {
		packs = "all"
	}
	params := []reports.Param{
		{Name: "pack", Value: packs}, {Name: "since", Value: investigate.Stamp(w.Since)},
		{Name: "until", Value: investigate.Stamp(w.Until)}, {Name: "baseline", Value: o.baseline},
	}
	for _, p := range o.sigma {
		params = append(params, reports.Param{Name: "sigma", Value: p})
	}
	r := run{command: "hunt", window: w, params: g.commonParams(params), primary: "hunt/summary",
		credits: []string{attack.Credit, sigma.Credit}, narrow: narrow}
	return g.investigate(ctx, r, opts.BaselineSince(), w.Until, func(env *investigate.Env, b *backend) (*investigate.Outcome, error) {
		if b != nil {
			opts.OrgAccounts = b.accounts
		}
		return investigate.Hunt(ctx, env, opts)
	})
}

// huntNarrow is what hunt reads on the local engine: the columns the hunt
// pack's queries and the Sigma queries name.
func huntNarrow(o investigate.HuntOptions) (*local.Narrow, error) {
	cat, err := sql.Default()
	if err != nil {
		return nil, err
	}
	texts := investigate.PackSQL(cat, "hunt")
	more, err := investigate.SigmaSQL(&investigate.Env{Catalog: cat}, o)
	if err != nil {
		return nil, err
	}
	return &local.Narrow{Queries: append(texts, more...)}, nil
}
