package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestCompareRel: a file's relative path compares as the string it spells,
// whatever its folder.
func TestCompareRel(t *testing.T) {
	parts := []string{"", "a", "a-b", "a/b", "ab", "a.b", "b", "a/b-c", "a/b/c", "z"}
	names := []string{"a", "a.json", "b", "-", "0", "~"}
	var files []sourceFile
	for _, d := range parts {
		for _, n := range names {
			files = append(files, sourceFile{dir: &folder{rel: d}, name: n})
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 5000 {
		a, b := &files[rng.Intn(len(files))], &files[rng.Intn(len(files))]
		if got, want := a.compareRel(b.rel()), strings.Compare(a.rel(), b.rel()); got != want {
			t.Fatalf("compareRel(%q, %q) = %d, want %d", a.rel(), b.rel(), got, want)
		}
		if got, want := relLess(a, b), a.rel() < b.rel(); got != want {
			t.Fatalf("relLess(%q, %q) = %v, want %v", a.rel(), b.rel(), got, want)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return relLess(&files[i], &files[j]) })
	var got, want []string
	for i := range files {
		got = append(got, files[i].rel())
		want = append(want, files[i].rel())
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted by relLess:\n got %q\nwant %q", got, want)
	}
}

// TestStoreFolderOrder: folders whose names sort differently from the
// paths of their files ("a-b" before "a/", "a" before "a-b" as folders)
// are matched with the store's files table, so a second command ingests
// nothing, and Coverage is the files' own, its custody list in path order.
func TestStoreFolderOrder(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "logs")
	src, err := os.ReadFile(filepath.Join(fixtures, "plain", "sub", "export2.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"a/x.json", "a-b/y.json", "a.json", "ab/z.json", "a/b/w.json", "a/b-c/v.json"} {
		p := filepath.Join(logs, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := discover(logs, time.Time{}, time.Time{}); err != nil || sort.SliceIsSorted(d.selected, func(i, j int) bool { return relLess(&d.selected[i], &d.selected[j]) }) {
		t.Fatalf("the walk's order is the paths' order here (%v): the test does not test the match", err)
	}
	cache := t.TempDir()
	first := open(t, Options{Dir: logs, Store: cache})
	c1, _ := first.Coverage(context.Background())
	if len(c1.Store.Added) != 6 || c1.Store.FilesAdded != 6 || c1.Store.AddedSHA256 != "" {
		t.Fatalf("first command ingested %v (files_added %d, list hash %q)", c1.Store.Added, c1.Store.FilesAdded, c1.Store.AddedSHA256)
	}
	first.Close()
	second := open(t, Options{Dir: logs, Store: cache})
	c2, _ := second.Coverage(context.Background())
	if len(c2.Store.Added)+len(c2.Store.Reingested)+len(c2.Store.Removed) != 0 || c2.Store.Held != 6 || c2.FilesRead != 6 {
		t.Fatalf("second command: held %d, read %d, added %v, reingested %v, removed %v", c2.Store.Held, c2.FilesRead, c2.Store.Added, c2.Store.Reingested, c2.Store.Removed)
	}
	files := open(t, Options{Dir: logs})
	wc, _ := files.Coverage(context.Background())
	sameCoverage(t, c2, wc)
	var paths []string
	for _, f := range c2.Files.List() {
		paths = append(paths, f.Path)
	}
	if !sort.StringsAreSorted(paths) || len(paths) != 6 {
		t.Errorf("custody list %q", paths)
	}
}

// TestPathIndexCollisions: files whose path hashes are equal are told
// apart by their paths.
func TestPathIndexCollisions(t *testing.T) {
	dir := &folder{rel: "AWSLogs/1/CloudTrail/r/2026/10/01"}
	files := []sourceFile{{dir: dir, name: "a.json"}, {dir: dir, name: "b.json"}, {dir: &folder{}, name: "c.json"}}
	x := pathIndex(files)
	for i, f := range files {
		if got := x.find(files, f.rel()); got != i {
			t.Errorf("find(%q) = %d, want %d", f.rel(), got, i)
		}
	}
	// Every entry given the hash of one path: only that path is found.
	h := maphash.String(x.seed, files[1].rel())
	for k := range x.entries {
		x.entries[k].hash = h
	}
	if got := x.find(files, files[1].rel()); got != 1 {
		t.Errorf("with equal hashes find(%q) = %d, want 1", files[1].rel(), got)
	}
	if got := x.find(files, dir.rel+"/x.json"); got != -1 {
		t.Errorf("a path not in the folder found file %d", got)
	}
}

// TestDiscoverDayFolders: day folders listed by the workers give what the
// walk gives: their files, the files not CloudTrail in the walk's order, a
// day folder with a sub-folder walked, one outside the window counted.
func TestDiscoverDayFolders(t *testing.T) {
	logs := t.TempDir()
	day := "AWSLogs/111111111111/CloudTrail/us-east-1/2026/"
	for _, rel := range []string{
		day + "10/01/111111111111_CloudTrail_us-east-1_20261001T0000Z_a.json.gz",
		day + "10/01/notes.txt",
		day + "10/01/111111111111_CloudTrail_us-east-1_20260930T2000Z_early.json.gz",
		day + "10/02/x.json.gz",
		day + "10/02/readme.txt",
		day + "10/02/sub/y.json.gz",
		day + "09/01/old.json.gz",
		day + "09/01/old2.json.gz",
		"a-notes.txt",
		"z-notes.txt",
	} {
		p := filepath.Join(logs, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not a log\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := discover(logs, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range d.selected {
		got = append(got, d.selected[i].rel())
	}
	want := []string{day + "10/01/111111111111_CloudTrail_us-east-1_20261001T0000Z_a.json.gz", day + "10/02/x.json.gz", day + "10/02/sub/y.json.gz"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("selected %q\nwant %q", got, want)
	}
	var notCT []string
	for _, p := range d.notCT {
		rel, _ := filepath.Rel(logs, p)
		notCT = append(notCT, filepath.ToSlash(rel))
	}
	if want := []string{day + "10/01/notes.txt", day + "10/02/readme.txt", "a-notes.txt", "z-notes.txt"}; !reflect.DeepEqual(notCT, want) {
		t.Errorf("not CloudTrail %q\nwant %q", notCT, want)
	}
	if d.pruned != 3 || d.deliveredEarly != 1 || d.firstDay != "2026/09/01" || d.lastDay != "2026/10/02" {
		t.Errorf("pruned %d (early %d), days %s..%s; want 3 (1), 2026/09/01..2026/10/02", d.pruned, d.deliveredEarly, d.firstDay, d.lastDay)
	}
	if !d.selected[1].dir.layout || d.selected[2].dir.layout {
		t.Errorf("layout folders: %v %v, want the day folder's file in the layout, the sub-folder's not", d.selected[1].dir.layout, d.selected[2].dir.layout)
	}
}

// TestStoreAddedListCapped: beyond maxStoreFilesListed, the files a first
// ingest added are counted and hashed, not listed again (Coverage.Files
// lists them with their SHA-256); below it they are listed.
func TestStoreAddedListCapped(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "logs")
	n := maxStoreFilesListed + 1
	var paths []string
	for i := range n {
		rel := fmt.Sprintf("d%02d/f%05d.json", i%7, i)
		p := filepath.Join(logs, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rec := fmt.Sprintf(`{"Records":[{"eventVersion":"1.09","eventTime":"2026-11-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"cap-%d","recipientAccountId":"111122223333"}]}`, i)
		if err := os.WriteFile(p, []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, rel)
	}
	sort.Strings(paths)
	sum := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(sum, "%s\n", p)
	}
	e := open(t, Options{Dir: logs, Store: t.TempDir()})
	c, err := e.Coverage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := c.Store
	if st.FilesAdded != n || len(st.Added) != 0 || st.AddedSHA256 != hex.EncodeToString(sum.Sum(nil)) {
		t.Errorf("files_added %d (want %d), %d listed (want none), list hash %q (want %x)", st.FilesAdded, n, len(st.Added), st.AddedSHA256, sum.Sum(nil))
	}
	if !strings.Contains(strings.Join(c.Sources, "\n"), fmt.Sprintf("this command ingested %d new files", n)) {
		t.Errorf("sources %q do not count the files ingested", c.Sources)
	}
	if c.Files.Len() != n {
		t.Errorf("the custody list holds %d files, want %d", c.Files.Len(), n)
	}
}
