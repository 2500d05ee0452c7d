package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/internal/par"
)

// ErrNoLogs is returned (wrapped) by Open when the logs folder is missing,
// is not a folder, or holds no CloudTrail file. The CLI maps it to a usage
// error.
var ErrNoLogs = errors.New("no CloudTrail logs")

// layoutDirRe matches the folder of a file in the org layout
// (AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/file) or the
// single-account layout (the same without the org id). The fourth group is
// the product folder, so CloudTrail-Digest and CloudTrail-Insight are told
// apart from CloudTrail.
//
// layoutDirRe is the same rule for the day folder a file sits in directly.
var layoutDirRe = regexp.MustCompile(`(?:^|/)AWSLogs/(?:(o-[a-z0-9]{10,32})/)?([0-9]{12})/(CloudTrail[A-Za-z-]*)/([A-Za-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})$`)

// folder is the folder files sit in directly, shared by them: a month of
// an organization's trail is ~150,000 files in a few thousand folders, and
// the file list was most of the loader's Go heap (42 MiB with a full path
// and the partition strings in every entry).
type folder struct {
	path string
	// rel is path relative to the walked folder, with slashes ("" for the
	// folder itself): a file's relative path is rel + "/" + name, built
	// only where it is needed (see (*sourceFile).rel).
	rel string
	// layout is true for an AWSLogs day folder; its files' partition
	// columns come from the path. Plain files take them from each event.
	layout               bool
	account, region, day string
}

// sourceFile is one file selected or considered for loading.
type sourceFile struct {
	// id is the file's place in the discovery's sorted list; the table's
	// src column holds it.
	id   int32
	dir  *folder
	name string
	// readAs is what DuckDB reads instead of path, if set (see prepare).
	readAs                string
	size                  int64 // on disk
	estimatedUncompressed int64
}

// path is the file's path.
func (f *sourceFile) path() string { return f.dir.path + string(filepath.Separator) + f.name }

// rel is the file's path relative to the walked folder, with slashes.
func (f *sourceFile) rel() string {
	if f.dir.rel == "" {
		return f.name
	}
	return f.dir.rel + "/" + f.name
}

// appendRel appends rel() to b without building it.
func (f *sourceFile) appendRel(b []byte) []byte {
	if f.dir.rel != "" {
		b = append(append(b, f.dir.rel...), '/')
	}
	return append(b, f.name...)
}

// compareRel compares f.rel() with p, without building f.rel().
func (f *sourceFile) compareRel(p string) int {
	dir := f.dir.rel
	if dir == "" {
		return strings.Compare(f.name, p)
	}
	n := min(len(dir), len(p))
	if c := strings.Compare(dir[:n], p[:n]); c != 0 {
		return c
	}
	if len(p) == n { // p is dir or a prefix of it: the file's path is longer
		return 1
	}
	if p[n] != '/' {
		if '/' < p[n] {
			return -1
		}
		return 1
	}
	return strings.Compare(f.name, p[n+1:])
}

// relLess reports whether a.rel() < b.rel(), without building them.
func relLess(a, b *sourceFile) bool {
	if a.dir.rel == b.dir.rel {
		return a.name < b.name
	}
	// Files of different folders: rare next to each other (once per
	// folder), so byte by byte.
	at := func(f *sourceFile, i int) (byte, bool) {
		d := f.dir.rel
		switch {
		case d == "":
			if i < len(f.name) {
				return f.name[i], true
			}
		case i < len(d):
			return d[i], true
		case i == len(d):
			return '/', true
		case i-len(d)-1 < len(f.name):
			return f.name[i-len(d)-1], true
		}
		return 0, false
	}
	for i := 0; ; i++ {
		x, okA := at(a, i)
		y, okB := at(b, i)
		switch {
		case !okA || !okB:
			return !okA && okB
		case x != y:
			return x < y
		}
	}
}

