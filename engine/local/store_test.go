package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// everything is every row of the view, all columns, in one order.
func everything(t *testing.T, e *Engine) *engine.Result {
	t.Helper()
	return run(t, e, "SELECT * FROM "+View+" ORDER BY ALL")
}

// sameCoverage compares what both ways measure alike (the store adds its
// Sources lines and Store).
func sameCoverage(t *testing.T, got, want engine.Coverage) {
	t.Helper()
	got.Sources, want.Sources = nil, nil
	got.Store = nil
	// The files the loader found not to be CloudTrail by their content
	// come after those discovery named, in the order it read them.
	for _, l := range [][]engine.SkippedFile{got.NotCloudTrail, want.NotCloudTrail} {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Path < l[j].Path })
	}
	// The loader reports unreadable files in the order it found them
	// out; the store by path.
	sort.Slice(want.Skipped, func(i, j int) bool { return want.Skipped[i].Path < want.Skipped[j].Path })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coverage from the store\n%+v\nwant (reading the files)\n%+v", got, want)
	}
}

// TestStoreSameAsFiles: the view over the store holds exactly the rows a
// load of the files holds, for windows that prune and for none, over
// every layout and over broken files, and Coverage agrees.
func TestStoreSameAsFiles(t *testing.T) {
	cache := t.TempDir()
	cases := []struct {
		dir      string
		from, to time.Time
	}{
		{"../../testdata/sample", day("2026-11-05T00:00:00Z"), day("2026-11-08T00:00:00Z")},
		{"../../testdata/sample", day("2026-11-06T13:00:00Z"), day("2026-11-06T14:00:00Z")},
		{"../../testdata/sample", time.Time{}, time.Time{}},
		{"../../testdata/stratus", day("2024-07-01T00:00:00Z"), day("2024-12-31T00:00:00Z")},
		{fixtures, time.Time{}, time.Time{}},
		{fixtures, day("2024-03-01T00:00:00Z"), day("2024-03-02T00:00:00Z")},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.dir)+"_"+c.from.Format("0102T15")+"_"+c.to.Format("0102T15"), func(t *testing.T) {
			files := open(t, Options{Dir: c.dir, From: c.from, To: c.to})
			store := open(t, Options{Dir: c.dir, From: c.from, To: c.to, Store: cache})
			want, got := everything(t, files), everything(t, store)
			if len(got.Rows) != len(want.Rows) || !reflect.DeepEqual(got.Rows, want.Rows) || !reflect.DeepEqual(got.Columns, want.Columns) {
				t.Fatalf("store view has %d rows, files %d (or they differ)", len(got.Rows), len(want.Rows))
			}
			gc, _ := store.Coverage(context.Background())
			wc, _ := files.Coverage(context.Background())
			sameCoverage(t, gc, wc)
			if gc.Store == nil || !strings.Contains(strings.Join(gc.Sources, "\n"), "events read from the local evidence store") {
				t.Errorf("coverage does not say the store was read: %v", gc.Sources)
			}
		})
	}
}

// copyTree copies a folder of logs, keeping modification times.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, e *Engine) int64 {
	t.Helper()
	return one(t, e, "SELECT count(*) FROM "+View).(int64)
}

