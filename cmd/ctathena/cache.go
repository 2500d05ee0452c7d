package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/engine/local"
)

func init() { extraCommands = append(extraCommands, newCacheCmd) }

// cacheRoot is the folder of evidence stores: $CTATHENA_CACHE, or
// ctathena/ in the user's cache folder.
func (g *globals) cacheRoot() (string, error) {
	if d := g.getenv("CTATHENA_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for the evidence store (%v): set $CTATHENA_CACHE or pass --no-cache", err)
	}
	return filepath.Join(d, "ctathena"), nil
}

// storeOptions are the local engine's store settings the flags and the
// environment select: the cache folder ("" with --no-cache) and, on a
// terminal, a progress bar for the ingest.
func (g *globals) storeOptions() (string, func(local.Progress)) {
	if g.noCache || !g.useCache {
		return "", nil
	}
	root, err := g.cacheRoot()
	if err != nil {
		g.warnf("%v; reading the files without a store", err)
		return "", nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		g.warnf("cannot create the evidence store folder (%v): set $CTATHENA_CACHE or pass --no-cache; reading the files without a store", err)
		return "", nil
	}
	if !g.isTTY || g.quiet {
		return root, nil
	}
	drawn := false
	return root, func(p local.Progress) {
		if p.Waiting {
			fmt.Fprintf(g.stderr, "  waiting for another ctathena command to finish with the evidence store\n")
			return
		}
		fmt.Fprintf(g.stderr, "\r  %s", progressLine(p))
		drawn = true
		if p.Done && drawn {
			fmt.Fprintln(g.stderr)
		}
	}
}

// progressLine is one state of the ingest progress bar.
func progressLine(p local.Progress) string {
	const width = 24
	frac := 1.0
	if p.BytesTotal > 0 {
		frac = float64(p.Bytes) / float64(p.BytesTotal)
	}
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
	secs := p.Elapsed.Seconds()
	rate, eta := 0.0, "?"
	if secs > 0 {
		rate = float64(p.Bytes) / secs / 1e6
		if p.Bytes > 0 {
			left := time.Duration(float64(p.BytesTotal-p.Bytes) / (float64(p.Bytes) / secs) * float64(time.Second))
			eta = left.Round(time.Second).String()
		}
	}
	return fmt.Sprintf("ingesting [%s] %d/%d files, %d events, %.1f MB/s, %s left ", bar, p.Files, p.FilesTotal, p.Events, rate, eta)
}

func newCacheCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "cache",
		Short: "List or clear the local evidence stores (each logs folder read once, then queried)",
		Long: `The first command over --logs DIR reads every CloudTrail file of the folder into a local
evidence store in the cache folder ($CTATHENA_CACHE, by default ctathena/ in the user's cache
folder); later commands read only new or changed files. A store holds every event of the folder:
it is private to the user (folders 0700, files 0600). --no-cache reads the files instead.`,
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the evidence stores: logs folder, files and events held, size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := g.cacheRoot()
			if err != nil {
				return err
			}
			stores, err := local.Stores(cmd.Context(), root)
			if err != nil {
				return err
			}
			if len(stores) == 0 {
				fmt.Fprintf(g.stdout, "no evidence stores in %s\n", root)
				return nil
			}
			for _, s := range stores {
				held := "in use by an ingest"
				if s.Files >= 0 {
					held = fmt.Sprintf("%d files, %d events", s.Files, s.Events)
				}
				fmt.Fprintf(g.stdout, "%s\t%s\t%.1f MB\t%s\n", s.Logs, held, float64(s.Bytes)/1e6, s.Dir)
			}
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "clear",
		Short: "Delete the evidence store of --logs DIR, or every store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := g.cacheRoot()
			if err != nil {
				return err
			}
			var dirs []string
			if g.logs != "" {
				d, err := local.StoreDir(root, g.logs)
				if err != nil {
					return usageErr("--logs %s: %v", g.logs, err)
				}
				if _, err := os.Stat(d); err != nil {
					fmt.Fprintf(g.stdout, "no evidence store for %s\n", g.logs)
					return nil
				}
				dirs = append(dirs, d)
			} else {
				stores, err := local.Stores(cmd.Context(), root)
				if err != nil {
					return err
				}
				for _, s := range stores {
					dirs = append(dirs, s.Dir)
				}
			}
			var failed error
			for _, d := range dirs {
				if err := local.RemoveStore(d); err != nil {
					g.warnf("%v", err)
					failed = err
					continue
				}
				fmt.Fprintf(g.stdout, "removed %s\n", d)
			}
			if failed != nil {
				return fmt.Errorf("some evidence stores were not removed")
			}
			return nil
		},
	})
	return c
}