// discovery is what walking the logs folder found.
type discovery struct {
	selected []sourceFile
	pruned   int
	// partitionPruned counts the files of pruned baseline partitions
	// (see PartitionRule), included in pruned.
	partitionPruned int
	prunedParts     map[partition]bool
	// deliveredEarly counts files named as delivered before the window
	// (see discover), included in pruned.
	deliveredEarly int
	ignored        int // digest/insight files
	// digests is true when the folder holds a CloudTrail-Digest folder
	// anywhere (in the window or not): only then can a log file's
	// inflated hash serve the integrity check (see Options.FileRead).
	digests bool
	// notCT are files whose name and content say they are not CloudTrail
	// logs (see sniff); they are listed, never read.
	notCT []string
	// firstDay and lastDay (YYYY/MM/DD) are the earliest and latest
	// AWSLogs day folders holding a trail file, in the window or not.
	firstDay, lastDay string
}

// seeDay widens the discovery's day range.
func (d *discovery) seeDay(day string) {
	if d.firstDay == "" || day < d.firstDay {
		d.firstDay = day
	}
	if day > d.lastDay {
		d.lastDay = day
	}
}

// sniff reads the start of a file whose name does not say CloudTrail and
// reports whether its content does: a CloudTrail log is a JSON object
// whose first key is "Records", as delivered or gzipped (magic 1f 8b).
// Renamed downloads and evidence copies lose their extensions.
func sniff(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [512]byte
	n, _ := io.ReadFull(f, head[:])
	b := head[:n]
	if n >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			return false
		}
		var plain [512]byte
		m, _ := io.ReadFull(zr, plain[:])
		b = plain[:m]
	}
	return looksLikeTrail(b)
}

// looksLikeTrail reports whether b opens a JSON object with "Records".
func looksLikeTrail(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	return bytes.HasPrefix(b[i:], []byte(`"Records"`))
}

func isTrailFile(name string) bool {
	return hasSuffixFold(name, ".json") || hasSuffixFold(name, ".json.gz")
}

// hasSuffixFold is strings.HasSuffix ignoring ASCII case, without
// allocating (it runs once per file of the logs folder).
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// dayWindow returns the delivery-day bounds (YYYY/MM/DD, inclusive) a file's
// folder date must fall in: Athena partition projection pads by one day on
// each side because folders are named for the delivery date, which can trail
// or (with clock skew) lead the event time. Empty means unbounded.
func dayWindow(from, to time.Time) (lo, hi string) {
	if !from.IsZero() {
		lo = from.UTC().AddDate(0, 0, -1).Format("2006/01/02")
	}
	if !to.IsZero() {
		hi = to.UTC().AddDate(0, 0, 1).Format("2006/01/02")
	}
	return lo, hi
}