// TestStoreFollowsTheFolder: a new file is ingested, a changed one read
// again, a touched one kept, a removed one dropped, and each is said.
func TestStoreFollowsTheFolder(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "logs")
	copyTree(t, filepath.Join(fixtures, "plain"), logs)
	cache := t.TempDir()
	o := Options{Dir: logs, Store: cache}
	cov := func(e *Engine) engine.Coverage { c, _ := e.Coverage(context.Background()); return c }
	check := func(what string) {
		t.Helper()
		files := open(t, Options{Dir: logs})
		store := open(t, o)
		if !reflect.DeepEqual(everything(t, store).Rows, everything(t, files).Rows) {
			t.Fatalf("%s: the store's rows differ from the files'", what)
		}
		files.Close()
		store.Close()
	}
	first := open(t, o)
	n0 := count(t, first)
	if c := cov(first); len(c.Store.Added) != c.Store.Held || c.Store.Held == 0 {
		t.Fatalf("first run added %d of %d files", len(c.Store.Added), c.Store.Held)
	}
	first.Close()

	again := open(t, o)
	if c := cov(again); len(c.Store.Added)+len(c.Store.Reingested)+len(c.Store.Removed) != 0 {
		t.Fatalf("second run ingested again: %+v", c.Store)
	}
	again.Close()

	// A new file.
	rec := `{"Records":[{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"new-1","recipientAccountId":"111111111111"}]}`
	if err := os.WriteFile(filepath.Join(logs, "added.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	e := open(t, o)
	if got := count(t, e); got != n0+1 {
		t.Errorf("after adding a file: %d events, want %d", got, n0+1)
	}
	if c := cov(e); !reflect.DeepEqual(c.Store.Added, []string{"added.json"}) {
		t.Errorf("added = %v", c.Store.Added)
	}
	e.Close()
	check("added")

	// The same file, changed: two events now.
	rec2 := strings.Replace(rec, `}]}`, `},{"eventTime":"2024-03-01T11:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventID":"new-2"}]}`, 1)
	if err := os.WriteFile(filepath.Join(logs, "added.json"), []byte(rec2), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(logs, "added.json"), later, later)
	e = open(t, o)
	if got := count(t, e); got != n0+2 {
		t.Errorf("after changing a file: %d events, want %d", got, n0+2)
	}
	c := cov(e)
	if !reflect.DeepEqual(c.Store.Reingested, []string{"added.json"}) || !strings.Contains(strings.Join(c.Sources, "\n"), "1 files changed since the store read them") {
		t.Errorf("reingested = %v, sources %v", c.Store.Reingested, c.Sources)
	}
	e.Close()
	check("changed")

	// Touched: a new time, the same bytes.
	later = later.Add(time.Minute)
	os.Chtimes(filepath.Join(logs, "added.json"), later, later)
	e = open(t, o)
	c = cov(e)
	if len(c.Store.Reingested) != 0 || !strings.Contains(strings.Join(c.Sources, "\n"), "same SHA-256") || count(t, e) != n0+2 {
		t.Errorf("touched file: reingested %v, sources %v", c.Store.Reingested, c.Sources)
	}
	e.Close()

	// Removed.
	if err := os.Remove(filepath.Join(logs, "added.json")); err != nil {
		t.Fatal(err)
	}
	e = open(t, o)
	if got := count(t, e); got != n0 {
		t.Errorf("after removing a file: %d events, want %d", got, n0)
	}
	if c := cov(e); !reflect.DeepEqual(c.Store.Removed, []string{"added.json"}) {
		t.Errorf("removed = %v", c.Store.Removed)
	}
	e.Close()
	check("removed")
}

// TestStoreInterrupted: an ingest cancelled after its first batch leaves a
// store the next command completes, with the same answer.
func TestStoreInterrupted(t *testing.T) {
	saved := storeChunkRows
	storeChunkRows = 200 // the sample holds thousands of events: many commits
	defer func() { storeChunkRows = saved }()
	cache := t.TempDir()
	dir := "../../testdata/sample"
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	_, err := Open(ctx, Options{Dir: dir, Store: cache, TempDir: t.TempDir(), Progress: func(p Progress) {
		batches++
		if batches == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ingest returned %v", err)
	}
	e := open(t, Options{Dir: dir, Store: cache})
	c, _ := e.Coverage(context.Background())
	if len(c.Store.Added) == 0 || len(c.Store.Added) >= c.Store.Held {
		t.Errorf("the second run ingested %d of %d files; the first should have committed some and not all", len(c.Store.Added), c.Store.Held)
	}
	files := open(t, Options{Dir: dir})
	if !reflect.DeepEqual(everything(t, e).Rows, everything(t, files).Rows) {
		t.Fatal("after an interrupted ingest the store's rows differ from the files'")
	}
}

// TestStoreConcurrent: commands opening one store at once (one ingests,
// the others wait, then all read side by side) all get the whole answer.
func TestStoreConcurrent(t *testing.T) {
	cache := t.TempDir()
	dir := "../../testdata/sample"
	want := count(t, open(t, Options{Dir: dir}))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	counts := make([]int64, 3)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e, err := Open(context.Background(), Options{Dir: dir, Store: cache, TempDir: t.TempDir()})
			if err != nil {
				errs[i] = err
				return
			}
			defer e.Close()
			res, err := e.Run(context.Background(), engine.Query{Name: "count", SQL: "SELECT count(*) FROM " + View})
			if err != nil {
				errs[i] = err
				return
			}
			counts[i] = res.Rows[0][0].(int64)
		}(i)
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || counts[i] != want {
			t.Errorf("command %d: %d events, error %v; want %d", i, counts[i], errs[i], want)
		}
	}
}

// TestStorePrivate: the store's folders are 0700 and its files 0600.
func TestStorePrivate(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	e := open(t, Options{Dir: "../../testdata/stratus", Store: cache})
	e.Close()
	n := 0
	err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Errorf("only %d entries in the cache folder", n)
	}
}

