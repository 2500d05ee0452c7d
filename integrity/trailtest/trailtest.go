// Package trailtest writes small CloudTrail trails with signed digest files
// in AWS's documented format, signed by keys made for the test, so the
// integrity checks (and collect, and the CLI) can be tested against files
// whose every byte is known. It is test support: nothing in the tool uses it.
package trailtest

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/integrity"
)

// Object is one file of the trail as S3 holds it.
type Object struct {
	Key  string
	Body []byte
	// Meta is the object's user metadata (names without x-amz-meta-).
	Meta map[string]string
}

// Key is a signing key and the public key CloudTrail would publish for it.
type Key struct {
	Private *rsa.PrivateKey
	Public  integrity.PublicKey
}

// NewKey makes a 2048-bit key valid over [from, until).
func NewKey(from, until time.Time) (*Key, error) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der := x509.MarshalPKCS1PublicKey(&pk.PublicKey)
	return &Key{Private: pk, Public: integrity.PublicKey{Fingerprint: integrity.Fingerprint(der), DER: der, Key: &pk.PublicKey, ValidFrom: from, ValidUntil: until}}, nil
}

// Trail describes what to generate.
type Trail struct {
	Bucket, Prefix, OrgID, Name, HomeRegion string
	Accounts, Regions                       []string
	// Start is the first digest's start; each digest covers one hour.
	Start        time.Time
	Hours        int
	FilesPerHour int
	// Keys sign the digests: Keys[0] before RotateAt, Keys[1] from it.
	Keys     []*Key
	RotateAt time.Time
	// Backfill, if not zero, adds one log file delivered late for the hour
	// starting at Backfill, listed by a backfill digest (of the first
	// account and region) generated at BackfillAt.
	Backfill, BackfillAt time.Time
	// WrongPrevHash lists digest keys whose previousDigestHashValue is
	// written wrong (but signed).
	WrongPrevHash map[string]bool
}

// Built is a generated trail.
type Built struct {
	Objects []Object
	Digests []string // keys, in chain order per account/region
	Logs    []string
}

func (t *Trail) base(account string) string {
	b := "AWSLogs/"
	if t.OrgID != "" {
		b += t.OrgID + "/"
	}
	b += account + "/"
	if t.Prefix != "" {
		b = t.Prefix + "/" + b
	}
	return b
}

// LogKey is the key of a log file delivered at at.
func (t *Trail) LogKey(account, region string, at time.Time, unique string) string {
	return fmt.Sprintf("%sCloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", t.base(account), region, at.UTC().Format("2006/01/02"), account, region, at.UTC().Format("20060102T1504Z"), unique)
}

// DigestKey is the key of the digest ending at end.
func (t *Trail) DigestKey(account, region string, end time.Time, backfill bool) string {
	suffix := ""
	if backfill {
		suffix = "_backfill"
	}
	return fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s%s.json.gz", t.base(account), region, end.UTC().Format("2006/01/02"), account, region, t.Name, t.HomeRegion, end.UTC().Format("20060102T150405Z"), suffix)
}

func (t *Trail) key(end time.Time) *Key {
	if len(t.Keys) > 1 && !end.Before(t.RotateAt) {
		return t.Keys[1]
	}
	return t.Keys[0]
}

// Gzip compresses b as one gzip member.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Records is a log file's JSON with n S3 read events at at.
func Records(account, region string, at time.Time, seq int) []byte {
	var recs []map[string]any
	for i := 0; i < 2; i++ {
		recs = append(recs, map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::" + account + ":user/reader", "accountId": account, "userName": "reader"},
			"eventTime":    at.Add(-time.Duration(i+1) * time.Minute).UTC().Format(time.RFC3339),
			"eventSource":  "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": region,
			"sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15",
			"requestParameters":   map[string]any{"bucketName": "payroll-exports", "key": fmt.Sprintf("exports/%d-%d.csv", seq, i)},
			"additionalEventData": map[string]any{"bytesTransferredOut": 1000},
			"eventID":             fmt.Sprintf("%08x-0000-4000-8000-%012d", seq, i),
			"readOnly":            true, "eventType": "AwsApiCall", "managementEvent": false,
			"recipientAccountId": account, "eventCategory": "Data",
			"resources": []any{map[string]any{"type": "AWS::S3::Object", "ARN": fmt.Sprintf("arn:aws:s3:::payroll-exports/exports/%d-%d.csv", seq, i)}},
		})
	}
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type digestIn struct {
	account, region string
	start, end      time.Time
	logs            []integrity.LogFile
	backfill        bool
	generated       time.Time
}

