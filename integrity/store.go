package integrity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Object is one trail file in a Store.
type Object struct {
	// Root is where the file's AWSLogs/ folder sits (a folder, or
	// s3://bucket/prefix): files are matched to digests within one root.
	Root string
	// Rel is the file's path from AWSLogs/ on (see Rel).
	Rel string
	// Path is where the file is, as findings name it (a local path, or
	// s3://bucket/key).
	Path string
	// Size is the stored size, when the store lists it (0 otherwise).
	Size  int64
	Place Place
}

// Signature is a digest's signature as its S3 object metadata holds it.
type Signature struct {
	// Hex is x-amz-meta-signature.
	Hex string `json:"signature"`
	// Algorithm is x-amz-meta-signature-algorithm.
	Algorithm string `json:"signature_algorithm"`
	// BackfillGenerated is x-amz-meta-backfill-generation-timestamp (backfill
	// digests only).
	BackfillGenerated string `json:"backfill_generation_timestamp,omitempty"`
	// Bucket and Key are where the digest was read from, when known (a
	// sidecar written by collect records them).
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
}

// ErrNotFound is returned (wrapped) by a Store for a file that is not there.
var ErrNotFound = errors.New("not found")

// Store is where a trail's files are.
type Store interface {
	// Name describes the store for the report (a folder, s3://bucket/prefix).
	Name() string
	// List returns every CloudTrail log and digest file whose day folder
	// is in [from, to] (dates, UTC).
	List(ctx context.Context, from, to time.Time) ([]Object, error)
	// ReadDigest returns a digest file's bytes as stored and its signature;
	// sig is nil when the copy holds none (an `aws s3 sync` copy).
	ReadDigest(ctx context.Context, o Object) (raw []byte, sig *Signature, err error)
	// OpenLog opens a log file's bytes as stored.
	OpenLog(ctx context.Context, o Object) (io.ReadCloser, error)
}

// SidecarSuffix names the file, beside a digest in a copy, that holds the
// signature from the digest object's S3 metadata (see Sidecar).
const SidecarSuffix = ".sig.json"

// Sidecar is the content of <digest>.sig.json: the signature and the S3
// facts of the digest object it was copied from. collect writes it;
// validate --logs reads it.
type Sidecar struct {
	Signature
	// Metadata is every x-amz-meta-* value of the object (names without the
	// prefix).
	Metadata     map[string]string `json:"metadata"`
	VersionID    string            `json:"version_id,omitempty"`
	ETag         string            `json:"etag,omitempty"`
	LastModified string            `json:"last_modified,omitempty"`
}

// SidecarFromMetadata builds the sidecar of an object from its metadata
// (names without x-amz-meta-, any case). ok is false when it has no
// signature.
func SidecarFromMetadata(bucket, key string, meta map[string]string) (Sidecar, bool) {
	sc := Sidecar{Metadata: map[string]string{}}
	for k, v := range meta {
		k = strings.ToLower(strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-"))
		sc.Metadata[k] = v
	}
	sc.Hex = sc.Metadata["signature"]
	sc.Algorithm = sc.Metadata["signature-algorithm"]
	sc.BackfillGenerated = sc.Metadata["backfill-generation-timestamp"]
	sc.Bucket, sc.Key = bucket, key
	return sc, sc.Hex != ""
}

// DirStore is a folder copy of one or more trails (the layout `--logs`
// reads: AWSLogs/[o-id/]<account>/CloudTrail[-Digest]/<region>/YYYY/MM/DD/
// anywhere under it).
type DirStore struct{ Dir string }

// Name is the folder.
func (s DirStore) Name() string { return s.Dir }

// List walks the folder; day folders outside [from, to] are not listed.
func (s DirStore) List(ctx context.Context, from, to time.Time) ([]Object, error) {
	var out []Object
	err := s.Walk(ctx, from, to, func(o Object) error {
		out = append(out, o)
		return nil
	})
	return out, err
}

// Walk calls fn with each file List would return, in the walk's order,
// without holding them all: Validate keeps only what it needs of each log
// file (see logList).
func (s DirStore) Walk(ctx context.Context, from, to time.Time, fn func(Object) error) error {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("open logs folder %s: %w", s.Dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("open logs folder %s: not a folder", s.Dir)
	}
	lo, hi := from.UTC().Format("2006/01/02"), to.UTC().Format("2006/01/02")
	err = filepath.WalkDir(abs, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == abs {
				return err
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		slash := filepath.ToSlash(p)
		if e.IsDir() {
			// A day folder outside the days asked for is skipped whole.
			if m := dayDirRe.FindStringSubmatch(slash); m != nil {
				if day := m[1]; day < lo || day > hi {
					return fs.SkipDir
				}
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel := Rel(slash)
		if rel == "" {
			return nil
		}
		pl, ok := ParsePlace(rel)
		if !ok {
			return nil
		}
		// No lstat per file: a month is 150,000 of them, and nothing here
		// needs the size.
		root := strings.TrimSuffix(strings.TrimSuffix(slash, rel), "/")
		return fn(Object{Root: root, Rel: rel, Path: p, Place: pl})
	})
	if err != nil {
		return fmt.Errorf("list logs folder %s: %w", s.Dir, err)
	}
	return nil
}

// Walker is a Store that can hand over its files one by one (Walk is List
// without the list).
type Walker interface {
	Walk(ctx context.Context, from, to time.Time, fn func(Object) error) error
}

// ReadDigest reads the digest and its sidecar, if any.
func (s DirStore) ReadDigest(_ context.Context, o Object) ([]byte, *Signature, error) {
	raw, err := os.ReadFile(o.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: %w", o.Path, ErrNotFound)
		}
		return nil, nil, err
	}
	b, err := os.ReadFile(o.Path + SidecarSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return raw, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var sc Sidecar
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, nil, fmt.Errorf("%s%s: not a signature sidecar: %v", o.Path, SidecarSuffix, err)
	}
	if sc.Hex == "" {
		return raw, nil, nil
	}
	sig := sc.Signature
	return raw, &sig, nil
}

// OpenLog opens the file.
func (s DirStore) OpenLog(_ context.Context, o Object) (io.ReadCloser, error) {
	f, err := os.Open(o.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", o.Path, ErrNotFound)
	}
	return f, err
}

// dayDirRe matches a day folder of the layout; its group is YYYY/MM/DD.
var dayDirRe = regexp.MustCompile(`(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?[0-9]{12}/CloudTrail(?:-Digest)?/[A-Za-z0-9-]+/([0-9]{4}/[0-9]{2}/[0-9]{2})$`)