// TestStoreCoverageParity: what issue 10 made a load of the files say
// about a plain folder, the store says too: files whose content is not
// CloudTrail listed as such, records without an eventTime counted, records
// without an eventID or eventName counted, a truncated file unreadable.
func TestStoreCoverageParity(t *testing.T) {
	logs := t.TempDir()
	rec := func(id, at string) string {
		return `{"eventVersion":"1.09","eventTime":"` + at + `","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","eventID":"` + id + `","recipientAccountId":"123456789012"}`
	}
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(logs, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("trail.json", `{"Records":[`+rec("e-1", "2026-11-05T10:00:00Z")+`,`+rec("e-2", "2026-11-07T10:00:00Z")+`]}`)
	write("notes.txt", "case notes, not a log\n")
	write("other.json", `{"schema_version": 1, "tool": "something else"}`)
	write("hello.json", `{"Records":[{"hello":"world"},`+rec("e-3", "2026-11-05T11:00:00Z")+`]}`)
	write("noid.json", `{"Records":[{"eventTime":"2026-11-05T11:00:00Z","eventSource":"sts.amazonaws.com","awsRegion":"us-east-1"}]}`)
	write("broken.json", `{"Records":[`+rec("e-4", "2026-11-05T12:00:00Z"))
	cache := t.TempDir()
	for _, w := range [][2]time.Time{
		{day("2026-11-05T00:00:00Z"), day("2026-11-06T00:00:00Z")},
		{{}, {}},
	} {
		files := open(t, Options{Dir: logs, From: w[0], To: w[1]})
		store := open(t, Options{Dir: logs, From: w[0], To: w[1], Store: cache})
		wc, _ := files.Coverage(context.Background())
		gc, _ := store.Coverage(context.Background())
		if w[0].IsZero() {
			if wc.RecordsWithoutTime != 0 || gc.RecordsWithoutTime != 0 {
				t.Errorf("no window: records without eventTime %d (files) and %d (store); no window drops them", wc.RecordsWithoutTime, gc.RecordsWithoutTime)
			}
		} else if wc.RecordsWithoutTime != 1 || len(wc.NotCloudTrail) == 0 || len(wc.Skipped) != 1 || wc.RecordsWithoutID != 1 {
			t.Fatalf("the fixture does not test what it should: %+v", wc)
		}
		sameCoverage(t, gc, wc)
		if !reflect.DeepEqual(everything(t, store).Rows, everything(t, files).Rows) {
			t.Errorf("window %v: the store's rows differ from the files'", w)
		}
	}
}

// TestStoreWaitStops: a command waiting for another's hold on the store
// stops when its context does (Ctrl-C), instead of blocking in flock.
func TestStoreWaitStops(t *testing.T) {
	cache := t.TempDir()
	dir, _ := filepath.Abs("../../testdata/stratus")
	sdir, err := StoreDir(cache, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := makePrivateDir(sdir); err != nil {
		t.Fatal(err)
	}
	other, err := openLock(filepath.Join(sdir, "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.close()
	if !other.try() {
		t.Fatal("could not take the lock")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = Open(ctx, Options{Dir: dir, Store: cache, TempDir: t.TempDir()})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open while another command holds the store returned %v, want the context's end", err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("Open took %v to stop", d)
	}
}

// TestStoreInterruptedThenFileGone: rows an interrupted ingest committed for
// a file whose files row it never wrote stay out of every answer, even when
// that file leaves the folder before the next command (which then has no
// new file to ingest).
func TestStoreInterruptedThenFileGone(t *testing.T) {
	saved := storeChunkRows
	storeChunkRows = 200
	defer func() { storeChunkRows = saved }()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../testdata/sample")); err != nil {
		t.Fatal(err)
	}
	// The cancel comes after the n-th commit; some commit leaves a file's
	// first rows without its files row (a file split across commits).
	var cache string
	held := map[string]bool{}
	var orphans int64
	for n := 1; n <= 20 && orphans == 0; n++ {
		cache = t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		commits := 0
		_, err := Open(ctx, Options{Dir: dir, Store: cache, TempDir: t.TempDir(), Progress: func(p Progress) {
			if commits++; commits == n {
				cancel()
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled ingest returned %v", err)
		}
		sdir, err := StoreDir(cache, dir)
		if err != nil {
			t.Fatal(err)
		}
		db, err := openStoreDB(filepath.Join(sdir, storeFile), true, "")
		if err != nil {
			t.Fatal(err)
		}
		held = map[string]bool{}
		rows, err := db.Query(`SELECT path FROM files`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p string
			rows.Scan(&p)
			held[p] = true
		}
		rows.Close()
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE src NOT IN (SELECT id FROM files)`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	if orphans == 0 {
		t.Fatal("no interrupted ingest left rows without a files row: the test needs a file split across commits")
	}
	// Every file the store does not list leaves the folder, the one whose
	// first rows were committed among them.
	removed := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !held[filepath.ToSlash(rel)] {
			removed++
			return os.Remove(p)
		}
		return nil
	})
	if err != nil || removed == 0 {
		t.Fatalf("removed %d files: %v", removed, err)
	}
	e := open(t, Options{Dir: dir, Store: cache})
	files := open(t, Options{Dir: dir})
	if got, want := count(t, e), count(t, files); got != want {
		t.Fatalf("the store answers over %d events, the folder holds %d: rows of a file not in the store reached the answer", got, want)
	}
	if !reflect.DeepEqual(everything(t, e).Rows, everything(t, files).Rows) {
		t.Fatal("the store's rows differ from the files'")
	}
}
