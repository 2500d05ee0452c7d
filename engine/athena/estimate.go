package athena

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/engine"
)

// s3Lister is the one S3 call the estimate makes. It never reads an object:
// a CloudTrail log file's size is in its listing, and Athena scans each
// file of a partition whole (they are gzip-compressed JSON, which no
// reader can split or skip into).
type s3Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Location is one table as the estimate sees it: how queries name it and
// where its partitions live.
type Location struct {
	// Table is the quoted identifier queries use ("db"."table").
	Table string
	// Bucket and Root locate the partitions: Root is the key prefix up to
	// and including the organization folder (".../AWSLogs/o-…/"), under
	// which come <account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/.
	Bucket, Root string
	// Accounts and Regions are the values the table projects: a query
	// constrained by day only projects their product times the days, and
	// reads no folder outside them.
	Accounts, Regions []string
}

// Estimate is what a query will read, from the S3 listing of the partitions
// it constrains itself to, before it runs.
type Estimate struct {
	// Bytes and Objects are the sizes and count of the log files in those
	// partitions: what Athena will scan.
	Bytes   int64
	Objects int64
	// Partitions counts the (account, region, day) partitions that hold at
	// least one file; Projected is how many partitions the table's
	// projection makes the query consider (existing or not).
	Partitions int64
	Projected  int64
	// Scans counts the table scans; MaxScan is the most partitions one of
	// them projects (what Trino's per-scan limit applies to).
	Scans, MaxScan int64
	// Days is the partition day range the query reads (inclusive).
	DayFrom, DayTo string
	// CostUSD is Athena's charge for Bytes ($5 per TB, 10 MB minimum).
	CostUSD float64
}

// Estimator estimates queries from S3 listings, listing each (table,
// account, region) once per investigation. It is safe for concurrent use.
type Estimator struct {
	s3       s3Lister
	locs     []Location
	parallel int
	*Listings
}

// Listings are the folder listings estimates rest on; estimators over the
// same bucket may share them (cmd/ keeps them for a few minutes per
// process).
type Listings struct {
	mu       sync.Mutex
	pairs    map[string][]string        // bucket/root -> account/region folders
	days     map[string]*listed         // bucket/root+account/region -> sizes per day
	inflight map[string]*sync.WaitGroup // keys being listed
	errs     map[string]error           // keys whose listing failed
	// Requests counts the ListObjectsV2 calls made, for tests and the
	// progress line.
	Requests int64
	// KeepFiles keeps each listed object's key, size and ETag (for
	// --inventory); set it before the first listing.
	KeepFiles bool
}

// NewListings returns an empty listing cache.
func NewListings() *Listings {
	return &Listings{pairs: map[string][]string{}, days: map[string]*listed{}, inflight: map[string]*sync.WaitGroup{}, errs: map[string]error{}}
}

type listed struct {
	from, to string
	size     map[string]int64               // day -> bytes
	count    map[string]int64               // day -> objects
	files    map[string][]engine.SourceFile // day -> objects (KeepFiles)
}

// NewEstimator returns an Estimator over the given tables. parallel bounds
// the listings in flight (default 16); shared, if not nil, are listings
// another estimator over the same buckets made.
func NewEstimator(client s3Lister, locs []Location, parallel int, shared *Listings) *Estimator {
	if parallel <= 0 {
		parallel = 16
	}
	if shared == nil {
		shared = NewListings()
	}
	return &Estimator{s3: client, locs: locs, parallel: parallel, Listings: shared}
}

