package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/reports"
)

func newVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify DIR",
		Short: "Recompute every hash of an evidence bundle and name any file that changed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := reports.Verify(args[0])
			if err != nil {
				return usageErr("verify %s: %v", args[0], err)
			}
			for _, f := range res.Changed {
				fmt.Fprintf(g.stdout, "CHANGED  %s\n", f)
			}
			for _, f := range res.Missing {
				fmt.Fprintf(g.stdout, "MISSING  %s\n", f)
			}
			for _, f := range res.Added {
				fmt.Fprintf(g.stdout, "ADDED    %s\n", f)
			}
			for _, c := range res.Cells {
				fmt.Fprintf(g.stdout, "CELL     %s\n", c)
			}
			for _, p := range res.Problems {
				fmt.Fprintf(g.stdout, "PROBLEM  %s\n", p)
			}
			if !res.OK() {
				return fmt.Errorf("evidence bundle %s does not match its hashes", args[0])
			}
			fmt.Fprintf(g.stdout, "OK  %s: every file matches SHA256SUMS and manifest.json, and every hash the workbook shows matches its file\n", args[0])
			return nil
		},
	}
}
