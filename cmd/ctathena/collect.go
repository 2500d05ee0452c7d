package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/collect"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/sql"
)

func init() { extraCommands = append(extraCommands, newCollectCmd) }

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

type collectOptions struct {
	trailBucket, trailPrefix string
	dataBucket, dataPrefix   string
	since, until             string
	accounts, regions        []string
	workers                  int
}

func newCollectCmd(g *globals) *cobra.Command {
	o := &collectOptions{}
	cmd := &cobra.Command{
		Use:   "collect --trail-bucket B [--trail-prefix P] [--data-bucket B2 [--data-prefix P2]] --since T --until T --out DIR",
		Short: "Make the evidence copy: the window's log and digest files with their signatures, and a collection manifest",
		Long: `collect copies the window's CloudTrail files from the trail bucket(s) into --out DIR, as
DIR/<bucket>/<key> (the layout --logs reads): the log files of the window's day folders padded by
a day each side (the partitions the queries read), the digest files covering them, and beside
each digest <digest>.sig.json with the signature from its S3 metadata (which 'aws s3 sync' drops).
DIR/collection-manifest.jsonl records every object's key, version id, ETag, size, last-modified
and SHA-256, with the time, the identity that ran it (STS GetCallerIdentity) and the tool version.

It only reads the bucket. Run it again to resume: it copies what is missing and re-verifies what
is there; a file that differs from its object is reported, never overwritten.`,
		Example: `  ctathena collect --trail-bucket org-cloudtrail --since 2026-11-01 --until 2026-11-08 --out ./evidence
  ctathena validate --logs ./evidence --public-keys keys.json --since 2026-11-01 --until 2026-11-08`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCollect(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.trailBucket, "trail-bucket", "", "bucket the organization trail delivers to")
	f.StringVar(&o.trailPrefix, "trail-prefix", "", "key prefix of the trail in that bucket")
	f.StringVar(&o.dataBucket, "data-bucket", "", "bucket of a separate data-events trail")
	f.StringVar(&o.dataPrefix, "data-prefix", "", "key prefix of the data-events trail")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	f.StringSliceVar(&o.accounts, "accounts", nil, "only these account ids (default: every account the bucket lists)")
	f.StringSliceVar(&o.regions, "regions", nil, "only these regions (default: every region the bucket lists)")
	f.IntVar(&o.workers, "parallel", 16, "objects fetched at once")
	return cmd
}

func runCollect(ctx context.Context, g *globals, o *collectOptions) error {
	if o.trailBucket == "" {
		return usageErr("collect needs --trail-bucket: the bucket the trail delivers to")
	}
	if g.out == "" {
		return usageErr("collect needs --out DIR: the folder of the evidence copy")
	}
	locs := []collect.Location{{Bucket: o.trailBucket, Prefix: strings.Trim(o.trailPrefix, "/")}}
	if o.dataBucket != "" {
		locs = append(locs, collect.Location{Bucket: o.dataBucket, Prefix: strings.Trim(o.dataPrefix, "/")})
	} else if o.dataPrefix != "" {
		return usageErr("--data-prefix needs --data-bucket")
	}
	for _, l := range locs {
		if _, err := sql.Check("s3_bucket", l.Bucket); err != nil {
			return usageErr("bucket %q: %v", l.Bucket, err)
		}
	}
	for _, a := range o.accounts {
		if _, err := sql.Check("account_id", a); err != nil {
			return usageErr("--accounts: %v", err)
		}
	}
	for _, r := range o.regions {
		if !regionRe.MatchString(r) {
			return usageErr("--regions: %q is not an AWS region name", r)
		}
	}
	if o.workers < 1 || o.workers > 256 {
		return usageErr("--parallel %d: use 1 to 256", o.workers)
	}
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	g.printWindow(w)
	cl, err := g.awsClients(ctx, "")
	if err != nil {
		return err
	}
	id, err := cl.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("who is collecting (STS GetCallerIdentity): %w", err)
	}
	started := time.Now()
	var progress func(done, total int, bytes int64)
	if p := g.fileProgress("collecting"); p != nil {
		progress = func(done, total int, _ int64) { p(done, total) }
	}
	res, err := collect.Collect(ctx, cl.s3, collect.Options{
		Locations: locs, Since: w.Since, Until: w.Until, Accounts: o.accounts, Regions: o.regions,
		Out: g.out, Workers: o.workers, ToolVersion: version, Now: g.now, Progress: progress,
		Identity: collect.Identity{Account: aws.ToString(id.Account), ARN: aws.ToString(id.Arn), UserID: aws.ToString(id.UserId)},
	})
	if err != nil && res == nil {
		return err
	}
	el := time.Since(started)
	fmt.Fprintf(g.stdout, "%d files in the window: %d copied (%s), %d already in the copy and re-verified, %d conflicts, %d failed, in %s\n",
		res.Files, res.Copied, investigate.HumanBytes(float64(res.Bytes)), res.Verified, len(res.Conflicts), len(res.Failed), el.Round(time.Millisecond))
	for _, c := range res.Conflicts {
		fmt.Fprintf(g.stdout, "CONFLICT  %s: %s\n", c.Path, c.Detail)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(g.stdout, "FAILED    %s\n", f)
	}
	g.warnf("evidence copy: %s (manifest: %s); check it with 'ctathena validate --logs %s'", g.out, collect.ManifestName, g.out)
	if err != nil {
		return err
	}
	switch {
	case len(res.Failed) > 0:
		return &exitErr{code: exitPartial, err: fmt.Errorf("%d files could not be copied; run collect again to resume", len(res.Failed))}
	case len(res.Conflicts) > 0:
		return &exitErr{code: exitError, err: errors.New("the copy holds files that differ from their objects: kept, not overwritten (see CONFLICT lines)")}
	}
	return nil
}
