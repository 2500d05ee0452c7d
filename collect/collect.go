package collect

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ctathena/ctathena/integrity"
)

// ManifestName is the collection manifest in the copy's folder: JSON Lines,
// one "run" line per collect run, one "object" line per file copied or
// re-verified, one "done" line when a run finishes. Its name does not end
// in .json so the local engine never reads it as a CloudTrail file.
const ManifestName = "collection-manifest.jsonl"

// Identity is who ran the collection (STS GetCallerIdentity).
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"user_id"`
}

// RunLine opens a run in the manifest.
type RunLine struct {
	Type        string     `json:"type"` // "run"
	Started     time.Time  `json:"started"`
	Identity    Identity   `json:"identity"`
	Tool        string     `json:"tool"`
	ToolVersion string     `json:"tool_version"`
	Locations   []Location `json:"locations"`
	Since       time.Time  `json:"since"`
	Until       time.Time  `json:"until"`
	// LogDays and DigestDays are the day folders copied (inclusive).
	LogDays    [2]string `json:"log_days"`
	DigestDays [2]string `json:"digest_days"`
	Accounts   []string  `json:"accounts"`
	Regions    []string  `json:"regions"`
}

// ObjectLine is one file of the copy.
type ObjectLine struct {
	Type         string    `json:"type"` // "object"
	Kind         string    `json:"kind"` // "log" or "digest"
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	Path         string    `json:"path"` // in the copy, slash-separated, relative to its folder
	VersionID    string    `json:"version_id"`
	ETag         string    `json:"etag"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
	SHA256       string    `json:"sha256"` // of the bytes as stored
	// Action is "copied", "verified" (already in the copy, same bytes as
	// recorded, object unchanged) or "conflict" (the copy holds different
	// bytes: kept, never overwritten).
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// DoneLine closes a run.
type DoneLine struct {
	Type      string    `json:"type"` // "done"
	Finished  time.Time `json:"finished"`
	Copied    int       `json:"copied"`
	Verified  int       `json:"verified"`
	Conflicts int       `json:"conflicts"`
	Failed    int       `json:"failed"`
	Bytes     int64     `json:"bytes"`
}

// Options are a collection's inputs.
type Options struct {
	Locations         []Location
	Since, Until      time.Time
	Accounts, Regions []string
	Out               string
	Workers           int
	Identity          Identity
	ToolVersion       string
	// Now is the clock (only cmd/ reads the real one).
	Now func() time.Time
	// Progress, if set, is called as files finish.
	Progress func(done, total int, bytes int64)
}

// Result is what a collection did.
type Result struct {
	Copied, Verified int
	Bytes            int64
	Conflicts        []ObjectLine
	Failed           []string
	Files            int
}

// Days are the day folders a window's collection copies: the partitions
// the queries read (a day of padding each side) for log files, and one day
// more for digests, whose folder is the hour's end.
func Days(since, until time.Time) (logFrom, logTo, digestTo time.Time) {
	day := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	logFrom, logTo = day(since).AddDate(0, 0, -1), day(until).AddDate(0, 0, 1)
	return logFrom, logTo, logTo.AddDate(0, 0, 1)
}

type item struct {
	store *Store
	obj   integrity.Object
	key   string
	path  string // in the copy
	rel   string // slash path relative to Out
}

