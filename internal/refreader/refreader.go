// Package refreader is the independent, plain-Go reference reader of
// CloudTrail files. It walks a folder in any of the three layouts ctathena
// reads (organization trail, single-account trail, or a plain folder of
// .json / .json.gz files), decodes every record with encoding/json and
// computes the exfiltration answers from first principles, without SQL. It
// exists so golden tests can derive expected answers independently of the
// query catalog, and as the baseline the engines are benchmarked against.
// It is deliberately simple: correctness over speed, no shared code with
// the engines.
package refreader

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options select what Exfil answers.
type Options struct {
	// Bucket is the S3 bucket whose object reads are counted.
	Bucket string
	// Since and Until bound eventTime, half-open: [Since, Until).
	Since, Until time.Time
	// Workers decode files in parallel; zero means 2.
	Workers int
}

// Reader is one (principal, source IP, user agent) group's reads.
type Reader struct {
	Principal string `json:"principal"`
	SourceIP  string `json:"source_ip"`
	UserAgent string `json:"user_agent"`
	// Objects counts distinct eventIDs of successful GetObject calls.
	Objects      int64     `json:"objects"`
	DistinctKeys int64     `json:"distinct_keys"`
	Bytes        int64     `json:"bytes"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
}

// Answer is the exfil answer plus what was read to get it.
type Answer struct {
	Bucket string    `json:"bucket"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	// Readers are ordered by bytes, then principal, IP and agent.
	Readers []Reader `json:"readers"`
	// Objects, Bytes and DistinctKeys are over all readers.
	Objects      int64 `json:"objects"`
	Bytes        int64 `json:"bytes"`
	DistinctKeys int64 `json:"distinct_keys"`
	// FailedReads are distinct GetObject calls on the bucket in the window
	// that returned an error code; they are not counted as objects.
	FailedReads int64 `json:"failed_reads"`

	Files       int   `json:"files"`
	FilesPruned int   `json:"files_pruned"`
	Records     int64 `json:"records"`
	// Events is the number of distinct eventIDs among the records read.
	Events           int64     `json:"events"`
	DuplicateRecords int64     `json:"duplicate_records"`
	Skipped          []Skipped `json:"skipped"`
}

// Skipped is a file that could not be read, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Principal names the caller of an event the way the exfil answers do: the
// ARN when there is one, the invoking service for AWS services, "anonymous"
// for unauthenticated requests, else the account id, else the principal id.
func Principal(typ, arn, accountID, principalID, invokedBy string) string {
	switch {
	case arn != "":
		return arn
	case typ == "AWSService" && invokedBy != "":
		return invokedBy
	case accountID == "anonymous" || principalID == "ANONYMOUS_PRINCIPAL":
		return "anonymous"
	case accountID != "":
		return accountID
	default:
		return principalID
	}
}

// Exfil reads every CloudTrail file under root whose delivery day can hold
// events of the window and answers who read what from opt.Bucket.
func Exfil(ctx context.Context, root string, opt Options) (*Answer, error) {
	if opt.Bucket == "" {
		return nil, errors.New("reference exfil: a bucket is needed")
	}
	if !opt.Since.Before(opt.Until) {
		return nil, fmt.Errorf("reference exfil: window %s .. %s is empty", opt.Since.Format(time.RFC3339), opt.Until.Format(time.RFC3339))
	}
	files, pruned, err := listFiles(root, opt.Since, opt.Until)
	if err != nil {
		return nil, fmt.Errorf("reference exfil: %w", err)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 2
	}
	results := make([]fileResult, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = readFile(files[i], opt)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reference exfil: %w", err)
	}

	ans := &Answer{Bucket: opt.Bucket, Since: opt.Since.UTC(), Until: opt.Until.UTC(), Files: len(files), FilesPruned: pruned}
	seen := make(map[string]struct{})
	reads := make(map[string]read)
	failed := make(map[string]struct{})
	for i, res := range results {
		if res.err != nil {
			ans.Skipped = append(ans.Skipped, Skipped{Path: files[i], Reason: res.err.Error()})
			continue
		}
		ans.Records += int64(len(res.ids))
		for _, id := range res.ids {
			if _, dup := seen[id]; dup {
				ans.DuplicateRecords++
				continue
			}
			seen[id] = struct{}{}
		}
		for _, rd := range res.reads {
			if rd.failed {
				failed[rd.eventID] = struct{}{}
				continue
			}
			reads[rd.eventID] = rd
		}
	}
	ans.Events = int64(len(seen))
	ans.FailedReads = int64(len(failed))

	type group struct {
		Reader
		keys map[string]struct{}
	}
	groups := map[[3]string]*group{}
	allKeys := map[string]struct{}{}
	for _, rd := range reads {
		k := [3]string{rd.principal, rd.ip, rd.agent}
		g := groups[k]
		if g == nil {
			g = &group{Reader: Reader{Principal: rd.principal, SourceIP: rd.ip, UserAgent: rd.agent, FirstSeen: rd.at, LastSeen: rd.at}, keys: map[string]struct{}{}}
			groups[k] = g
		}
		g.Objects++
		g.Bytes += rd.bytes
		g.keys[rd.key] = struct{}{}
		allKeys[rd.key] = struct{}{}
		if rd.at.Before(g.FirstSeen) {
			g.FirstSeen = rd.at
		}
		if rd.at.After(g.LastSeen) {
			g.LastSeen = rd.at
		}
		ans.Objects++
		ans.Bytes += rd.bytes
	}
	ans.DistinctKeys = int64(len(allKeys))
	for _, g := range groups {
		g.DistinctKeys = int64(len(g.keys))
		ans.Readers = append(ans.Readers, g.Reader)
	}
	sort.Slice(ans.Readers, func(i, j int) bool {
		a, b := ans.Readers[i], ans.Readers[j]
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.SourceIP != b.SourceIP {
			return a.SourceIP < b.SourceIP
		}
		return a.UserAgent < b.UserAgent
	})
	sort.Slice(ans.Skipped, func(i, j int) bool { return ans.Skipped[i].Path < ans.Skipped[j].Path })
	return ans, nil
}

