// Package collect reads CloudTrail trail buckets on S3: it makes the
// evidence copy (Collect: the window's log files and digest files, each
// digest's signature in a sidecar, a collection manifest, resumable, never
// writing to the bucket) and serves a bucket to the integrity checks
// (Store). It uses only the S3 calls in its narrow s3API interface; cmd/
// builds the real client.
package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ctathena/ctathena/integrity"
)

// s3API is every S3 call this package makes: it only reads.
type s3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Location is a trail's bucket and key prefix.
type Location struct{ Bucket, Prefix string }

func (l Location) root() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + strings.Trim(l.Prefix, "/")
}

func (l Location) awsLogs() string {
	if p := strings.Trim(l.Prefix, "/"); p != "" {
		return p + "/AWSLogs/"
	}
	return "AWSLogs/"
}

// Store is a trail bucket as an integrity.Store.
type Store struct {
	api      s3API
	loc      Location
	accounts map[string]bool
	regions  map[string]bool
	// listed keeps each object's listing facts for collect.
	listed map[string]types.Object
}

// NewStore reads loc through api (an *s3.Client); accounts and regions, if
// not empty, limit what is listed.
func NewStore(api s3API, loc Location, accounts, regions []string) *Store {
	s := &Store{api: api, loc: loc, listed: map[string]types.Object{}}
	if len(accounts) > 0 {
		s.accounts = map[string]bool{}
		for _, a := range accounts {
			s.accounts[a] = true
		}
	}
	if len(regions) > 0 {
		s.regions = map[string]bool{}
		for _, r := range regions {
			s.regions[r] = true
		}
	}
	return s
}

// Name is s3://bucket/prefix.
func (s *Store) Name() string { return s.loc.root() }

var (
	orgRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
)

// folders lists the sub-folder names of prefix.
func (s *Store) folders(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	var token *string
	for {
		res, err := s.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.loc.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", s.loc.Bucket, prefix, err)
		}
		for _, cp := range res.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/"))
		}
		if !aws.ToBool(res.IsTruncated) {
			break
		}
		token = res.NextContinuationToken
	}
	return out, nil
}

// Bases are the account folders (…/AWSLogs/[o-id/]<account>/) the bucket
// holds, filtered by the store's accounts.
func (s *Store) Bases(ctx context.Context) ([]string, error) {
	top := s.loc.awsLogs()
	names, err := s.folders(ctx, top)
	if err != nil {
		return nil, err
	}
	var bases []string
	for _, n := range names {
		switch {
		case orgRe.MatchString(n):
			accts, err := s.folders(ctx, top+n+"/")
			if err != nil {
				return nil, err
			}
			for _, a := range accts {
				if accountRe.MatchString(a) && (s.accounts == nil || s.accounts[a]) {
					bases = append(bases, top+n+"/"+a+"/")
				}
			}
		case accountRe.MatchString(n) && (s.accounts == nil || s.accounts[n]):
			bases = append(bases, top+n+"/")
		}
	}
	sort.Strings(bases)
	return bases, nil
}

// List lists the log and digest day folders in [from, to].
func (s *Store) List(ctx context.Context, from, to time.Time) ([]integrity.Object, error) {
	bases, err := s.Bases(ctx)
	if err != nil {
		return nil, err
	}
	var out []integrity.Object
	for _, b := range bases {
		for _, product := range []string{"CloudTrail", "CloudTrail-Digest"} {
			regions, err := s.folders(ctx, b+product+"/")
			if err != nil {
				return nil, err
			}
			for _, r := range regions {
				if s.regions != nil && !s.regions[r] {
					continue
				}
				for d := from.UTC(); !d.After(to); d = d.AddDate(0, 0, 1) {
					prefix := b + product + "/" + r + "/" + d.Format("2006/01/02") + "/"
					objs, err := s.listAll(ctx, prefix)
					if err != nil {
						return nil, err
					}
					out = append(out, objs...)
				}
			}
		}
	}
	return out, nil
}

func (s *Store) listAll(ctx context.Context, prefix string) ([]integrity.Object, error) {
	var out []integrity.Object
	var token *string
	for {
		res, err := s.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.loc.Bucket), Prefix: aws.String(prefix), ContinuationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", s.loc.Bucket, prefix, err)
		}
		for _, o := range res.Contents {
			key := aws.ToString(o.Key)
			rel := integrity.Rel(key)
			pl, ok := integrity.ParsePlace(rel)
			if !ok {
				continue
			}
			s.listed[key] = o
			out = append(out, integrity.Object{Root: s.loc.root(), Rel: rel, Path: "s3://" + s.loc.Bucket + "/" + key, Size: aws.ToInt64(o.Size), Place: pl})
		}
		if !aws.ToBool(res.IsTruncated) {
			break
		}
		token = res.NextContinuationToken
	}
	return out, nil
}

func (s *Store) key(o integrity.Object) string {
	return strings.TrimPrefix(o.Path, "s3://"+s.loc.Bucket+"/")
}

func notFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound"
	}
	return false
}

// get reads one object whole.
func (s *Store) get(ctx context.Context, key string) (*s3.GetObjectOutput, error) {
	res, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key)})
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("s3://%s/%s: %w", s.loc.Bucket, key, integrity.ErrNotFound)
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.loc.Bucket, key, err)
	}
	return res, nil
}

// ReadDigest reads the digest and the signature in its metadata.
func (s *Store) ReadDigest(ctx context.Context, o integrity.Object) ([]byte, *integrity.Signature, error) {
	key := s.key(o)
	res, err := s.get(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read s3://%s/%s: %w", s.loc.Bucket, key, err)
	}
	sc, ok := integrity.SidecarFromMetadata(s.loc.Bucket, key, res.Metadata)
	if !ok {
		// The bucket itself holds no signature: report it as bad, not as
		// "not checked" (CloudTrail always sets one).
		return raw, &integrity.Signature{Hex: "", Algorithm: "", Bucket: s.loc.Bucket, Key: key}, nil
	}
	sig := sc.Signature
	return raw, &sig, nil
}

// OpenLog streams a log file.
func (s *Store) OpenLog(ctx context.Context, o integrity.Object) (io.ReadCloser, error) {
	res, err := s.get(ctx, s.key(o))
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}