func discover(dir string, from, to time.Time) (*discovery, error) {
	if dir == "" {
		return nil, fmt.Errorf("open logs: no folder given (pass --logs DIR): %w", ErrNoLogs)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open logs folder %s: %v: %w", dir, err, ErrNoLogs)
	}
	st, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--logs %s: no such folder (check the path): %w", dir, ErrNoLogs)
		}
		return nil, fmt.Errorf("--logs %s: %v: %w", dir, errors.Unwrap(err), ErrNoLogs)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--logs %s: not a folder (pass the folder that holds AWSLogs/ or the .json.gz files): %w", dir, ErrNoLogs)
	}
	lo, hi := dayWindow(from, to)
	d := &discovery{}
	// A file named as delivered before the window starts holds no event of
	// it: "a log file delivered at a specific time can contain records
	// written at any point before that time" (CloudTrail's log file name
	// format). The padding day before the window is mostly such files.
	// An hour of margin allows for clocks.
	cutoff := ""
	if !from.IsZero() {
		cutoff = from.UTC().Add(-deliveryMargin).Format("20060102T1504")
	}
	// Layout day folders are recognised once per folder, not per file (a
	// regexp and an lstat per path cost 7 s for the 149,182-file benchmark
	// tree even when one day was wanted); a day folder outside the window
	// is only listed, to count what was pruned, and its files are never
	// examined. Sizes are read later by the loader's workers.
	type dayDir struct {
		path                 string
		skip                 bool // digest/insight product folder
		account, region, day string
	}
	var cur dayDir
	var fold *folder
	// Day folders are listed by a few goroutines once the walk has found
	// them (dayJob); what they find is merged in the walk's order. The
	// files named as not CloudTrail keep that order: the walk's own go to
	// the part after the last day folder found.
	type dayJob struct {
		dd     dayDir
		inside bool // in the window: its files are selected, else counted
		part   int  // its part of notCT
		// walk is set when the folder holds sub-folders (never written by
		// a trail): it is then walked like any other folder.
		walk          bool
		files         []sourceFile
		notCT         []string
		pruned, early int
	}
	var jobs []*dayJob
	notCT := [][]string{nil}
	part := 0
	walkInto := ""
	walkFn := func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable sub-folder must not hide the rest; it is
			// reported through the walk error only if the root fails.
			if p == abs {
				return err
			}
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			name := e.Name()
			if len(name) != 2 || name[0] < '0' || name[0] > '9' {
				return nil
			}
			m := layoutDirRe.FindStringSubmatch(filepath.ToSlash(p))
			if m == nil {
				return nil
			}
			dd := dayDir{path: p, account: m[2], region: m[4], day: m[5] + "/" + m[6] + "/" + m[7], skip: m[3] != "CloudTrail"}
			d.digests = d.digests || m[3] == "CloudTrail-Digest"
			if dd.skip || p == walkInto {
				cur = dd
				return nil
			}
			// A day folder: listed once, by the workers, rather than one
			// walk callback (and one joined path) per file; outside the
			// window only to count what was pruned, its files never
			// examined.
			jobs = append(jobs, &dayJob{dd: dd, inside: (lo == "" || dd.day >= lo) && (hi == "" || dd.day <= hi), part: len(notCT)})
			notCT = append(notCT, nil, nil)
			part = len(notCT) - 1
			return fs.SkipDir
		}
		if !e.Type().IsRegular() {
			return nil
		}
		parent := p[:len(p)-len(e.Name())-1]
		if !isTrailFile(e.Name()) {
			if cur.path != "" && parent == cur.path && cur.skip {
				return nil
			}
			if !sniff(p) {
				notCT[part] = append(notCT[part], p)
				return nil
			}
		}
		if cur.path != "" && parent == cur.path {
			if cur.skip {
				d.ignored++
				return nil
			}
			d.seeDay(cur.day)
			if (lo != "" && cur.day < lo) || (hi != "" && cur.day > hi) {
				d.pruned++
				return nil
			}
		} else if slash := filepath.ToSlash(p); strings.Contains(slash, "/CloudTrail-Digest/") || strings.Contains(slash, "/CloudTrail-Insight/") {
			d.digests = d.digests || strings.Contains(slash, "/CloudTrail-Digest/")
			d.ignored++
			return nil
		}
		if cutoff != "" {
			if at, ok := deliveredAt(e.Name()); ok && at < cutoff {
				d.pruned++
				d.deliveredEarly++
				return nil
			}
		}
		if fold == nil || fold.path != parent {
			fold = &folder{path: parent, rel: relTo(abs, parent)}
			if parent == cur.path {
				fold.layout, fold.account, fold.region, fold.day = true, cur.account, cur.region, cur.day
			}
		}
		d.selected = append(d.selected, sourceFile{dir: fold, name: e.Name()})
		return nil
	}
	if err := filepath.WalkDir(abs, walkFn); err != nil {
		return nil, fmt.Errorf("walk logs folder %s: %w", dir, err)
	}
	// Listing the 741 day folders of the 30-day benchmark tree (149,182
	// files): 130-150 ms with os.ReadDir one after the other, 50-90 ms
	// with getdents (readDirTypes), 2 goroutines.
	bufs := make([][]byte, 4)
	for w := range bufs {
		bufs[w] = make([]byte, 32<<10)
	}
	par.For(context.Background(), len(bufs), len(jobs), func(w, k int) {
		buf := bufs[w]
		j := jobs[k]
		ents, err := readDirTypes(j.dd.path, buf)
		if err != nil {
			return // unreadable: skipped, as the walk skips one
		}
		var fold *folder
		if j.inside {
			fold = &folder{path: j.dd.path, rel: relTo(abs, j.dd.path), layout: true, account: j.dd.account, region: j.dd.region, day: j.dd.day}
			j.files = make([]sourceFile, 0, len(ents))
		}
		for _, c := range ents {
			switch {
			case c.dir:
				j.walk = true
			case !c.regular:
			case !j.inside:
				if isTrailFile(c.name) {
					j.pruned++
				}
			case !isTrailFile(c.name) && !sniff(filepath.Join(j.dd.path, c.name)):
				j.notCT = append(j.notCT, filepath.Join(j.dd.path, c.name))
			default:
				if at, ok := deliveredAt(c.name); ok && cutoff != "" && at < cutoff {
					j.pruned++
					j.early++
					continue
				}
				j.files = append(j.files, sourceFile{dir: fold, name: c.name})
			}
			if j.walk {
				break
			}
		}
		sort.Strings(j.notCT)
	})
	var perFolder [][]sourceFile
	for _, j := range jobs {
		if j.walk {
			part, walkInto = j.part, j.dd.path
			if err := filepath.WalkDir(j.dd.path, walkFn); err != nil {
				return nil, fmt.Errorf("walk logs folder %s: %w", dir, err)
			}
			continue
		}
		notCT[j.part] = j.notCT
		d.pruned += j.pruned
		d.deliveredEarly += j.early
		if len(j.files) > 0 || !j.inside && j.pruned > 0 {
			d.seeDay(j.dd.day)
		}
		// One slice per folder, joined once at the end: growing one slice
		// of 150,000 entries cost more (copies and GC assists) than
		// reading the folders.
		perFolder = append(perFolder, j.files)
	}
	for _, p := range notCT {
		d.notCT = append(d.notCT, p...)
	}
	total := len(d.selected)
	for _, part := range perFolder {
		total += len(part)
	}
	all := make([]sourceFile, 0, total)
	all = append(all, d.selected...)
	for _, part := range perFolder {
		all = append(all, part...)
	}
	d.selected = all
	if len(d.selected) == 0 && d.pruned == 0 {
		return nil, noLogsError(dir, d.notCT)
	}
	sort.Slice(d.selected, func(i, j int) bool {
		a, b := &d.selected[i], &d.selected[j]
		if a.dir.path != b.dir.path {
			return a.dir.path < b.dir.path
		}
		return a.name < b.name
	})
	for i := range d.selected {
		d.selected[i].id = int32(i)
	}
	return d, nil
}

