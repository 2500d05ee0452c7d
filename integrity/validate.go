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
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/internal/par"
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
	r := &Report{Store: st.Name(), Since: o.Since, Until: o.Until, FirstDay: logFrom, LastDay: logTo}
	var logs logList
	var digests []*digestFile
	newest := time.Time{}
	add := func(ob Object) error {
		if ob.Place.Delivered.After(newest) {
			newest = ob.Place.Delivered
		}
		if ob.Place.Digest {
			digests = append(digests, &digestFile{obj: ob})
			return nil
		}
		if ob.Place.Day.After(logTo) {
			return nil // the next day's folder is listed for its digests
		}
		if o.Read != nil {
			if _, read := o.Read(ob.Path); !read {
				return nil // only the files the engine read are checked
			}
		}
		logs.add(ob)
		return nil
	}
	if w, ok := st.(Walker); ok {
		if err := w.Walk(ctx, logFrom, digTo, add); err != nil {
			return nil, err
		}
	} else {
		objs, err := st.List(ctx, logFrom, digTo)
		if err != nil {
			return nil, err
		}
		for _, ob := range objs {
			add(ob)
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
	par.For(ctx, workers, len(digests), func(_, i int) {
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
	if err := v.logs(ctx, st, &logs, digests, workers); err != nil {
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

// goneAt is the missing digest hour, if any, that a log file of folder at
// delivered then would be listed in.
func (v *validation) goneAt(at acctRegion, delivered time.Time) *goneSpan {
	for i := range v.gone {
		g := &v.gone[i]
		if g.root == at.root && g.account == at.account && g.region == at.region && !delivered.Before(g.from.Truncate(time.Minute)) && delivered.Before(g.to) {
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

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