// Collect copies the window's files of every location into opts.Out, as
// <out>/<bucket>/<key> (the layout --logs reads), with a signature sidecar
// beside each digest, and appends to the collection manifest.
func Collect(ctx context.Context, api s3API, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", o.Out, err)
	}
	prior, err := readManifest(filepath.Join(o.Out, ManifestName))
	if err != nil {
		return nil, err
	}
	logFrom, logTo, digTo := Days(o.Since, o.Until)
	var items []item
	for _, loc := range o.Locations {
		st := NewStore(api, loc, o.Accounts, o.Regions)
		objs, err := st.List(ctx, logFrom, digTo)
		if err != nil {
			return nil, err
		}
		for _, ob := range objs {
			if !ob.Place.Digest && ob.Place.Day.After(logTo) {
				continue
			}
			key := st.key(ob)
			rel := loc.Bucket + "/" + key
			items = append(items, item{store: st, obj: ob, key: key, rel: rel, path: filepath.Join(o.Out, filepath.FromSlash(rel))})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].rel < items[j].rel })
	mf, err := os.OpenFile(filepath.Join(o.Out, ManifestName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open collection manifest: %w", err)
	}
	defer mf.Close()
	w := &lineWriter{f: mf}
	run := RunLine{Type: "run", Started: o.Now().UTC(), Identity: o.Identity, Tool: "ctathena", ToolVersion: o.ToolVersion,
		Locations: o.Locations, Since: o.Since.UTC(), Until: o.Until.UTC(),
		LogDays: [2]string{logFrom.Format("2006-01-02"), logTo.Format("2006-01-02")}, DigestDays: [2]string{logFrom.Format("2006-01-02"), digTo.Format("2006-01-02")},
		Accounts: orEmpty(o.Accounts), Regions: orEmpty(o.Regions)}
	if err := w.write(run); err != nil {
		return nil, err
	}
	res := &Result{Files: len(items)}
	workers := o.Workers
	if workers <= 0 {
		workers = 8
	}
	var mu sync.Mutex
	done := 0
	next := make(chan item)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				line, err := fetch(ctx, it, prior[it.rel], o.Now)
				mu.Lock()
				done++
				if err != nil {
					res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", it.obj.Path, err))
				} else {
					switch line.Action {
					case "copied":
						res.Copied++
						res.Bytes += line.Size
					case "verified":
						res.Verified++
					case "conflict":
						res.Conflicts = append(res.Conflicts, *line)
					}
					if werr := w.write(line); werr != nil && err == nil {
						res.Failed = append(res.Failed, fmt.Sprintf("write manifest: %v", werr))
					}
				}
				if o.Progress != nil {
					o.Progress(done, len(items), res.Bytes)
				}
				mu.Unlock()
			}
		}()
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	if err := w.write(DoneLine{Type: "done", Finished: o.Now().UTC(), Copied: res.Copied, Verified: res.Verified, Conflicts: len(res.Conflicts), Failed: len(res.Failed), Bytes: res.Bytes}); err != nil {
		return res, err
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type lineWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *lineWriter) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.f.Write(append(b, '\n'))
	return err
}

// readManifest returns the last good record of each file from earlier runs.
func readManifest(p string) (map[string]ObjectLine, error) {
	out := map[string]ObjectLine{}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read collection manifest: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ol ObjectLine
		if json.Unmarshal(sc.Bytes(), &ol) != nil || ol.Type != "object" {
			continue // an interrupted last line, or another line type
		}
		if ol.Action == "copied" || ol.Action == "verified" {
			out[ol.Path] = ol
		}
	}
	return out, sc.Err()
}

// LastRun returns the start of the newest run recorded in the copy at dir,
// zero if none.
func LastRun(dir string) time.Time {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	var last time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rl RunLine
		if json.Unmarshal(sc.Bytes(), &rl) == nil && rl.Type == "run" && rl.Started.After(last) {
			last = rl.Started
		}
	}
	return last
}