// Build generates every file.
func (t *Trail) Build() (*Built, error) {
	if t.HomeRegion == "" {
		t.HomeRegion = "us-east-1"
	}
	if t.Name == "" {
		t.Name = "org-trail"
	}
	out := &Built{}
	seq := 0
	for _, acct := range t.Accounts {
		for _, region := range t.Regions {
			var prev *integrity.Digest
			var prevSig string
			var prevRaw []byte
			for h := 0; h < t.Hours; h++ {
				start := t.Start.Add(time.Duration(h) * time.Hour)
				end := start.Add(time.Hour)
				in := digestIn{account: acct, region: region, start: start, end: end}
				for f := 0; f < t.FilesPerHour; f++ {
					at := start.Truncate(time.Minute).Add(time.Duration(5+f*7) * time.Minute)
					seq++
					raw := Records(acct, region, at, seq)
					key := t.LogKey(acct, region, at, fmt.Sprintf("%016d", seq))
					out.Objects = append(out.Objects, Object{Key: key, Body: Gzip(raw)})
					out.Logs = append(out.Logs, key)
					in.logs = append(in.logs, integrity.LogFile{S3Bucket: t.Bucket, S3Object: key, HashValue: sha(raw), HashAlgorithm: "SHA-256",
						NewestEventTime: at.Add(-time.Minute).Format(time.RFC3339), OldestEventTime: at.Add(-2 * time.Minute).Format(time.RFC3339)})
				}
				d, raw, sig, obj, err := t.digest(in, prev, prevSig, prevRaw)
				if err != nil {
					return nil, err
				}
				out.Objects = append(out.Objects, obj)
				out.Digests = append(out.Digests, obj.Key)
				prev, prevSig, prevRaw = d, sig, raw
			}
		}
	}
	if !t.Backfill.IsZero() {
		acct, region := t.Accounts[0], t.Regions[0]
		at := t.Backfill.Truncate(time.Minute).Add(50 * time.Minute)
		seq++
		raw := Records(acct, region, at, seq)
		key := t.LogKey(acct, region, at, fmt.Sprintf("%016dB", seq))
		out.Objects = append(out.Objects, Object{Key: key, Body: Gzip(raw)})
		out.Logs = append(out.Logs, key)
		in := digestIn{account: acct, region: region, start: t.Backfill, end: t.Backfill.Add(time.Hour), backfill: true, generated: t.BackfillAt,
			logs: []integrity.LogFile{{S3Bucket: t.Bucket, S3Object: key, HashValue: sha(raw), HashAlgorithm: "SHA-256"}}}
		_, _, _, obj, err := t.digest(in, nil, "", nil)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, obj)
		out.Digests = append(out.Digests, obj.Key)
	}
	return out, nil
}

func strp(s string) *string { return &s }

func (t *Trail) digest(in digestIn, prev *integrity.Digest, prevSig string, prevRaw []byte) (*integrity.Digest, []byte, string, Object, error) {
	signedAt := in.end
	if in.backfill {
		signedAt = in.generated
	}
	k := t.key(signedAt)
	d := &integrity.Digest{
		AccountID: in.account, StartTime: in.start.UTC().Format(time.RFC3339), EndTime: in.end.UTC().Format(time.RFC3339),
		S3Bucket: t.Bucket, S3Object: t.DigestKey(in.account, in.region, in.end, in.backfill),
		Fingerprint: k.Public.Fingerprint, SignatureAlgorithm: integrity.SignatureAlgorithm,
		LogFiles: in.logs,
	}
	if d.LogFiles == nil {
		d.LogFiles = []integrity.LogFile{}
	}
	if prev != nil {
		h := sha(prevRaw)
		if t.WrongPrevHash[d.S3Object] {
			h = sha([]byte("not the previous digest"))
		}
		d.PreviousS3Bucket, d.PreviousS3Object = strp(prev.S3Bucket), strp(prev.S3Object)
		d.PreviousHash, d.PreviousHashAlg, d.PreviousSignature = strp(h), strp("SHA-256"), strp(prevSig)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, nil, "", Object{}, err
	}
	sig, err := Sign(k.Private, d, raw)
	if err != nil {
		return nil, nil, "", Object{}, err
	}
	meta := map[string]string{"signature": sig, "signature-algorithm": integrity.SignatureAlgorithm}
	if in.backfill {
		meta["backfill-generation-timestamp"] = in.generated.UTC().Format(time.RFC3339)
	}
	return d, raw, sig, Object{Key: d.S3Object, Body: Gzip(raw), Meta: meta}, nil
}

// Sign signs a digest as CloudTrail does; raw is its uncompressed JSON.
func Sign(k *rsa.PrivateKey, d *integrity.Digest, raw []byte) (string, error) {
	sum := sha256.Sum256([]byte(integrity.StringToSign(d, raw)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// PublicKeysJSON is the `aws cloudtrail list-public-keys` output for keys.
func PublicKeysJSON(keys ...*Key) []byte {
	var pks []integrity.PublicKey
	for _, k := range keys {
		pks = append(pks, k.Public)
	}
	b, _ := integrity.PublicKeysJSON(pks)
	return b
}

// WriteCopy writes objs under dir as collect lays them out
// (dir/<bucket>/<key>), with each digest's signature sidecar when sidecars
// is set; without, it is what `aws s3 sync s3://bucket dir` leaves
// (dir/<key>, no metadata).
func WriteCopy(dir, bucket string, objs []Object, sidecars bool) error {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	for _, o := range objs {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		if sidecars {
			p = filepath.Join(dir, bucket, filepath.FromSlash(o.Key))
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, o.Body, 0o644); err != nil {
			return err
		}
		if sidecars && strings.Contains(o.Key, "/CloudTrail-Digest/") {
			sc, ok := integrity.SidecarFromMetadata(bucket, o.Key, o.Meta)
			if !ok {
				continue
			}
			b, _ := json.MarshalIndent(sc, "", "  ")
			if err := os.WriteFile(p+integrity.SidecarSuffix, b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
