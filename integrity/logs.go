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
func (v *validation) logs(ctx context.Context, st Store, logs *logList, digests []*digestFile, workers int) error {
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
	sort.Sort(byPath(logs.files))
	// wants reports whether hash h is one a digest lists for the file.
	wants := func(key, h string) bool {
		for _, e := range expected[key] {
			if e.hash == h {
				return true
			}
		}
		return false
	}
	n := len(logs.files)
	files := make([]FileStatus, n)
	// With no digest listing any file (a copy without CloudTrail-Digest/),
	// no file is hashed, and none can be missing: the hashes, errors and
	// the set of files present are not needed.
	listed := len(expected) > 0
	var hashes []contentHash
	var errs []error
	if listed {
		hashes = make([]contentHash, n)
		errs = make([]error, n)
	}
	var mu sync.Mutex
	done := 0
	par.For(ctx, workers, n, func(_, i int) {
		if v.o.Progress != nil {
			defer func() {
				mu.Lock()
				done++
				v.o.Progress(done, n)
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
		f := &logs.files[i]
		// The engine's hash is looked up again here rather than kept
		// beside each file from the walk on: a folder that no digest
		// lists never gets this far.
		if v.o.Read != nil {
			if pre, _ := v.o.Read(f.path); len(pre) == 32 && wants(logs.key(f), hex.EncodeToString(pre)) {
				// The reader's hash of the whole content matches: no byte
				// follows the member CloudTrail wrote either.
				copy(hashes[i].sum[:], pre)
				return
			}
		}
		rc, err := st.OpenLog(ctx, logs.object(f))
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
	for i := range logs.files {
		f := &logs.files[i]
		at := logs.places[f.at]
		delivered := time.Unix(0, f.delivered).UTC()
		fs := FileStatus{Path: f.path}
		var exps []expectation
		if listed {
			k := logs.key(f)
			present[k] = true
			if errs[i] == nil {
				fs.SHA256 = hex.EncodeToString(hashes[i].sum[:])
			}
			exps = expected[k]
		}
		switch {
		case len(exps) == 0:
			end, any := newestEnd[at]
			gone := v.goneAt(at, delivered)
			switch {
			case gone != nil:
				fs.Status = StatusNotCovered
				v.add(NotCovered, f.path, "cannot be verified: the digest for its hour is missing (%s)", gone.digest)
			case !any:
				// One finding per account and region, not one per file: a
				// trail without validation would list every file.
				fs.Status = StatusNotCovered
				if !noDigests[at] {
					noDigests[at] = true
					v.add(NotCovered, f.path, "no digest file for account %s in %s is in the store, so none of its log files (this is the first) can be verified: log file validation off, or digests not copied", at.account, at.region)
				}
			case !delivered.Before(end.Truncate(time.Minute)):
				if v.ref.Sub(delivered) < notYetWindow {
					fs.Status = StatusNotCoveredYet
					v.add(NotCoveredYet, f.path, "delivered %s, after the newest digest (ends %s): CloudTrail delivers the hour's digest later", stamp(delivered), stamp(end))
				} else {
					fs.Status = StatusNotCovered
					v.add(NotCovered, f.path, "delivered %s, after the newest digest in the store (ends %s), and more than two hours before it was read: its digest is missing", stamp(delivered), stamp(end))
				}
			case delivered.Before(oldestStart[at].Truncate(time.Minute)):
				fs.Status = StatusNotCovered
				v.add(NotCovered, f.path, "delivered %s, before the first digest in the store (starts %s): it cannot be verified", stamp(delivered), stamp(oldestStart[at]))
			default:
				fs.Status = StatusExtra
				v.add(Extra, f.path, "in no digest, although digests cover its delivery time %s: CloudTrail did not deliver it", stamp(delivered))
			}
		case errs[i] != nil:
			fs.Status = StatusChanged
			fs.Digest = exps[0].digest.obj.Path
			v.add(Changed, f.path, "unreadable as a CloudTrail log file: %v", errs[i])
		case hashes[i].trailing > 0:
			fs.Status = StatusChanged
			fs.Digest = exps[0].digest.obj.Path
			v.add(Changed, f.path, "%d bytes were appended after the gzip member CloudTrail wrote (gzip readers, DuckDB and Athena read them as more records)", hashes[i].trailing)
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
				v.add(Changed, f.path, "content hashes to %s; digest %s lists %s", fs.SHA256, path.Base(exps[0].digest.obj.Rel), exps[0].hash)
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

// acctRegion is a log file's trail folder: its root, account and region.
type acctRegion struct{ root, account, region string }

// logFile is one log file as the check keeps it: 48 bytes, where an Object
// is 200 (a 30-day folder's 149,182 files were 34 MB of Objects while the
// command's rows were held for its report).
type logFile struct {
	path, rel string
	at        int32 // in logList.places
	delivered int64 // Place.Delivered, Unix nanoseconds
}

// logList is the log files to check, their folders shared.
type logList struct {
	files  []logFile
	places []acctRegion
	index  map[acctRegion]int32
}

func (l *logList) add(ob Object) {
	k := acctRegion{ob.Root, ob.Place.Account, ob.Place.Region}
	at, ok := l.index[k]
	if !ok {
		if l.index == nil {
			l.index = map[acctRegion]int32{}
		}
		at = int32(len(l.places))
		l.places = append(l.places, k)
		l.index[k] = at
	}
	l.files = append(l.files, logFile{path: ob.Path, rel: ob.Rel, at: at, delivered: ob.Place.Delivered.UnixNano()})
}

// key is the file's key in the digests' lists: root|rel.
func (l *logList) key(f *logFile) string { return l.places[f.at].root + "|" + f.rel }

// object is the file as its Store lists it.
func (l *logList) object(f *logFile) Object {
	pl, _ := ParsePlace(f.rel)
	return Object{Root: l.places[f.at].root, Rel: f.rel, Path: f.path, Place: pl}
}

// byPath sorts log files by path.
type byPath []logFile

func (b byPath) Len() int           { return len(b) }
func (b byPath) Less(i, j int) bool { return b[i].path < b[j].path }
func (b byPath) Swap(i, j int)      { b[i], b[j] = b[j], b[i] }
