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
// trail file where CloudTrail puts one:
//
//	AWSLogs/[o-<10-32 of a-z0-9>/]<account>/CloudTrail[-Digest]/<region>/YYYY/MM/DD/<name>
//	log:    <account>_CloudTrail_<region>_<YYYYMMDDTHHMM>Z_<unique>.json[.gz]
//	digest: <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSS>Z[_backfill].json.gz
//
// It is written by hand: the check parses every log file's path, and with
// regular expressions that was 1.27-1.35 s of a second exfil's 7.9 s of CPU
// on the 30-day benchmark tree (149,182 files). The regular expressions it
// replaced are its tests' oracle (TestParsePlaceMatchesPatterns).
func ParsePlace(rel string) (Place, bool) {
	rest, ok := strings.CutPrefix(rel, "AWSLogs/")
	if !ok {
		return Place{}, false
	}
	var p Place
	seg := func() string {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			s := rest
			rest = ""
			return s
		}
		s := rest[:i]
		rest = rest[i+1:]
		return s
	}
	first := seg()
	if strings.Count(rest, "/") == 6 {
		if !isOrgID(first) {
			return Place{}, false
		}
		p.OrgID, first = first, seg()
	}
	p.Account = first
	product, region := seg(), seg()
	yyyy, mm, dd := seg(), seg(), seg()
	p.Name = rest
	switch {
	case !isDigits(p.Account, 12), product != "CloudTrail" && product != "CloudTrail-Digest",
		region == "" || !allIn(region, isAlnumDash), !isDigits(yyyy, 4), !isDigits(mm, 2), !isDigits(dd, 2),
		p.Name == "" || strings.IndexByte(p.Name, '/') >= 0:
		return Place{}, false
	}
	p.Region, p.Digest = region, product == "CloudTrail-Digest"
	if p.Day, ok = civil(yyyy+mm+dd, "", ""); !ok {
		return Place{}, false
	}
	if p.Digest && p.parseDigestName() || !p.Digest && p.parseLogName() {
		return p, true
	}
	return Place{}, false
}

// parseLogName reads <account>_CloudTrail_<region>_<YYYYMMDDTHHMM>Z_<unique>.json[.gz].
func (p *Place) parseLogName() bool {
	rest, ok := cutAccount(p.Name, "_CloudTrail_")
	if !ok {
		return false
	}
	// The region runs to the first "_" (it holds none).
	i := strings.IndexByte(rest, '_')
	if i <= 0 || !allIn(rest[:i], isLowerDigitDash) {
		return false
	}
	rest = rest[i+1:]
	// YYYYMMDDTHHMM "Z_"
	if len(rest) < 15 || rest[8] != 'T' || rest[13:15] != "Z_" || !isDigits(rest[:8], 8) || !isDigits(rest[9:13], 4) {
		return false
	}
	if p.Delivered, ok = civil(rest[:8], rest[9:13], ""); !ok {
		return false
	}
	rest = rest[15:]
	// <unique> runs to the first "." (it holds none).
	j := strings.IndexByte(rest, '.')
	if j <= 0 || !allIn(rest[:j], isAlnum) {
		return false
	}
	return rest[j:] == ".json" || rest[j:] == ".json.gz"
}

// parseDigestName reads <account>_CloudTrail-Digest_<region>_<trail>_<YYYYMMDDTHHMMSS>Z[_backfill].json.gz.
func (p *Place) parseDigestName() bool {
	rest, ok := cutAccount(p.Name, "_CloudTrail-Digest_")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ".json.gz")
	if !ok {
		return false
	}
	// The time is the last "_YYYYMMDDTHHMMSSZ", before "_backfill" if the
	// name ends so and that leaves a time before it.
	at := func(s string) (time.Time, bool) {
		if len(s) < 17 {
			return time.Time{}, false
		}
		ts := s[len(s)-17:]
		if ts[0] != '_' || ts[9] != 'T' || ts[16] != 'Z' || !isDigits(ts[1:9], 8) || !isDigits(ts[10:16], 6) {
			return time.Time{}, false
		}
		return civil(ts[1:9], ts[10:14], ts[14:16])
	}
	if b, cut := strings.CutSuffix(rest, "_backfill"); cut {
		if t, ok := at(b); ok {
			p.Delivered, p.Backfill, rest = t, true, b
		}
	}
	if !p.Backfill {
		t, ok := at(rest)
		if !ok {
			return false
		}
		p.Delivered = t
	}
	rest = rest[:len(rest)-17]
	// <region>_<trail>: the region runs to the first "_"; the trail is the
	// rest, at least one character, none a newline.
	i := strings.IndexByte(rest, '_')
	if i <= 0 || !allIn(rest[:i], isLowerDigitDash) {
		return false
	}
	p.Trail = rest[i+1:]
	return p.Trail != "" && strings.IndexByte(p.Trail, '\n') < 0
}

// cutAccount cuts "<12 digits>"+mid from the front of name.
func cutAccount(name, mid string) (string, bool) {
	if len(name) < 12 || !isDigits(name[:12], 12) {
		return "", false
	}
	return strings.CutPrefix(name[12:], mid)
}

// civil is the UTC time of YYYYMMDD, HHMM and SS (digits already checked;
// "" for zero), ok only if it names a real day and time: what time.Parse
// accepts for those layouts.
func civil(ymd, hm, ss string) (time.Time, bool) {
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, mo, d := num(ymd[:4]), num(ymd[4:6]), num(ymd[6:8])
	h, mi, sec := 0, 0, num(ss)
	if hm != "" {
		h, mi = num(hm[:2]), num(hm[2:])
	}
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	return t, t.Day() == d
}

func isOrgID(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	return ok && len(id) >= 10 && len(id) <= 32 && allIn(id, isLowerDigit)
}

func isDigits(s string, n int) bool {
	return len(s) == n && allIn(s, func(c byte) bool { return c >= '0' && c <= '9' })
}

func allIn(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLowerDigit(c byte) bool     { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isLowerDigitDash(c byte) bool { return isLowerDigit(c) || c == '-' }
func isAlnum(c byte) bool          { return isLowerDigit(c) || c >= 'A' && c <= 'Z' }
func isAlnumDash(c byte) bool      { return isAlnum(c) || c == '-' }
