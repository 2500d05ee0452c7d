// The log files: each one hashed and matched to the digests that list it.

package integrity

import (
	"context"
	"encoding/hex"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ctathena/ctathena/internal/par"
)

type expectation struct {
	hash   string
	alg    string
	digest *digestFile
}

// logs hashes every log file, matches it to the digests that list it, and
// finds listed files that are gone.
func (v *validation) logs(ctx context.Context, st Store, logs []Object, digests []*digestFile, workers int) error {
	expected := map[string][]expectation{}
	for _, df := range digests {
		if df.d == nil {
			continue
		}
		for _, lf := range df.d.LogFiles {
			rel := Rel(lf.S3Object)
			if rel == "" {
				continue
			}
			k := df.obj.Root + "|" + rel
			expected[k] = append(expected[k], expectation{hash: strings.ToLower(lf.HashValue), alg: lf.HashAlgorithm, digest: df})
		}
	}
	// Newest standard digest end per root/account/region, for files no
	// digest lists.
	type acctRegion struct{ root, account, region string }
	newestEnd := map[acctRegion]time.Time{}
	oldestStart := map[acctRegion]time.Time{}
	for _, df := range digests {
		if df.d == nil || df.obj.Place.Backfill {
			continue
		}
		k := acctRegion{df.obj.Root, df.obj.Place.Account, df.obj.Place.Region}
		if df.status.End.After(newestEnd[k]) {
			newestEnd[k] = df.status.End
		}
		if s, ok := oldestStart[k]; !ok || df.status.Start.Before(s) {
			oldestStart[k] = df.status.Start
		}
	}
	var pre [][]byte
	if v.o.Read != nil {
		kept := logs[:0]
		for _, ob := range logs {
			if sum, read := v.o.Read(ob.Path); read {
				kept = append(kept, ob)
				pre = append(pre, sum)
			}
		}
		logs = kept
	}
	// In place, the hashes moving with their files: a sorted copy was 29
	// MB of a 30-day folder's 149,182 files, while the command's rows are
	// held for its report.
	sort.Sort(byPath{logs, pre})
	// wants reports whether hash h is one a digest lists for the file.
	wants := func(ob Object, h string) bool {
		for _, e := range expected[ob.Root+"|"+ob.Rel] {
			if e.hash == h {
				return true
			}
		}
		return false
	}
	files := make([]FileStatus, len(logs))
	// With no digest listing any file (a copy without CloudTrail-Digest/),
	// no file is hashed, and none can be missing: the hashes, errors and
	// the set of files present are not needed.
	listed := len(expected) > 0
	var hashes []contentHash
	var errs []error
	if listed {
		hashes = make([]contentHash, len(logs))
		errs = make([]error, len(logs))
	}
	var mu sync.Mutex
	done := 0
	par.For(ctx, workers, len(logs), func(_, i int) {
		if v.o.Progress != nil {
			defer func() {
				mu.Lock()
				done++
				v.o.Progress(done, len(logs))
				mu.Unlock()
			}()
		}
		if !listed {
			// No digest in the store lists any file: no hash could be
			// checked against anything, and every file's status is
			// "not covered" whatever its content (a local run over a copy
			// without CloudTrail-Digest/ read and inflated every file
			// again here for nothing).
			return
		}
		if pre != nil && len(pre[i]) == 32 && wants(logs[i], hex.EncodeToString(pre[i])) {
			// The reader's hash of the whole content matches: no byte
			// follows the member CloudTrail wrote either.
			copy(hashes[i].sum[:], pre[i])
			return
		}
		rc, err := st.OpenLog(ctx, logs[i])
		if err == nil {
			hashes[i], err = hashContent(rc, false)
			rc.Close()
		}
		errs[i] = err
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	present := map[string]bool{}
	noDigests := map[acctRegion]bool{}
	for i, ob := range logs {
		fs := FileStatus{Path: ob.Path}
		var exps []expectation
		if listed {
			k := ob.Root + "|" + ob.Rel
			present[k] = true
			if errs[i] == nil {
				fs.SHA256 = hex.EncodeToString(hashes[i].sum[:])
			}
			exps = expected[k]
		}
		switch {
		case len(exps) == 0:
			ar := acctRegion{ob.Root, ob.Place.Account, ob.Place.Region}
			end, any := newestEnd[ar]
			gone := v.goneAt(ob)
			switch {
			case gone != nil:
				fs.Status = StatusNotCovered
				v.add(NotCovered, ob.Path, "cannot be verified: the digest for its hour is missing (%s)", gone.digest)
			case !any:
				// One finding per account and region, not one per file: a
				// trail without validation would list every file.
				fs.Status = StatusNotCovered
				if !noDigests[ar] {
					noDigests[ar] = true
					v.add(NotCovered, ob.Path, "no digest file for account %s in %s is in the store, so none of its log files (this is the first) can be verified: log file validation off, or digests not copied", ob.Place.Account, ob.Place.Region)
				}
			case !ob.Place.Delivered.Before(end.Truncate(time.Minute)):
				if v.ref.Sub(ob.Place.Delivered) < notYetWindow {
					fs.Status = StatusNotCoveredYet
					v.add(NotCoveredYet, ob.Path, "delivered %s, after the newest digest (ends %s): CloudTrail delivers the hour's digest later", stamp(ob.Place.Delivered), stamp(end))
				} else {
					fs.Status = StatusNotCovered
					v.add(NotCovered, ob.Path, "delivered %s, after the newest digest in the store (ends %s), and more than two hours before it was read: its digest is missing", stamp(ob.Place.Delivered), stamp(end))
				}
			case ob.Place.Delivered.Before(oldestStart[ar].Truncate(time.Minute)):
				fs.Status = StatusNotCovered
				v.add(NotCovered, ob.Path, "delivered %s, before the first digest in the store (starts %s): it cannot be verified", stamp(ob.Place.Delivered), stamp(oldestStart[ar]))
			default:
				fs.Status = StatusExtra
				v.add(Extra, ob.Path, "in no digest, although digests cover its delivery time %s: CloudTrail did not deliver it", stamp(ob.Place.Delivered))
			}
		case errs[i] != nil:
			fs.Status = StatusChanged
			fs.Digest = exps[0].digest.obj.Path
			v.add(Changed, ob.Path, "unreadable as a CloudTrail log file: %v", errs[i])
		case hashes[i].trailing > 0:
			fs.Status = StatusChanged
			fs.Digest = exps[0].digest.obj.Path
			v.add(Changed, ob.Path, "%d bytes were appended after the gzip member CloudTrail wrote (gzip readers, DuckDB and Athena read them as more records)", hashes[i].trailing)
		default:
			var match *expectation
			for j := range exps {
				if exps[j].hash == fs.SHA256 && (match == nil || (!match.digest.status.trusted && exps[j].digest.status.trusted)) {
					match = &exps[j]
				}
			}
			if match == nil {
				fs.Status = StatusChanged
				fs.Digest = exps[0].digest.obj.Path
				v.add(Changed, ob.Path, "content hashes to %s; digest %s lists %s", fs.SHA256, path.Base(exps[0].digest.obj.Rel), exps[0].hash)
				break
			}
			fs.Digest = match.digest.obj.Path
			switch {
			case !match.digest.status.trusted:
				fs.Status = StatusBadDigest
			case strings.HasPrefix(match.digest.status.Signature, "verified"):
				fs.Status = StatusVerified
			default:
				fs.Status = StatusHashOK
			}
		}
		files[i] = fs
	}
	v.r.Files = files
	var missing []string
	for k, exps := range expected {
		if present[k] {
			continue
		}
		rel := k[strings.Index(k, "|")+1:]
		pl, ok := ParsePlace(rel)
		if !ok || pl.Day.Before(v.logFrom) || pl.Day.After(v.logTo) {
			continue // outside the days examined
		}
		missing = append(missing, k)
		_ = exps
	}
	sort.Strings(missing)
	for _, k := range missing {
		root, rel := k[:strings.Index(k, "|")], k[strings.Index(k, "|")+1:]
		v.add(Missing, joinPath(root, rel), "log file missing: digest %s lists it", path.Base(expected[k][0].digest.obj.Rel))
	}
	return nil
}

// byPath sorts log files by path, with the hashes read beside them (pre,
// when the engine read the files) in the same order.
type byPath struct {
	logs []Object
	pre  [][]byte
}

func (b byPath) Len() int           { return len(b.logs) }
func (b byPath) Less(i, j int) bool { return b.logs[i].Path < b.logs[j].Path }
func (b byPath) Swap(i, j int) {
	b.logs[i], b.logs[j] = b.logs[j], b.logs[i]
	if b.pre != nil {
		b.pre[i], b.pre[j] = b.pre[j], b.pre[i]
	}
}