// readDirStat lists a folder with os.ReadDir (the types from lstat where
// the file system does not give them).
func readDirStat(dir string) ([]dirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, len(ents))
	for i, c := range ents {
		out[i] = dirEntry{name: c.Name(), dir: c.IsDir(), regular: c.Type().IsRegular()}
	}
	return out, nil
}

// relTo is p relative to root (a folder the walk found under it), with
// slashes; "" for root itself.
func relTo(root, p string) string {
	if p == root {
		return ""
	}
	if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator)); ok {
		return filepath.ToSlash(rel)
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// noLogsError says that dir holds no CloudTrail file, naming a few of the
// files it holds instead.
func noLogsError(dir string, others []string) error {
	what := ""
	if len(others) > 0 {
		names := make([]string, 0, 3)
		base, _ := filepath.Abs(dir)
		for _, p := range others[:min(3, len(others))] {
			if rel, err := filepath.Rel(base, p); err == nil {
				p = rel
			}
			names = append(names, p)
		}
		more := ""
		if len(others) > 3 {
			more = fmt.Sprintf(" and %d more", len(others)-3)
		}
		what = fmt.Sprintf(" (it holds %d other files, such as %s%s)", len(others), strings.Join(names, ", "), more)
	}
	return fmt.Errorf("no CloudTrail log file under %s%s; point --logs at the folder that holds AWSLogs/ or the CloudTrail .json/.json.gz files: %w", dir, what, ErrNoLogs)
}

// deliveryMargin is how long before the window a file may have been
// delivered and still be read (see discover).
const deliveryMargin = time.Hour

// deliveredAt returns the delivery time (YYYYMMDDTHHmm, UTC) in a
// CloudTrail log file name,
// AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString.json.gz; ok is
// false for any other name.
func deliveredAt(name string) (string, bool) {
	var parts [5]string
	n := 0
	for rest := name; ; n++ {
		i := strings.IndexByte(rest, '_')
		if n == 4 {
			if i >= 0 {
				return "", false
			}
			parts[4] = rest
			break
		}
		if i < 0 {
			return "", false
		}
		parts[n], rest = rest[:i], rest[i+1:]
	}
	if len(parts[0]) != 12 || !strings.HasPrefix(parts[1], "CloudTrail") {
		return "", false
	}
	t := parts[3]
	if len(t) != 14 || t[8] != 'T' || t[13] != 'Z' {
		return "", false
	}
	for i, c := range t[:13] {
		if i != 8 && (c < '0' || c > '9') {
			return "", false
		}
	}
	return t[:13], true
}

// estimateSize fills in f's size and a guess of how big it is once
// decompressed, to decide whether the loader streams it or rewrites it per
// record, and to size the JSON reader's object buffer: a CloudTrail file is
// one JSON object, so the buffer must hold the whole file. gzip stores the
// size modulo 2^32 in its last four bytes, which is exact for any file a
// trail writes. fh is the open file.
func estimateSize(f *sourceFile, fh *os.File) error {
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	f.size = st.Size()
	f.estimatedUncompressed = f.size
	var magic [2]byte
	if f.size < 18 {
		return nil
	}
	if _, err := fh.ReadAt(magic[:], 0); err != nil || !isGzipData(magic[:]) {
		return nil
	}
	var b [4]byte
	if _, err := fh.ReadAt(b[:], f.size-4); err != nil {
		return nil
	}
	f.estimatedUncompressed = trailerEstimate(f.size, b[:])
	return nil
}

// isGzipData reports whether b starts with gzip's magic bytes: files are
// recognised by content, whatever their name says.
func isGzipData(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// isGzip reports whether a file name says gzip.
func isGzip(name string) bool {
	n := len(name)
	return n >= 3 && name[n-3] == '.' && (name[n-2]|0x20) == 'g' && (name[n-1]|0x20) == 'z'
}

// estimateFromTrailer is estimateSize for a file read whole into raw.
func estimateFromTrailer(name string, raw []byte) int64 {
	size := int64(len(raw))
	if !isGzipData(raw) || size < 18 {
		return size
	}
	return trailerEstimate(size, raw[size-4:])
}

// trailerEstimate reads gzip's ISIZE (the last four bytes, trailer) of a
// file of size bytes.
func trailerEstimate(size int64, trailer []byte) int64 {
	n := int64(binary.LittleEndian.Uint32(trailer))
	if n < size || n > size*200 {
		// Truncated or multi-member files lie; assume a typical ratio.
		n = size * 20
	}
	return n
}

// estimateAll fills in sizes for files read without the streaming workers.
func estimateAll(files []sourceFile) {
	for i := range files {
		if fh, err := os.Open(files[i].path()); err == nil {
			// An unknown size only decides which load path reads the file,
			// and that path reports the file if it is unreadable.
			_ = estimateSize(&files[i], fh)
			fh.Close()
		}
	}
}

// windowDays lists every UTC day (YYYY/MM/DD) the window [from, to) touches.
// It returns nil for an unbounded or implausibly long window.
func windowDays(from, to time.Time) []string {
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return nil
	}
	start := from.UTC().Truncate(24 * time.Hour)
	last := to.UTC().Add(-time.Nanosecond)
	var days []string
	for d := start; !d.After(last); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006/01/02"))
		if len(days) > 3700 {
			return nil
		}
	}
	return days
}
