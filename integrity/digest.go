// Package integrity checks CloudTrail's own evidence of integrity: the
// hourly digest files CloudTrail signs (SHA256withRSA, key named by its
// fingerprint), the chain each digest forms with the one before it per
// account, region and trail, and the SHA-256 of every log file a digest
// lists. It reads a trail through a Store (a folder copy here, the bucket
// in package collect), takes the public keys and the clock as arguments,
// and returns a Report whose findings name each file: changed, missing,
// extra, not covered yet, chain break, bad signature, unknown key. It knows
// nothing of the CLI, of engines or of reports.
//
// The formats follow AWS's CloudTrail documentation ("CloudTrail digest file
// structure", "Custom implementations of CloudTrail log file integrity
// validation"): the digest's signature is in its S3 object metadata
// (x-amz-meta-signature, x-amz-meta-signature-algorithm, and for backfill
// digests x-amz-meta-backfill-generation-timestamp); the signed string is
// the digest end time, bucket/key of the digest, the hex SHA-256 of the
// digest's uncompressed bytes and the previous digest's signature ("null"
// for the first), joined by newlines; log file hashes are over the
// uncompressed content; a public key is DER PKCS#1 and its fingerprint is
// the hex MD5 of those bytes.
package integrity

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SignatureAlgorithm is the only algorithm CloudTrail uses for digests.
const SignatureAlgorithm = "SHA256withRSA"

// Digest is a digest file's content.
type Digest struct {
	AccountID          string    `json:"awsAccountId"`
	StartTime          string    `json:"digestStartTime"`
	EndTime            string    `json:"digestEndTime"`
	S3Bucket           string    `json:"digestS3Bucket"`
	S3Object           string    `json:"digestS3Object"`
	Fingerprint        string    `json:"digestPublicKeyFingerprint"`
	SignatureAlgorithm string    `json:"digestSignatureAlgorithm"`
	NewestEventTime    *string   `json:"newestEventTime"`
	OldestEventTime    *string   `json:"oldestEventTime"`
	PreviousS3Bucket   *string   `json:"previousDigestS3Bucket"`
	PreviousS3Object   *string   `json:"previousDigestS3Object"`
	PreviousHash       *string   `json:"previousDigestHashValue"`
	PreviousHashAlg    *string   `json:"previousDigestHashAlgorithm"`
	PreviousSignature  *string   `json:"previousDigestSignature"`
	LogFiles           []LogFile `json:"logFiles"`
}

// LogFile is one log file a digest lists.
type LogFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime,omitempty"`
	OldestEventTime string `json:"oldestEventTime,omitempty"`
}

// requiredFields must be present (previousDigestSignature may be null).
var requiredFields = []string{"digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature", "digestEndTime", "digestStartTime"}

// ParseDigest decodes a digest's uncompressed JSON.
func ParseDigest(uncompressed []byte) (*Digest, error) {
	// One decode: the raw fields say whether a required key is there (a
	// JSON null is "null", an absent key nil).
	var d struct {
		Digest
		RawFingerprint json.RawMessage `json:"digestPublicKeyFingerprint"`
		RawBucket      json.RawMessage `json:"digestS3Bucket"`
		RawObject      json.RawMessage `json:"digestS3Object"`
		RawPrevSig     json.RawMessage `json:"previousDigestSignature"`
		RawEnd         json.RawMessage `json:"digestEndTime"`
		RawStart       json.RawMessage `json:"digestStartTime"`
	}
	if err := json.Unmarshal(uncompressed, &d); err != nil {
		return nil, fmt.Errorf("not a digest file: %v", err)
	}
	for i, raw := range []json.RawMessage{d.RawFingerprint, d.RawBucket, d.RawObject, d.RawPrevSig, d.RawEnd, d.RawStart} {
		if raw == nil {
			return nil, fmt.Errorf("not a digest file: no %s field", requiredFields[i])
		}
	}
	// The embedded fields are shadowed by the raw ones: decode them again
	// from the raw values.
	for _, f := range []struct {
		raw json.RawMessage
		dst *string
	}{{d.RawFingerprint, &d.Fingerprint}, {d.RawBucket, &d.S3Bucket}, {d.RawObject, &d.S3Object}, {d.RawEnd, &d.EndTime}, {d.RawStart, &d.StartTime}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return nil, fmt.Errorf("not a digest file: %v", err)
		}
	}
	if string(d.RawPrevSig) != "null" {
		var s string
		if err := json.Unmarshal(d.RawPrevSig, &s); err != nil {
			return nil, fmt.Errorf("not a digest file: previousDigestSignature: %v", err)
		}
		d.PreviousSignature = &s
	}
	out := d.Digest
	if _, err := out.End(); err != nil {
		return nil, err
	}
	if _, err := out.Start(); err != nil {
		return nil, err
	}
	return &out, nil
}

