package local

import (
	"context"
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
	if len(c1.Store.Added) != 6 {
		t.Fatalf("first command ingested %v", c1.Store.Added)
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