func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// fetch copies one object, or re-verifies the copy already there.
func fetch(ctx context.Context, it item, prior ObjectLine, now func() time.Time) (*ObjectLine, error) {
	listed := it.store.listed[it.key]
	etag := strings.Trim(aws.ToString(listed.ETag), `"`)
	kind := "log"
	if it.obj.Place.Digest {
		kind = "digest"
	}
	line := &ObjectLine{Type: "object", Kind: kind, Bucket: it.store.loc.Bucket, Key: it.key, Path: it.rel,
		ETag: etag, Size: aws.ToInt64(listed.Size), LastModified: aws.ToTime(listed.LastModified).UTC()}
	if _, err := os.Lstat(it.path); err == nil {
		sum, size, err := fileSHA256(it.path)
		if err != nil {
			return nil, fmt.Errorf("re-verify %s: %w", it.path, err)
		}
		if prior.SHA256 != "" {
			line.VersionID = prior.VersionID
			line.SHA256 = sum
			line.At = now().UTC()
			switch {
			case sum != prior.SHA256:
				line.Action, line.Detail = "conflict", fmt.Sprintf("the copy's bytes (SHA-256 %s) differ from what was collected (%s): the copy changed; kept as it is", sum, prior.SHA256)
			case prior.ETag != etag || prior.Size != line.Size:
				line.Action, line.Detail = "conflict", fmt.Sprintf("the object in the bucket changed since it was collected (ETag %s, was %s): the copy was kept", etag, prior.ETag)
			default:
				line.Action = "verified"
				if it.obj.Place.Digest {
					if _, err := os.Stat(it.path + integrity.SidecarSuffix); err != nil {
						// The sidecar was lost: fetch the metadata again below.
						break
					}
				}
				return line, nil
			}
			if line.Action == "conflict" {
				return line, nil
			}
		}
		// In the copy but not recorded (an interrupted run, or files put
		// there by hand): compare with the object's bytes.
		tmp, got, res, err := download(ctx, it)
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		line.VersionID, line.SHA256, line.At = aws.ToString(res.VersionId), got, now().UTC()
		if got != sum || size != line.Size && line.Size != 0 {
			line.Action, line.Detail = "conflict", fmt.Sprintf("the copy already holds different bytes (SHA-256 %s) from the object (%s): kept, not overwritten", sum, got)
			return line, nil
		}
		if it.obj.Place.Digest {
			if err := writeSidecar(it, res.Metadata, line); err != nil {
				return nil, err
			}
		}
		line.Action = "verified"
		return line, nil
	}
	tmp, got, res, err := download(ctx, it)
	if err != nil {
		return nil, err
	}
	line.VersionID, line.SHA256, line.At = aws.ToString(res.VersionId), got, now().UTC()
	if it.obj.Place.Digest {
		if err := writeSidecar(it, res.Metadata, line); err != nil {
			os.Remove(tmp)
			return nil, err
		}
	}
	// Link rather than rename: it fails if the file appeared meanwhile, so
	// nothing is ever overwritten.
	if err := os.Link(tmp, it.path); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("place %s: %w", it.path, err)
	}
	os.Remove(tmp)
	line.Action = "copied"
	return line, nil
}

type getResult struct {
	VersionId *string
	Metadata  map[string]string
}

// download writes the object to a temporary file beside its place and
// returns the file, its SHA-256 and the response's facts.
func download(ctx context.Context, it item) (string, string, *getResult, error) {
	res, err := it.store.get(ctx, it.key)
	if err != nil {
		return "", "", nil, err
	}
	defer res.Body.Close()
	if err := os.MkdirAll(filepath.Dir(it.path), 0o755); err != nil {
		return "", "", nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(it.path), ".part-*")
	if err != nil {
		return "", "", nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), res.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && res.ContentLength != nil && n != *res.ContentLength {
		err = fmt.Errorf("short read: %d of %d bytes", n, *res.ContentLength)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", nil, fmt.Errorf("download %s: %w", it.obj.Path, err)
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), &getResult{VersionId: res.VersionId, Metadata: res.Metadata}, nil
}

// writeSidecar writes <digest>.sig.json (see integrity.Sidecar).
func writeSidecar(it item, meta map[string]string, line *ObjectLine) error {
	sc, _ := integrity.SidecarFromMetadata(it.store.loc.Bucket, it.key, meta)
	sc.VersionID, sc.ETag = line.VersionID, line.ETag
	if !line.LastModified.IsZero() {
		sc.LastModified = line.LastModified.Format(time.RFC3339)
	}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return err
	}
	p := it.path + integrity.SidecarSuffix
	if old, err := os.ReadFile(p); err == nil {
		if string(old) == string(b)+"\n" {
			return nil
		}
		return fmt.Errorf("%s exists with other content: kept, not overwritten", p)
	}
	return os.WriteFile(p, append(b, '\n'), 0o644)
}