var (
	dayArgRe   = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}$`)
	accountDir = regexp.MustCompile(`^[0-9]{12}$`)
	regionDir  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// DayRange is the partition day range a query constrains itself to: every
// catalog query bounds "day" by two "day" parameters, and only that type is
// rendered as YYYY/MM/DD, so the range is the least and greatest such
// argument.
func DayRange(args []any) (from, to string, ok bool) {
	for _, a := range args {
		s, isStr := a.(string)
		if !isStr || !dayArgRe.MatchString(s) {
			continue
		}
		if from == "" || s < from {
			from = s
		}
		if s > to {
			to = s
		}
	}
	return from, to, from != ""
}

// Tables are the locations q reads.
func (e *Estimator) Tables(sql string) []Location {
	var out []Location
	for _, l := range e.locs {
		if strings.Contains(sql, l.Table) {
			out = append(out, l)
		}
	}
	return out
}

// Query estimates one query. A query that names no configured table or no
// day range cannot be estimated: that is an error, never a zero. A query
// whose table references are scoped (ParseScans) reads only the folders its
// scans name, and projects what they name.
func (e *Estimator) Query(ctx context.Context, q engine.Query) (Estimate, error) {
	est, _, err := e.read(ctx, q, false)
	return est, err
}

// read lists what q reads and, with files, returns the log files themselves
// (Listings.KeepFiles must be set for them to be known).
func (e *Estimator) read(ctx context.Context, q engine.Query, files bool) (Estimate, []engine.SourceFile, error) {
	from, to, ok := DayRange(q.Args)
	if !ok {
		return Estimate{}, nil, fmt.Errorf("estimate %s: the query has no partition day range", q.Name)
	}
	locs := e.Tables(q.SQL)
	if len(locs) == 0 {
		return Estimate{}, nil, fmt.Errorf("estimate %s: the query reads no configured table", q.Name)
	}
	est := Estimate{DayFrom: from, DayTo: to}
	var out []engine.SourceFile
	ndays := int64(len(daysBetween(from, to)))
	scans := ParseScans(q.SQL, q.Args)
	for _, l := range locs {
		parts, err := e.partitions(ctx, l)
		if err != nil {
			return Estimate{}, nil, fmt.Errorf("estimate %s: %w", q.Name, err)
		}
		scoped := map[string]bool{}
		n := 0
		for _, s := range scans {
			if s.Table != l.Table {
				continue
			}
			n++
			p := s.Partitions()
			est.Projected += p
			est.MaxScan = max(est.MaxScan, p)
			for _, a := range s.Accounts {
				for _, r := range s.Regions {
					scoped[a+"/"+r] = true
				}
			}
		}
		if n > 0 {
			parts = slices.DeleteFunc(parts, func(p string) bool { return !scoped[p] })
		} else {
			p := int64(len(l.Accounts)) * int64(len(l.Regions)) * ndays
			est.Projected += p
			est.MaxScan = max(est.MaxScan, p)
		}
		est.Scans += int64(max(n, 1))
		// Every partition under this table is listed over the range, in
		// parallel, once per investigation.
		sem := make(chan struct{}, e.parallel)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for _, p := range parts {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				d, err := e.listDays(ctx, l, p, from, to)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					return
				}
				for day, n := range d.count {
					if day >= from && day <= to && n > 0 {
						est.Partitions++
						est.Objects += n
						est.Bytes += d.size[day]
						if files {
							out = append(out, d.files[day]...)
						}
					}
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return Estimate{}, nil, fmt.Errorf("estimate %s: %w", q.Name, firstErr)
		}
	}
	est.CostUSD = Cost(est.Bytes)
	return est, out, nil
}

// Folders are the account/region folders ("account/region") of the table
// queries name table (quoted), among the accounts and regions it is set up
// for, from one listing per investigation; where is its S3 location.
func (e *Estimator) Folders(ctx context.Context, table string) (folders []string, where string, err error) {
	for _, l := range e.locs {
		if l.Table == table {
			f, err := e.partitions(ctx, l)
			return f, "s3://" + l.Bucket + "/" + l.Root, err
		}
	}
	return nil, "", fmt.Errorf("no configured table %s", table)
}

// YearDelimiter rolls a listing up at the first "/2" after the prefix: in
// CloudTrail's layout (<account>/CloudTrail/<region>/<yyyy>/...) that is
// the start of the year folder, since account ids, "CloudTrail" and region
// names never put a 2 right after a slash. One paginated listing of the
// organization folder thus names every account/region folder (about 1,000
// per request) instead of one request per account.
const YearDelimiter = "/2"

// Pairs lists the account/region folders under root that hold CloudTrail
// logs ("CloudTrail/", never "CloudTrail-Digest/" or "CloudTrail-Insight/"),
// as "account/region", sorted.
func Pairs(ctx context.Context, c s3Lister, bucket, root string, count func()) ([]string, error) {
	var out []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(root), Delimiter: aws.String(YearDelimiter)}
	for {
		if count != nil {
			count()
		}
		page, err := c.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, root, err)
		}
		for _, p := range page.CommonPrefixes {
			rest := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), root), YearDelimiter)
			parts := strings.Split(rest, "/")
			if len(parts) == 3 && accountDir.MatchString(parts[0]) && parts[1] == "CloudTrail" && regionDir.MatchString(parts[2]) {
				out = append(out, parts[0]+"/"+parts[2])
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			break
		}
		in.ContinuationToken = page.NextContinuationToken
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// partitions are the account/region folders under a table's root, listed
// once.
func (e *Estimator) partitions(ctx context.Context, l Location) ([]string, error) {
	root := l.Bucket + "/" + l.Root
	e.mu.Lock()
	pairs, ok := e.pairs[root]
	e.mu.Unlock()
	if !ok {
		var err error
		if pairs, err = Pairs(ctx, e.s3, l.Bucket, l.Root, e.count); err != nil {
			return nil, err
		}
		e.mu.Lock()
		e.pairs[root] = pairs
		e.mu.Unlock()
	}
	// Folders of accounts or regions the table does not project are never
	// read by a query over it.
	acct, reg := map[string]bool{}, map[string]bool{}
	for _, a := range l.Accounts {
		acct[a] = true
	}
	for _, r := range l.Regions {
		reg[r] = true
	}
	return slices.DeleteFunc(slices.Clone(pairs), func(p string) bool {
		a, r, _ := strings.Cut(p, "/")
		return !acct[a] || !reg[r]
	}), nil
}

func (e *Estimator) count() {
	e.mu.Lock()
	e.Requests++
	e.mu.Unlock()
}

// Prefetch lists, once, the union of the day ranges of the given queries,
// so queries over nested ranges (exfil's window inside its baseline) share
// one listing of each folder.
func (e *Estimator) Prefetch(ctx context.Context, qs []engine.Query) error {
	ranges := map[string][2]string{} // table -> union range
	for _, q := range qs {
		from, to, ok := DayRange(q.Args)
		if !ok {
			continue
		}
		for _, l := range e.Tables(q.SQL) {
			r, seen := ranges[l.Table]
			if !seen || from < r[0] {
				r[0] = from
			}
			if !seen || to > r[1] {
				r[1] = to
			}
			ranges[l.Table] = r
		}
	}
	for _, l := range e.locs {
		r, ok := ranges[l.Table]
		if !ok {
			continue
		}
		if _, err := e.Query(ctx, engine.Query{Name: "prefetch", SQL: l.Table, Args: []any{r[0], r[1]}}); err != nil {
			return err
		}
	}
	return nil
}

// listDays lists the files of one account/region folder whose day folder
// is in [from, to]: the listing starts just before from's folder and stops
// after to's, so only the window's day prefixes are listed.
func (e *Estimator) listDays(ctx context.Context, l Location, part, from, to string) (*listed, error) {
	key := l.Bucket + "/" + l.Root + part
	for {
		e.mu.Lock()
		if d, ok := e.days[key]; ok && d.from <= from && d.to >= to {
			e.mu.Unlock()
			return d, nil
		}
		if err := e.errs[key]; err != nil {
			e.mu.Unlock()
			return nil, err
		}
		if wg, busy := e.inflight[key]; busy {
			e.mu.Unlock()
			wg.Wait()
			continue
		}
		// Widen to what was listed before so the cache stays one range.
		if d, ok := e.days[key]; ok {
			from, to = min(from, d.from), max(to, d.to)
		}
		wg := &sync.WaitGroup{}
		wg.Add(1)
		e.inflight[key] = wg
		e.mu.Unlock()
		d, err := e.list(ctx, l, part, from, to)
		e.mu.Lock()
		delete(e.inflight, key)
		if err != nil {
			e.errs[key] = err
		} else {
			e.days[key] = d
		}
		e.mu.Unlock()
		wg.Done()
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

func (e *Estimator) list(ctx context.Context, l Location, part, from, to string) (*listed, error) {
	bucket := l.Bucket
	acct, region, _ := strings.Cut(part, "/")
	prefix := l.Root + acct + "/CloudTrail/" + region + "/"
	d := &listed{from: from, to: to, size: map[string]int64{}, count: map[string]int64{}, files: map[string][]engine.SourceFile{}}
	e.mu.Lock()
	keep := e.KeepFiles
	e.mu.Unlock()
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix),
		// Keys sort by day folder: start right before from's folder.
		StartAfter: aws.String(prefix + from)}
	for {
		e.count()
		page, err := e.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			rest := strings.TrimPrefix(aws.ToString(o.Key), prefix)
			if len(rest) < 11 || rest[10] != '/' {
				continue // not under a yyyy/MM/dd/ folder
			}
			day := rest[:10]
			if day > to {
				return d, nil
			}
			if day < from {
				continue
			}
			d.size[day] += aws.ToInt64(o.Size)
			d.count[day]++
			if keep {
				d.files[day] = append(d.files[day], engine.SourceFile{Path: "s3://" + bucket + "/" + aws.ToString(o.Key),
					Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`)})
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return d, nil
		}
		in.ContinuationToken = page.NextContinuationToken
		in.StartAfter = nil
	}
}

