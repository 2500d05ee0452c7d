package integrity

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PublicKey is one CloudTrail public key, as ListPublicKeys returns it.
type PublicKey struct {
	Fingerprint string
	// DER is the PKCS#1 RSAPublicKey bytes.
	DER        []byte
	Key        *rsa.PublicKey
	ValidFrom  time.Time
	ValidUntil time.Time
}

// Keys are public keys by fingerprint.
type Keys struct {
	byFP map[string]*PublicKey
	// Source says where the keys came from, for the report.
	Source string
}

// NewKeys checks each key's fingerprint against its bytes (hex MD5 of the
// DER, as CloudTrail computes it) and indexes them.
func NewKeys(source string, keys []PublicKey) (*Keys, error) {
	k := &Keys{byFP: map[string]*PublicKey{}, Source: source}
	for i := range keys {
		pk := keys[i]
		sum := md5.Sum(pk.DER)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, pk.Fingerprint) {
			return nil, fmt.Errorf("public key %d: fingerprint %s does not match its value (MD5 of the key is %s)", i+1, pk.Fingerprint, got)
		}
		pub, err := x509.ParsePKCS1PublicKey(pk.DER)
		if err != nil {
			return nil, fmt.Errorf("public key %s: not a DER PKCS#1 RSA public key: %v", pk.Fingerprint, err)
		}
		pk.Key = pub
		pk.Fingerprint = strings.ToLower(pk.Fingerprint)
		k.byFP[pk.Fingerprint] = &pk
	}
	return k, nil
}

// Lookup returns the key with fingerprint fp.
func (k *Keys) Lookup(fp string) *PublicKey {
	if k == nil {
		return nil
	}
	return k.byFP[strings.ToLower(fp)]
}

// Len is the number of keys.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.byFP)
}

// Fingerprints are the keys' fingerprints, sorted.
func (k *Keys) Fingerprints() []string {
	var out []string
	for fp := range k.byFP {
		out = append(out, fp)
	}
	sort.Strings(out)
	return out
}

// ParsePublicKeysJSON reads what `aws cloudtrail list-public-keys` prints:
// {"PublicKeyList": [{"Value": base64, "Fingerprint": hex,
// "ValidityStartTime": ..., "ValidityEndTime": ...}]}. Times may be epoch
// seconds (CLI v1) or ISO 8601 strings (CLI v2). Several outputs (one per
// region) may be concatenated in one file.
func ParsePublicKeysJSON(source string, data []byte) (*Keys, error) {
	type entry struct {
		Value             string          `json:"Value"`
		Fingerprint       string          `json:"Fingerprint"`
		ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
		ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var keys []PublicKey
	docs := 0
	for dec.More() {
		var doc struct {
			PublicKeyList *[]entry `json:"PublicKeyList"`
		}
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: not the JSON 'aws cloudtrail list-public-keys' prints: %v", source, err)
		}
		if doc.PublicKeyList == nil {
			return nil, fmt.Errorf("%s: no PublicKeyList: expected the JSON 'aws cloudtrail list-public-keys' prints", source)
		}
		docs++
		for i, e := range *doc.PublicKeyList {
			der, err := base64.StdEncoding.DecodeString(e.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: key %d: Value is not base64: %v", source, i+1, err)
			}
			from, err := keyTime(e.ValidityStartTime)
			if err != nil {
				return nil, fmt.Errorf("%s: key %d: ValidityStartTime: %v", source, i+1, err)
			}
			until, err := keyTime(e.ValidityEndTime)
			if err != nil {
				return nil, fmt.Errorf("%s: key %d: ValidityEndTime: %v", source, i+1, err)
			}
			keys = append(keys, PublicKey{Fingerprint: e.Fingerprint, DER: der, ValidFrom: from, ValidUntil: until})
		}
	}
	if docs == 0 {
		return nil, fmt.Errorf("%s: empty: expected the JSON 'aws cloudtrail list-public-keys' prints", source)
	}
	k, err := NewKeys(source, keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return k, nil
}

func keyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, err
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000000-07:00", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, str); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a time", str)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a time", s)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}

// PublicKeysJSON writes keys in the format ParsePublicKeysJSON reads (ISO
// times, as AWS CLI v2 prints them).
func PublicKeysJSON(keys []PublicKey) ([]byte, error) {
	type entry struct {
		ValidityStartTime string `json:"ValidityStartTime"`
		ValidityEndTime   string `json:"ValidityEndTime"`
		Value             string `json:"Value"`
		Fingerprint       string `json:"Fingerprint"`
	}
	doc := struct {
		PublicKeyList []entry `json:"PublicKeyList"`
	}{PublicKeyList: []entry{}}
	for _, k := range keys {
		doc.PublicKeyList = append(doc.PublicKeyList, entry{
			ValidityStartTime: k.ValidFrom.UTC().Format(time.RFC3339),
			ValidityEndTime:   k.ValidUntil.UTC().Format(time.RFC3339),
			Value:             base64.StdEncoding.EncodeToString(k.DER),
			Fingerprint:       k.Fingerprint,
		})
	}
	return json.MarshalIndent(doc, "", "    ")
}

// Fingerprint is CloudTrail's fingerprint of a DER PKCS#1 public key.
func Fingerprint(der []byte) string {
	sum := md5.Sum(der)
	return hex.EncodeToString(sum[:])
}
