package integrity

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is what a finding says of a file.
type Kind string

// The kinds of findings. Every kind fails the validation except
// NotCoveredYet (CloudTrail has not delivered the hour's digest yet) and Gap
// (CloudTrail itself restarted the chain).
const (
	Changed       Kind = "changed"
	Missing       Kind = "missing"
	Extra         Kind = "extra"
	NotCoveredYet Kind = "not covered yet"
	NotCovered    Kind = "not covered"
	ChainBreak    Kind = "chain break"
	BadSignature  Kind = "bad signature"
	UnknownKey    Kind = "unknown key"
	Gap           Kind = "gap"
)

// Fails says whether a finding of kind k fails the validation.
func (k Kind) Fails() bool { return k != NotCoveredYet && k != Gap }

// Finding is one problem, with the file it is about.
type Finding struct {
	Kind   Kind   `json:"kind"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

// File statuses.
const (
	StatusVerified      = "verified" // hash matches a digest whose signature verifies
	StatusHashOK        = "hash ok, signature not checked"
	StatusChanged       = "changed"
	StatusExtra         = "extra" // in no digest although one covers its hour
	StatusNotCoveredYet = "not covered yet"
	StatusNotCovered    = "not covered"
	StatusBadDigest     = "listed only by a digest that failed validation"
)

// FileStatus is one log file's outcome.
type FileStatus struct {
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the file's uncompressed content (what
	// CloudTrail hashes); empty if unreadable.
	SHA256 string `json:"sha256"`
	Status string `json:"status"`
	// Digest is the digest that lists it.
	Digest string `json:"digest,omitempty"`
}

// DigestStatus is one digest file's outcome.
type DigestStatus struct {
	Path                   string    `json:"path"`
	Account, Region, Trail string    `json:"-"`
	Backfill               bool      `json:"backfill"`
	Start                  time.Time `json:"start"`
	End                    time.Time `json:"end"`
	Fingerprint            string    `json:"fingerprint"`
	// Signature is "verified", "verified (signature from the next digest)",
	// "not checked: …" or the failure.
	Signature string `json:"signature"`
	trusted   bool
}

// Chain is the span of one account/region/trail digest chain.
type Chain struct {
	Root, Account, Region, Trail string
	From, To                     time.Time
	Digests                      int
	Broken                       bool
}

// KeyUse is how many digests one key signed, and when.
type KeyUse struct {
	Fingerprint string
	Digests     int
	First, Last time.Time
}

// Options are a validation's inputs.
type Options struct {
	// Since and Until are the window. Log files in the window's day
	// folders padded by a day on each side are checked (the partitions the
	// queries read), with the digests that cover them.
	Since, Until time.Time
	// Days, if set, are the log day folders to check instead (the
	// partitions an investigation read).
	Days [2]time.Time
	// Keys verify signatures; nil means signatures are not checked, and
	// NoKeysWhy says why.
	Keys      *Keys
	NoKeysWhy string
	// Reference is the time the store was read at (now on S3; the copy's
	// collection time): files delivered less than two hours before it may
	// not have a digest yet. Zero: the newest file's delivery time.
	Reference time.Time
	Workers   int
	// Read, if set, says which log files were read (only those are checked)
	// and gives the SHA-256 the reader computed of a file's whole inflated
	// content (nil: hash it here). A file whose hash differs from its
	// digest's is read again here, to say what changed.
	Read func(path string) (sha256 []byte, read bool)
	// Progress, if set, is called as log files are checked.
	Progress func(done, total int)
}

// Report is a validation's outcome.
type Report struct {
	Store             string
	Since, Until      time.Time
	FirstDay, LastDay time.Time // the log day folders checked
	Digests           []DigestStatus
	Files             []FileStatus
	Findings          []Finding
	Chains            []Chain
	Keys              []KeyUse
	SignaturesChecked bool
	// SignatureNote says why some or all signatures were not checked.
	SignatureNote string
}

// OK is true when no finding fails.
func (r *Report) OK() bool {
	for _, f := range r.Findings {
		if f.Kind.Fails() {
			return false
		}
	}
	return true
}

type digestFile struct {
	obj       Object
	d         *Digest
	sum       [32]byte // of the uncompressed content
	sig       *Signature
	recovered bool
	status    *DigestStatus
	failed    bool // changed, bad or unknown signature, unparsable
	err       error
}

const notYetWindow = 2 * time.Hour

// Validate checks the trail in st over o's window.
func Validate(ctx context.Context, st Store, o Options) (*Report, error) {
	if !o.Until.After(o.Since) {
		return nil, errors.New("validate: the window is empty (until is not after since)")
	}
	day := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	logFrom, logTo := day(o.Since).AddDate(0, 0, -1), day(o.Until).AddDate(0, 0, 1)
	if !o.Days[0].IsZero() {
		logFrom, logTo = day(o.Days[0]), day(o.Days[1])
	}
	// A day's last digest ends in the next day's folder.
	digTo := logTo.AddDate(0, 0, 1)
	objs, err := st.List(ctx, logFrom, digTo)
	if err != nil {
		return nil, err
	}
	r := &Report{Store: st.Name(), Since: o.Since, Until: o.Until, FirstDay: logFrom, LastDay: logTo}
	var logs []Object
	var digests []*digestFile
	newest := time.Time{}
	for _, ob := range objs {
		if ob.Place.Delivered.After(newest) {
			newest = ob.Place.Delivered
		}
		if ob.Place.Digest {
			digests = append(digests, &digestFile{obj: ob})
		} else if !ob.Place.Day.After(logTo) {
			logs = append(logs, ob)
		}
	}
	ref := o.Reference
	if ref.IsZero() {
		ref = newest
	}
	workers := o.Workers
	if workers <= 0 {
		// Reading files waits on the disk or the network as much as it
		// inflates: twice the cores keeps them busy.
		workers = 2 * runtime.NumCPU()
	}
	parallel(ctx, workers, len(digests), func(i int) {
		df := digests[i]
		raw, sig, err := st.ReadDigest(ctx, df.obj)
		if err != nil {
			df.err = err
			return
		}
		df.sig = sig
		ch, err := hashContent(bytes.NewReader(raw), true)
		if err != nil {
			df.err = err
			return
		}
		df.sum = ch.sum
		if ch.trailing > 0 {
			df.err = fmt.Errorf("%d bytes follow the digest's gzip member", ch.trailing)
		}
		d, err := ParseDigest(ch.data)
		if err != nil {
			df.err = err
			return
		}
		df.d = d
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	v := &validation{r: r, o: o, ref: ref, logFrom: logFrom, logTo: logTo, digTo: digTo,
		byRel: map[string]*digestFile{}, successors: map[string][]*digestFile{}}
	sort.Slice(digests, func(i, j int) bool {
		a, b := digests[i].obj.Place.Delivered, digests[j].obj.Place.Delivered
		if !a.Equal(b) {
			return a.Before(b)
		}
		return digests[i].obj.Path < digests[j].obj.Path
	})
	for _, df := range digests {
		v.byRel[df.obj.Root+"|"+df.obj.Rel] = df
	}
	for _, df := range digests {
		if df.d != nil && df.d.PreviousS3Object != nil {
			k := df.obj.Root + "|" + Rel(*df.d.PreviousS3Object)
			v.successors[k] = append(v.successors[k], df)
		}
	}
	v.signatures(digests)
	v.chains(digests)
	if err := v.logs(ctx, st, logs, digests, workers); err != nil {
		return nil, err
	}
	for _, df := range digests {
		r.Digests = append(r.Digests, *df.status)
	}
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Path < r.Findings[j].Path })
	return r, nil
}

type validation struct {
	r                     *Report
	o                     Options
	ref                   time.Time
	logFrom, logTo, digTo time.Time
	byRel                 map[string]*digestFile
	successors            map[string][]*digestFile
	// gone are the hours of digests found missing, so the log files they
	// listed are named as such rather than as extra.
	gone []goneSpan
}

type goneSpan struct {
	root, account, region string
	from, to              time.Time
	digest                string
}

func (v *validation) goneAt(ob Object) *goneSpan {
	for i := range v.gone {
		g := &v.gone[i]
		if g.root == ob.Root && g.account == ob.Place.Account && g.region == ob.Place.Region && !ob.Place.Delivered.Before(g.from.Truncate(time.Minute)) && ob.Place.Delivered.Before(g.to) {
			return g
		}
	}
	return nil
}

func (v *validation) lost(df *digestFile, from, to time.Time, digest string) {
	v.gone = append(v.gone, goneSpan{root: df.obj.Root, account: df.obj.Place.Account, region: df.obj.Place.Region, from: from, to: to, digest: digest})
}

func (v *validation) add(k Kind, p, format string, a ...any) {
	v.r.Findings = append(v.r.Findings, Finding{Kind: k, Path: p, Detail: fmt.Sprintf(format, a...)})
}

func joinPath(root, rel string) string {
	if strings.HasPrefix(root, "s3://") {
		return root + "/" + rel
	}
	return fromSlash(root + "/" + rel)
}

// signatures verifies each digest's signature and where it says it was
// delivered.
func (v *validation) signatures(digests []*digestFile) {
	keys := v.o.Keys
	v.r.SignaturesChecked = keys != nil
	if keys == nil {
		v.r.SignatureNote = v.o.NoKeysWhy
		if v.r.SignatureNote == "" {
			v.r.SignatureNote = "no public keys were given"
		}
	}
	uses := map[string]*KeyUse{}
	unsigned := 0
	for _, df := range digests {
		pl := df.obj.Place
		st := &DigestStatus{Path: df.obj.Path, Account: pl.Account, Region: pl.Region, Trail: pl.Trail, Backfill: pl.Backfill}
		df.status = st
		if df.err != nil && df.d == nil {
			df.failed = true
			st.Signature = "not checked: unreadable"
			v.add(Changed, df.obj.Path, "digest file unreadable: %v", df.err)
			continue
		}
		d := df.d
		st.Start, _ = d.Start()
		st.End, _ = d.End()
		st.Fingerprint = d.Fingerprint
		if df.err != nil {
			df.failed = true
			v.add(Changed, df.obj.Path, "digest file altered: %v", df.err)
		}
		// Where the digest says CloudTrail delivered it.
		if Rel(d.S3Object) != df.obj.Rel || (df.sig != nil && df.sig.Bucket != "" && (df.sig.Bucket != d.S3Bucket || df.sig.Key != d.S3Object)) {
			df.failed = true
			v.add(Changed, df.obj.Path, "digest says it was delivered to s3://%s/%s: it is not where CloudTrail put it", d.S3Bucket, d.S3Object)
		}
		if pl.Backfill && df.sig != nil && df.sig.BackfillGenerated == "" && df.sig.Bucket != "" {
			// Metadata was read but lacks the backfill timestamp CloudTrail sets.
			v.add(Changed, df.obj.Path, "backfill digest without the backfill-generation-timestamp metadata CloudTrail sets")
			df.failed = true
		}
		sig := df.sig
		if sig == nil {
			// An s3 sync copy drops object metadata, but the next digest in
			// the chain holds this one's signature.
			if succ := v.successors[df.obj.Root+"|"+df.obj.Rel]; len(succ) == 1 && succ[0].d != nil && succ[0].d.PreviousSignature != nil {
				sig = &Signature{Hex: *succ[0].d.PreviousSignature, Algorithm: d.SignatureAlgorithm}
				df.recovered = true
			}
		}
		switch {
		case sig != nil && sig.Hex == "":
			df.failed = true
			st.Signature = "bad: no signature"
			v.add(BadSignature, df.obj.Path, "the object has no x-amz-meta-signature metadata, which CloudTrail always sets")
		case sig == nil:
			unsigned++
			st.Signature = "not checked: the copy holds no signature for it (S3 metadata not copied) and no later digest names it"
		case keys == nil:
			st.Signature = "not checked: " + v.r.SignatureNote
		default:
			if d.SignatureAlgorithm != SignatureAlgorithm || (sig.Algorithm != "" && sig.Algorithm != SignatureAlgorithm) {
				df.failed = true
				st.Signature = "bad: algorithm " + d.SignatureAlgorithm
				v.add(BadSignature, df.obj.Path, "signature algorithm %q, not %s", d.SignatureAlgorithm, SignatureAlgorithm)
				break
			}
			pk := keys.Lookup(d.Fingerprint)
			if pk == nil {
				df.failed = true
				st.Signature = "unknown key " + d.Fingerprint
				v.add(UnknownKey, df.obj.Path, "signed with key %s, which is not among CloudTrail's public keys (%s)", d.Fingerprint, keys.Source)
				break
			}
			sigBytes, err := hex.DecodeString(sig.Hex)
			if err == nil {
				sum := sha256.Sum256([]byte(stringToSignSum(d, df.sum)))
				err = rsa.VerifyPKCS1v15(pk.Key, crypto.SHA256, sum[:], sigBytes)
			}
			if err != nil {
				df.failed = true
				st.Signature = "bad"
				from := "its S3 metadata"
				if df.recovered {
					from = "the next digest"
				}
				v.add(BadSignature, df.obj.Path, "signature (from %s) does not verify with key %s: the digest was altered or not signed by CloudTrail", from, d.Fingerprint)
				break
			}
			df.status.trusted = !df.failed
			st.Signature = "verified"
			if df.recovered {
				st.Signature = "verified (signature from the next digest)"
			}
			u := uses[pk.Fingerprint]
			if u == nil {
				u = &KeyUse{Fingerprint: pk.Fingerprint, First: st.End, Last: st.End}
				uses[pk.Fingerprint] = u
			}
			u.Digests++
			if st.End.Before(u.First) {
				u.First = st.End
			}
			if st.End.After(u.Last) {
				u.Last = st.End
			}
		}
		if keys == nil || sig == nil {
			df.status.trusted = !df.failed
		}
	}
	for _, u := range uses {
		v.r.Keys = append(v.r.Keys, *u)
	}
	sort.Slice(v.r.Keys, func(i, j int) bool { return v.r.Keys[i].First.Before(v.r.Keys[j].First) })
	if keys != nil && unsigned > 0 {
		v.r.SignatureNote = fmt.Sprintf("%d digest(s) have no signature in the copy (S3 metadata not copied, and no later digest names them): their signatures were not checked", unsigned)
	}
}

// stringToSignSum is StringToSign from the content's hash.
func stringToSignSum(d *Digest, sum [32]byte) string {
	prev := "null"
	if d.PreviousSignature != nil {
		prev = *d.PreviousSignature
	}
	return d.EndTime + "\n" + d.S3Bucket + "/" + d.S3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
}

// chains checks every digest's link to the one before it, per root,
// account, region and trail (backfill digests chain apart).
func (v *validation) chains(digests []*digestFile) {
	streams := map[string][]*digestFile{}
	var order []string
	for _, df := range digests {
		if df.d == nil {
			continue
		}
		pl := df.obj.Place
		k := strings.Join([]string{df.obj.Root, pl.Account, pl.Region, pl.Trail, fmt.Sprint(pl.Backfill)}, "|")
		if _, ok := streams[k]; !ok {
			order = append(order, k)
		}
		streams[k] = append(streams[k], df)
	}
	sort.Strings(order)
	for _, k := range order {
		ds := streams[k]
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].status.End.Before(ds[j].status.End) })
		first := ds[0]
		pl := first.obj.Place
		ch := Chain{Root: first.obj.Root, Account: pl.Account, Region: pl.Region, Trail: pl.Trail, From: first.status.Start, To: ds[len(ds)-1].status.End, Digests: len(ds)}
		before := len(v.r.Findings)
		for i, df := range ds {
			v.link(df, ds, i)
		}
		if !pl.Backfill {
			v.successorsOf(ds)
		}
		for _, f := range v.r.Findings[before:] {
			if f.Kind.Fails() {
				ch.Broken = true
			}
		}
		if !pl.Backfill {
			v.r.Chains = append(v.r.Chains, ch)
		}
	}
}

// link checks df's previous-digest fields against that digest.
func (v *validation) link(df *digestFile, ds []*digestFile, i int) {
	d := df.d
	if d.PreviousS3Object == nil || *d.PreviousS3Object == "" {
		if i > 0 && !df.obj.Place.Backfill {
			p := ds[i-1]
			v.add(Gap, df.obj.Path, "CloudTrail started a new digest chain here: no digest covers %s to %s (logging or log file validation was off, or the trail changed)", stamp(p.status.End), stamp(df.status.Start))
		}
		return
	}
	prevRel := Rel(*d.PreviousS3Object)
	prevPath := joinPath(df.obj.Root, prevRel)
	p := v.byRel[df.obj.Root+"|"+prevRel]
	if p == nil {
		pl, ok := ParsePlace(prevRel)
		if ok && pl.Day.Before(v.logFrom) {
			return // before the days examined
		}
		v.add(Missing, prevPath, "digest missing: %s names it as the previous digest", path.Base(df.obj.Rel))
		v.lost(df, df.status.Start.Add(-time.Hour), df.status.Start, prevPath)
		return
	}
	if len(v.successors[p.obj.Root+"|"+p.obj.Rel]) > 1 && v.successors[p.obj.Root+"|"+p.obj.Rel][0] != df {
		v.add(ChainBreak, df.obj.Path, "a second digest names %s as its previous digest", path.Base(p.obj.Rel))
	}
	if p.d == nil {
		return // reported as unreadable
	}
	got := hex.EncodeToString(p.sum[:])
	if d.PreviousHash == nil || !strings.EqualFold(*d.PreviousHash, got) {
		want := "none"
		if d.PreviousHash != nil {
			want = *d.PreviousHash
		}
		v.add(ChainBreak, df.obj.Path, "names %s as previous digest with hash %s, but that file's content hashes to %s", path.Base(p.obj.Rel), want, got)
	}
	if d.PreviousHashAlg != nil && *d.PreviousHashAlg != "SHA-256" {
		v.add(ChainBreak, df.obj.Path, "previous digest hash algorithm %q, not SHA-256", *d.PreviousHashAlg)
	}
	if p.sig != nil && d.PreviousSignature != nil && !strings.EqualFold(*d.PreviousSignature, p.sig.Hex) {
		v.add(ChainBreak, df.obj.Path, "the previous digest's signature it records differs from the signature of %s", path.Base(p.obj.Rel))
	}
	if !df.obj.Place.Backfill && !df.status.Start.Equal(p.status.End) {
		v.add(ChainBreak, df.obj.Path, "starts at %s but the previous digest %s ends at %s", stamp(df.status.Start), path.Base(p.obj.Rel), stamp(p.status.End))
	}
}

// successorsOf finds digests nothing names as previous although later ones
// exist (deleted digests no remaining file names), and a chain that stops
// early.
func (v *validation) successorsOf(ds []*digestFile) {
	for i, df := range ds {
		if len(v.successors[df.obj.Root+"|"+df.obj.Rel]) > 0 {
			continue
		}
		if i == len(ds)-1 {
			// The newest digest: CloudTrail delivers one every hour, so a
			// chain that ends well before the store was read lost its end.
			end := v.digTo.AddDate(0, 0, 1)
			if v.ref.Before(end) {
				end = v.ref
			}
			if end.Sub(df.status.End) > notYetWindow {
				p := v.predicted(df, df.status.End.Add(time.Hour))
				v.lost(df, df.status.End, end, p)
				v.add(Missing, p, "digest missing (inferred): nothing follows %s, which ended %s, although CloudTrail delivers a digest every hour until %s (digests deleted, or logging or validation stopped then)", path.Base(df.obj.Rel), stamp(df.status.End), stamp(end))
			}
			continue
		}
		next := ds[i+1]
		if next.d.PreviousS3Object == nil {
			continue // a new chain: reported as a gap
		}
		named := v.byRel[next.obj.Root+"|"+Rel(*next.d.PreviousS3Object)]
		if named != nil {
			v.add(ChainBreak, df.obj.Path, "not in the chain: the next digest %s names %s as its previous digest", path.Base(next.obj.Rel), path.Base(named.obj.Rel))
			continue
		}
		// next names a missing digest (reported); the hours between this one
		// and it are gone too.
		namedPl, ok := ParsePlace(Rel(*next.d.PreviousS3Object))
		if !ok {
			continue
		}
		for t := df.status.End.Add(time.Hour); namedPl.Delivered.Sub(t) > 30*time.Minute; t = t.Add(time.Hour) {
			p := v.predicted(df, t)
			v.lost(df, t.Add(-time.Hour), t, p)
			v.add(Missing, p, "digest missing (inferred): nothing names %s as its previous digest, and %s names %s, so the digest for the hour ending about %s is gone too", path.Base(df.obj.Rel), path.Base(next.obj.Rel), path.Base(namedPl.Name), stamp(t))
		}
	}
}

// predicted is the path CloudTrail would give df's successor ending at t.
func (v *validation) predicted(df *digestFile, t time.Time) string {
	pl := df.obj.Place
	suffix := ".json.gz"
	name := fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s%s", pl.Account, pl.Region, pl.Trail, t.UTC().Format("20060102T150405Z"), suffix)
	dir := path.Dir(path.Dir(path.Dir(path.Dir(df.obj.Rel))))
	return joinPath(df.obj.Root, dir+"/"+t.UTC().Format("2006/01/02")+"/"+name)
}

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
	idx := make([]int, len(logs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return logs[idx[i]].Path < logs[idx[j]].Path })
	sorted := make([]Object, len(logs))
	var sortedPre [][]byte
	for i, j := range idx {
		sorted[i] = logs[j]
		if pre != nil {
			sortedPre = append(sortedPre, pre[j])
		}
	}
	logs, pre = sorted, sortedPre
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
	hashes := make([]contentHash, len(logs))
	errs := make([]error, len(logs))
	var mu sync.Mutex
	done := 0
	parallel(ctx, workers, len(logs), func(i int) {
		if v.o.Progress != nil {
			defer func() {
				mu.Lock()
				done++
				v.o.Progress(done, len(logs))
				mu.Unlock()
			}()
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
		k := ob.Root + "|" + ob.Rel
		present[k] = true
		fs := FileStatus{Path: ob.Path}
		if errs[i] == nil {
			fs.SHA256 = hex.EncodeToString(hashes[i].sum[:])
		}
		exps := expected[k]
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

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// parallel runs fn(0..n-1) on workers goroutines.
func parallel(ctx context.Context, workers, n int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
