package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/cobra"

	"github.com/ctathena/ctathena/collect"
	"github.com/ctathena/ctathena/integrity"
	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/tables"
)

func init() { extraCommands = append(extraCommands, newValidateCmd) }

type validateOptions struct{ since, until string }

func newValidateCmd(g *globals) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate (--logs DIR [--public-keys FILE] | on S3 via the config) [--since T] [--until T]",
		Short: "CloudTrail log file integrity: digest signatures, the digest chain, every log file's hash",
		Long: `validate checks CloudTrail's own integrity evidence over the window's day folders (padded by a
day each side, as the queries read them): each hourly digest file's SHA256withRSA signature with
the public key its fingerprint names; the chain of previous-digest hashes and signatures per
account, region and trail, with no gap; the hash of every log file a digest lists and that the
file is there; that no log file is absent from every digest. Backfill digests and key rotation
are handled. Each finding names its file: changed, missing, extra, not covered yet, not covered,
chain break, bad signature, unknown key.

With --logs it reads a copy (made by 'ctathena collect', which keeps each digest's signature in
<digest>.sig.json; a plain 'aws s3 sync' copy has none, and then only the digests a later digest
names can have their signature checked). Keys come from --public-keys FILE (the JSON 'aws
cloudtrail list-public-keys' prints; one per region, comma-separated or concatenated). Without
--logs it reads the trail buckets in the setup config directly and the keys from CloudTrail's
ListPublicKeys.

Exit status: 0 when every check passes, 1 when one fails, 2 for bad input.`,
		Example: `  ctathena validate --logs ./evidence --public-keys keys-us-east-1.json --since 2026-11-01 --until 2026-11-08
  ctathena validate --since 2026-11-01 --until 2026-11-08`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runValidate(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "window start (default: 7 days before --until)")
	f.StringVar(&o.until, "until", "", "window end (default: now)")
	return cmd
}

func runValidate(ctx context.Context, g *globals, o *validateOptions) error {
	w, err := investigate.ParseWindow(o.since, o.until, g.now())
	if err != nil {
		return usageErr("%v", err)
	}
	keys, why, err := g.offlineKeys()
	if err != nil {
		return err
	}
	g.printWindow(w)
	var reps []*integrity.Report
	if g.logs != "" {
		if st, err := os.Stat(g.logs); err != nil || !st.IsDir() {
			return usageErr("--logs %s: not a folder", g.logs)
		}
		rep, err := g.validateDir(ctx, g.logs, w, keys, why)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	} else {
		c, err := g.loadConfig()
		if err != nil {
			return err
		}
		reps, err = g.validateS3(ctx, c, w, keys, why)
		if err != nil {
			return err
		}
	}
	failed := 0
	for _, rep := range reps {
		if err := g.printIntegrity(rep); err != nil {
			return err
		}
		if !rep.OK() {
			failed++
		}
	}
	if failed > 0 {
		return &exitErr{code: exitError, err: errors.New("log integrity check failed: see the findings above")}
	}
	return nil
}

// offlineKeys reads --public-keys; nil keys and the reason when not given.
func (g *globals) offlineKeys() (*integrity.Keys, string, error) {
	if g.publicKeys == "" {
		return nil, "no public keys: pass --public-keys FILE (the JSON 'aws cloudtrail list-public-keys' prints for each region)", nil
	}
	var all []byte
	for _, p := range strings.Split(g.publicKeys, ",") {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", usageErr("--public-keys %s: %v", p, err)
		}
		all = append(append(all, b...), '\n')
	}
	k, err := integrity.ParsePublicKeysJSON(g.publicKeys, all)
	if err != nil {
		return nil, "", usageErr("--public-keys: %v", err)
	}
	return k, "", nil
}

// validateDir validates a folder copy; the reference time is the copy's
// last collection, when collect made it.
func (g *globals) validateDir(ctx context.Context, dir string, w investigate.Window, keys *integrity.Keys, why string) (*integrity.Report, error) {
	ref := collect.LastRun(dir)
	return integrity.Validate(ctx, integrity.DirStore{Dir: dir}, integrity.Options{
		Since: w.Since, Until: w.Until, Keys: keys, NoKeysWhy: why, Reference: ref,
		Progress: g.fileProgress("checking log files"),
	})
}

// trailLocations are the config's trail buckets.
func trailLocations(c *tables.Config) []collect.Location {
	var out []collect.Location
	seen := map[string]bool{}
	for _, k := range []string{"management", "data"} {
		t, ok := c.Tables[k]
		if !ok || t.Bucket == "" {
			continue
		}
		l := collect.Location{Bucket: t.Bucket, Prefix: t.Prefix}
		if seen[l.Bucket+"/"+l.Prefix] {
			continue
		}
		seen[l.Bucket+"/"+l.Prefix] = true
		out = append(out, l)
	}
	return out
}