// daysBetween lists the days from..to (YYYY/MM/DD, inclusive).
func daysBetween(from, to string) []string {
	var out []string
	t, err := time.Parse("2006/01/02", from)
	if err != nil {
		return nil
	}
	for d := t.Format("2006/01/02"); d <= to; d = t.Format("2006/01/02") {
		out = append(out, d)
		t = t.AddDate(0, 0, 1)
	}
	return out
}

// Span is the first and last day (YYYY/MM/DD) of any log file in the
// table's account/region folders, from their year, month and day folder
// names (delimited listings, never an object's content): at most
// maxFolders folders, spread over the listing, at most six calls each.
// listed and of say how many folders it read of how many there are.
func (e *Estimator) Span(ctx context.Context, table string, maxFolders int) (first, last string, listed, of int, err error) {
	var loc *Location
	for i := range e.locs {
		if e.locs[i].Table == table {
			loc = &e.locs[i]
		}
	}
	if loc == nil {
		return "", "", 0, 0, fmt.Errorf("no configured table %s", table)
	}
	parts, err := e.partitions(ctx, *loc)
	if err != nil {
		return "", "", 0, 0, err
	}
	pick := parts
	if maxFolders > 0 && len(parts) > maxFolders {
		pick = nil
		for i := 0; i < maxFolders; i++ {
			pick = append(pick, parts[i*(len(parts)-1)/(maxFolders-1)])
		}
	}
	for _, p := range pick {
		acct, region, _ := strings.Cut(p, "/")
		prefix := loc.Root + acct + "/CloudTrail/" + region + "/"
		lo, hi, err := e.folderSpan(ctx, loc.Bucket, prefix)
		if err != nil {
			return "", "", 0, 0, err
		}
		if lo != "" && (first == "" || lo < first) {
			first = lo
		}
		if hi > last {
			last = hi
		}
	}
	return first, last, len(pick), len(parts), nil
}