// partitionPath finds the delivery day in a trail path.
var partitionPath = regexp.MustCompile(`(?:^|/)CloudTrail/[^/]+/(\d{4})/(\d{2})/(\d{2})/`)

// listFiles returns the CloudTrail files under root, sorted, leaving out
// those in day folders that cannot hold events of [since, until): folder
// dates are delivery dates, so a day of padding is kept on each side.
func listFiles(root string, since, until time.Time) (files []string, pruned int, err error) {
	// A trail tree keeps its logs under AWSLogs/; anything beside it (a
	// README, a truth.json) is not CloudTrail.
	if st, err := os.Stat(filepath.Join(root, "AWSLogs")); err == nil && st.IsDir() {
		root = filepath.Join(root, "AWSLogs")
	}
	lo := since.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	hi := until.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", path, err)
		}
		if d.IsDir() {
			if n := d.Name(); n == "CloudTrail-Digest" || n == "CloudTrail-Insight" {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".json.gz") {
			return nil
		}
		if m := partitionPath.FindStringSubmatch(filepath.ToSlash(path)); m != nil {
			day, perr := time.Parse("2006/01/02", m[1]+"/"+m[2]+"/"+m[3])
			if perr == nil && (day.Before(lo) || day.After(hi)) {
				pruned++
				return nil
			}
		}
		files = append(files, path)
		return nil
	})
	sort.Strings(files)
	return files, pruned, err
}

type read struct {
	eventID   string
	principal string
	ip        string
	agent     string
	key       string
	bytes     int64
	at        time.Time
	failed    bool
}

type fileResult struct {
	ids   []string
	reads []read
	err   error
}

type identity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	InvokedBy   string `json:"invokedBy"`
}

// record holds only what the answers need. Request parameters and extra
// data stay raw so an odd value in an unrelated event cannot fail a file.
type record struct {
	EventID             string          `json:"eventID"`
	EventTime           string          `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	ErrorCode           string          `json:"errorCode"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	UserIdentity        *identity       `json:"userIdentity"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
}

func readFile(path string, opt Options) (res fileResult) {
	data, err := load(path)
	if err != nil {
		return fileResult{err: err}
	}
	var recs []json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &recs)
	} else {
		var env struct {
			Records []json.RawMessage `json:"Records"`
		}
		err = json.Unmarshal(trimmed, &env)
		recs = env.Records
	}
	if err != nil {
		return fileResult{err: fmt.Errorf("decode: %w", err)}
	}
	for i, raw := range recs {
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fileResult{err: fmt.Errorf("decode record %d: %w", i, err)}
		}
		res.ids = append(res.ids, rec.EventID)
		if rec.EventName != "GetObject" || rec.EventSource != "s3.amazonaws.com" {
			continue
		}
		var params struct {
			BucketName any `json:"bucketName"`
			Key        any `json:"key"`
		}
		if len(rec.RequestParameters) > 0 {
			if err := json.Unmarshal(rec.RequestParameters, &params); err != nil {
				return fileResult{err: fmt.Errorf("decode record %d requestParameters: %w", i, err)}
			}
		}
		if b, _ := params.BucketName.(string); b != opt.Bucket {
			continue
		}
		at, err := time.Parse(time.RFC3339, rec.EventTime)
		if err != nil {
			return fileResult{err: fmt.Errorf("record %d: parse eventTime %q: %w", i, rec.EventTime, err)}
		}
		if at.Before(opt.Since) || !at.Before(opt.Until) {
			continue
		}
		rd := read{eventID: rec.EventID, ip: rec.SourceIPAddress, agent: rec.UserAgent, at: at.UTC(), failed: rec.ErrorCode != ""}
		rd.key, _ = params.Key.(string)
		if id := rec.UserIdentity; id != nil {
			rd.principal = Principal(id.Type, id.ARN, id.AccountID, id.PrincipalID, id.InvokedBy)
		}
		if rd.bytes, err = bytesOut(rec.AdditionalEventData); err != nil {
			return fileResult{err: fmt.Errorf("record %d: %w", i, err)}
		}
		res.reads = append(res.reads, rd)
	}
	return res
}

// bytesOut reads additionalEventData.bytesTransferredOut, which CloudTrail
// writes as an integer or a float (1234.0); absent means zero.
func bytesOut(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var extra struct {
		Out json.RawMessage `json:"bytesTransferredOut"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return 0, fmt.Errorf("decode additionalEventData: %w", err)
	}
	s := strings.Trim(string(extra.Out), `"`)
	if s == "" || s == "null" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("parse bytesTransferredOut %q: %w", s, err)
	}
	return int64(f), nil
}

func load(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("open gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return data, nil
}