// validateS3 validates every trail bucket of the config in place.
func (g *globals) validateS3(ctx context.Context, c *tables.Config, w investigate.Window, keys *integrity.Keys, why string) ([]*integrity.Report, error) {
	locs := trailLocations(c)
	if len(locs) == 0 {
		return nil, usageErr("the config names no trail bucket: run 'ctathena setup' again, or pass --logs DIR")
	}
	cl, err := g.awsClients(ctx, c.Region)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		keys, err = g.cloudTrailKeys(ctx, cl.cfg, c.Regions, w)
		if err != nil {
			return nil, err
		}
	}
	var out []*integrity.Report
	for _, l := range locs {
		rep, err := integrity.Validate(ctx, collect.NewStore(cl.s3, l, nil, nil), integrity.Options{
			Since: w.Since, Until: w.Until, Keys: keys, NoKeysWhy: why, Reference: g.now().UTC(),
			Progress: g.fileProgress("checking log files in s3://" + l.Bucket),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// cloudTrailKeys calls ListPublicKeys in each region (keys are per region).
func (g *globals) cloudTrailKeys(ctx context.Context, cfg aws.Config, regions []string, w investigate.Window) (*integrity.Keys, error) {
	if len(regions) == 0 {
		regions = []string{cfg.Region}
	}
	var pks []integrity.PublicKey
	seen := map[string]bool{}
	for _, r := range regions {
		ct := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = r })
		in := &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(w.Since.AddDate(0, 0, -2)), EndTime: aws.Time(g.now().UTC())}
		for {
			res, err := ct.ListPublicKeys(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list CloudTrail public keys in %s: %w", r, err)
			}
			for _, k := range res.PublicKeyList {
				fp := aws.ToString(k.Fingerprint)
				if seen[fp] {
					continue
				}
				seen[fp] = true
				pks = append(pks, integrity.PublicKey{Fingerprint: fp, DER: k.Value, ValidFrom: aws.ToTime(k.ValidityStartTime), ValidUntil: aws.ToTime(k.ValidityEndTime)})
			}
			if res.NextToken == nil || aws.ToString(res.NextToken) == "" {
				break
			}
			in.NextToken = res.NextToken
		}
	}
	return integrity.NewKeys("CloudTrail ListPublicKeys in "+strings.Join(regions, ", "), pks)
}

// fileProgress reports progress on a terminal (or with --debug).
func (g *globals) fileProgress(what string) func(done, total int) {
	if !(g.debug || (g.isTTY && !g.quiet)) {
		return nil
	}
	last := time.Time{}
	return func(done, total int) {
		if done != total && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(g.stderr, "\r  %s %s", what, bar(done, total))
		if done == total {
			fmt.Fprintln(g.stderr)
		}
	}
}

func bar(done, total int) string {
	const width = 30
	fill := width
	if total > 0 {
		fill = done * width / total
	}
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, total)
}

// printIntegrity writes a report to stdout.
func (g *globals) printIntegrity(rep *integrity.Report) error {
	if g.format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"store": rep.Store, "ok": rep.OK(), "since": rep.Since, "until": rep.Until,
			"first_day": rep.FirstDay.Format("2006-01-02"), "last_day": rep.LastDay.Format("2006-01-02"),
			"signatures_checked": rep.SignaturesChecked, "signature_note": rep.SignatureNote,
			"summary": rep.Lines("log files"), "findings": orEmptyF(rep.Findings), "digests": rep.Digests, "files": rep.Files,
		})
	}
	fmt.Fprintf(g.stdout, "%s\n", rep.Store)
	for _, l := range rep.Lines("log files") {
		fmt.Fprintf(g.stdout, "  %s\n", l)
	}
	for _, l := range rep.FindingLines() {
		fmt.Fprintf(g.stdout, "  %s\n", l)
	}
	return nil
}

func orEmptyF(f []integrity.Finding) []integrity.Finding {
	if f == nil {
		return []integrity.Finding{}
	}
	return f
}

