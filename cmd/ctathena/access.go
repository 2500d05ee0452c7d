package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
)

func init() { extraCommands = append(extraCommands, newAccessCmd) }

type accessOptions struct {
	buckets []string
	since   string
	until   string
}

func newAccessCmd(g *globals) *cobra.Command {
	o := &accessOptions{}
	cmd := &cobra.Command{
		Use:   "access --bucket B [--bucket B2] [--since T] [--until T]",
		Short: "Who did what to the buckets: every S3 data event by principal, source IP and operation",
		Long: `access lists every S3 data event on the bucket(s) in the window, grouped by principal, source IP
and operation class: read (GetObject, HeadObject, ...), write (PutObject, CopyObject, multipart
uploads, ...), delete (DeleteObject, DeleteObjects, ...), list (ListObjects, ListObjectsV2,
ListObjectVersions, ...) and other; with calls and failures over distinct eventIDs, object keys,
bytes in and out of successful calls, and first and last seen; plus totals per bucket and class.`,
		Example: `  ctathena access --logs ./AWSLogs-copy --bucket payroll-exports --since 2026-11-01
  ctathena access --bucket payroll-exports --bucket hr-archive --since 14d --out case-42-access`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAccess(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.buckets, "bucket", nil, "bucket to investigate (repeat or comma-separate)")
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	return cmd
}

func runAccess(cmd *cobra.Command, g *globals, o *accessOptions) error {
	ctx := cmd.Context()
	if len(o.buckets) == 0 {
		return usageErr("access needs --bucket: the bucket(s) whose data events to list")
	}
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	opts := investigate.AccessOptions{Buckets: o.buckets, Window: w}
	// Validate every value before touching any log or AWS.
	if _, err := investigate.PlanAccess(opts); err != nil {
		return err
	}
	params := []reports.Param{
		{Name: "bucket", Value: strings.Join(o.buckets, ",")},
		{Name: "since", Value: investigate.Stamp(w.Since)}, {Name: "until", Value: investigate.Stamp(w.Until)},
	}
	r := run{command: "access", window: w, params: g.commonParams(params), primary: "access/by_principal"}
	return g.investigate(ctx, r, w.Since, w.Until, func(env *investigate.Env, _ *backend) (*investigate.Outcome, error) {
		return investigate.Access(ctx, env, opts)
	})
}