// folderSpan is the least and greatest yyyy/MM/dd folder under prefix.
func (e *Estimator) folderSpan(ctx context.Context, bucket, prefix string) (lo, hi string, err error) {
	children := func(p string) ([]string, error) {
		var out []string
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(p), Delimiter: aws.String("/")}
		for {
			e.count()
			page, err := e.s3.ListObjectsV2(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, p, err)
			}
			for _, c := range page.CommonPrefixes {
				name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(c.Prefix), p), "/")
				if name != "" && strings.Trim(name, "0123456789") == "" {
					out = append(out, name)
				}
			}
			if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
				break
			}
			in.ContinuationToken = page.NextContinuationToken
		}
		slices.Sort(out)
		return out, nil
	}
	// end walks down year, month, day taking the first (or last) folder.
	end := func(last bool) (string, error) {
		p, day := prefix, ""
		for range 3 {
			kids, err := children(p)
			if err != nil || len(kids) == 0 {
				return "", err
			}
			k := kids[0]
			if last {
				k = kids[len(kids)-1]
			}
			p += k + "/"
			day += k + "/"
		}
		day = strings.TrimSuffix(day, "/")
		if !dayArgRe.MatchString(day) {
			return "", nil
		}
		return day, nil
	}
	if lo, err = end(false); err != nil || lo == "" {
		return "", "", err
	}
	hi, err = end(true)
	return lo, hi, err
}