// integrityFor is the log integrity check of what an investigation read:
// the CloudTrail digests over the day folders the engine loaded (cov.Days),
// locally on the logs folder, on Athena on the config's trail buckets. It
// returns the Cover/Coverage lines and each file's status; a check that
// could not run says so (never as a pass).
func (g *globals) integrityFor(ctx context.Context, days []string, w investigate.Window) ([]string, []reports.IntegrityFile) {
	if g.noValidate {
		return []string{"Log integrity not checked: --no-validate was given."}, nil
	}
	if len(days) == 0 && !g.useLocal() {
		// Athena reads the partitions of the span, padded by a day.
		span := g.loadSpan
		if span[0].IsZero() {
			span = [2]time.Time{w.Since, w.Until}
		}
		days = []string{span[0].AddDate(0, 0, -1).Format("2006/01/02"), span[1].AddDate(0, 0, 1).Format("2006/01/02")}
	}
	if len(days) == 0 {
		return []string{"Log integrity not checked: no log files were read."}, nil
	}
	lo, hi := days[0], days[0]
	for _, d := range days {
		if d < lo {
			lo = d
		}
		if d > hi {
			hi = d
		}
	}
	from, err1 := time.Parse("2006/01/02", lo)
	to, err2 := time.Parse("2006/01/02", hi)
	if err1 != nil || err2 != nil {
		return []string{fmt.Sprintf("Log integrity not checked: the days read (%s to %s) are not dates.", lo, hi)}, nil
	}
	keys, why, err := g.offlineKeys()
	if err != nil {
		return []string{"Log integrity check did not run: " + err.Error()}, nil
	}
	started := time.Now()
	opts := integrity.Options{Since: w.Since, Until: w.Until, Days: [2]time.Time{from, to}, Keys: keys, NoKeysWhy: why,
		Progress: g.fileProgress("checking log integrity")}
	var reps []*integrity.Report
	var cost string
	if g.useLocal() {
		opts.Reference = collect.LastRun(g.logs)
		if g.read.len() > 0 {
			// Only the files the engine read, with the hashes it computed
			// as it read them.
			opts.Read = g.read.get
		}
		rep, err := integrity.Validate(ctx, integrity.DirStore{Dir: g.logs}, opts)
		if err != nil {
			g.warnf("log integrity check failed: %v", err)
			return []string{"Log integrity check did not run: " + err.Error()}, nil
		}
		reps = append(reps, rep)
	} else {
		c, err := g.loadConfig()
		if err == nil {
			var cl *awsClients
			if cl, err = g.awsClients(ctx, c.Region); err == nil {
				if keys == nil {
					keys, err = g.cloudTrailKeys(ctx, cl.cfg, c.Regions, w)
					opts.Keys = keys
				}
				for _, l := range trailLocations(c) {
					if err != nil {
						break
					}
					opts.Reference = g.now().UTC()
					var rep *integrity.Report
					rep, err = integrity.Validate(ctx, collect.NewStore(cl.s3, l, c.Accounts, c.Regions), opts)
					if err == nil {
						reps = append(reps, rep)
					}
				}
			}
		}
		if err != nil {
			g.warnf("log integrity check failed: %v", err)
			return []string{"Log integrity check did not run: " + err.Error() + " (use --no-validate to skip it)"}, nil
		}
		gets := 0
		for _, r := range reps {
			gets += len(r.Files) + len(r.Digests)
		}
		// S3 GET pricing (us-east-1 standard): $0.0004 per 1,000 requests.
		cost = fmt.Sprintf("The check read %s objects from S3 (about $%.4f in GET requests, plus LIST requests and any transfer charges); --no-validate skips it.", n(gets), float64(gets)*0.0004/1000)
	}
	scope := "log files in the day folders read"
	if opts.Read != nil {
		scope = "log files read"
	}
	var lines []string
	var files []reports.IntegrityFile
	for _, rep := range reps {
		if len(rep.Digests) == 0 {
			lines = append(lines, fmt.Sprintf("Log integrity not checked for %s: it holds no CloudTrail digest files (CloudTrail-Digest/) for the days read; log file validation may be off for the trail, or the copy left the digests out.", rep.Store))
			continue
		}
		lines = append(lines, rep.Lines(scope)...)
		fl := rep.FindingLines()
		const maxShown = 20
		for i, l := range fl {
			if i == maxShown {
				lines = append(lines, fmt.Sprintf("… and %d more findings: run 'ctathena validate' for the full list (the manifest lists every file's status).", len(fl)-maxShown))
				break
			}
			lines = append(lines, l)
		}
		for _, f := range rep.Files {
			p := f.Path
			if g.useLocal() {
				if rel, err := filepath.Rel(g.logs, p); err == nil {
					p = filepath.ToSlash(rel)
				}
			}
			// The digest's name alone: it is unique (account, region, trail,
			// hour), and a month's 150,000 full paths twice over made the
			// manifest 74 MB.
			files = append(files, reports.IntegrityFile{Path: p, SHA256: f.SHA256, Status: f.Status, Digest: filepath.Base(f.Digest)})
		}
		if !rep.OK() {
			g.warnf("log integrity FAILED for %s: see the report's Cover and Coverage, or run 'ctathena validate'", rep.Store)
		}
	}
	if cost != "" {
		lines = append(lines, cost)
	}
	g.progressf("log integrity checked in %s", time.Since(started).Round(time.Millisecond))
	return lines, files
}

func n(i int) string {
	s := fmt.Sprint(i)
	var b strings.Builder
	for j, ch := range s {
		if j > 0 && (len(s)-j)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// readSet records the files the local engine read (local.Options.FileRead).
type readSet struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (r *readSet) add(path string, sum []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string][]byte{}
	}
	r.m[path] = sum
}

func (r *readSet) get(path string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum, ok := r.m[path]
	return sum, ok
}

func (r *readSet) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