// End is digestEndTime.
func (d *Digest) End() (time.Time, error) { return parseTime("digestEndTime", d.EndTime) }

// Start is digestStartTime.
func (d *Digest) Start() (time.Time, error) { return parseTime("digestStartTime", d.StartTime) }

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("digest %s %q is not a UTC time", field, s)
	}
	return t.UTC(), nil
}

// StringToSign is what CloudTrail signs for a digest whose uncompressed
// bytes are uncompressed.
func StringToSign(d *Digest, uncompressed []byte) string {
	return stringToSignSum(d, sha256.Sum256(uncompressed))
}

// The names CloudTrail gives its files.
var (
	// <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz
	digestNameRe = regexp.MustCompile(`^([0-9]{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([0-9]{8}T[0-9]{6}Z)(_backfill)?\.json\.gz$`)
	// <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<unique>.json.gz
	logNameRe = regexp.MustCompile(`^[0-9]{12}_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.json(\.gz)?$`)
	// AWSLogs/[o-id/]<account>/<product>/<region>/YYYY/MM/DD/<name>
	relRe = regexp.MustCompile(`^AWSLogs/(?:(o-[a-z0-9]{10,32})/)?([0-9]{12})/(CloudTrail|CloudTrail-Digest)/([A-Za-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/([^/]+)$`)
)

// Rel is the part of an S3 key from "AWSLogs/" on: where a file sits in the
// trail whatever the bucket's prefix or the copy's folder. "" if none.
func Rel(key string) string {
	key = strings.ReplaceAll(key, "\\", "/")
	if strings.HasPrefix(key, "AWSLogs/") {
		return key
	}
	if i := strings.LastIndex(key, "/AWSLogs/"); i >= 0 {
		return key[i+1:]
	}
	return ""
}

// Place is what a trail file's path says about it.
type Place struct {
	OrgID, Account, Region string
	Digest                 bool
	Day                    time.Time // the folder's date
	Name                   string
	// Delivered is the delivery time in a log file's name (minute) or the
	// end time in a digest's name.
	Delivered time.Time
	// Trail is "<trail>_<home region>" for a digest.
	Trail    string
	Backfill bool
}

// ParsePlace reads rel (see Rel). ok is false for anything that is not a
// CloudTrail log or digest file in the AWSLogs layout.
func ParsePlace(rel string) (Place, bool) {
	m := relRe.FindStringSubmatch(rel)
	if m == nil {
		return Place{}, false
	}
	day, err := time.Parse("2006/01/02", m[5]+"/"+m[6]+"/"+m[7])
	if err != nil {
		return Place{}, false
	}
	p := Place{OrgID: m[1], Account: m[2], Region: m[4], Digest: m[3] == "CloudTrail-Digest", Day: day, Name: m[8]}
	if p.Digest {
		n := digestNameRe.FindStringSubmatch(p.Name)
		if n == nil {
			return Place{}, false
		}
		t, err := time.Parse("20060102T150405Z", n[4])
		if err != nil {
			return Place{}, false
		}
		p.Delivered, p.Trail, p.Backfill = t, n[3], n[5] != ""
		return p, true
	}
	n := logNameRe.FindStringSubmatch(p.Name)
	if n == nil {
		return Place{}, false
	}
	t, err := time.Parse("20060102T1504", n[1])
	if err != nil {
		return Place{}, false
	}
	p.Delivered = t
	return p, true
}
