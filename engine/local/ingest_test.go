package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestStoreChunkSplitsFiles: an ingest commits exactly storeChunkRows
// events at a time, so a file's events may straddle two commits. Whatever
// the cut, the store holds the rows a load of the files holds, and a file
// with a record DuckDB rejects is dropped whole and reported the same way,
// even when the rejected record and the file's other records are in
// different commits.
func TestStoreChunkSplitsFiles(t *testing.T) {
	logs := t.TempDir()
	rec := func(i int, identity string) string {
		return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":%s,"eventTime":"2024-03-02T10:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111111111111","eventID":"e%d"}`, identity, i, i)
	}
	ok := `{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/a"}`
	files := map[string][]string{
		"a.json": {rec(1, ok), rec(2, ok), rec(3, ok)},
		// A broken literal: the byte scan in Go (structure only) accepts
		// the record, DuckDB's JSON reader rejects it.
		"b.json": {rec(4, ok), rec(5, ok), rec(6, `tru`), rec(7, ok)},
		"c.json": {rec(8, ok), rec(9, ok)},
		"d.json": {},
		"e.json": {rec(10, ok)},
	}
	for name, recs := range files {
		body := `{"Records":[` + strings.Join(recs, ",") + `]}`
		if err := os.WriteFile(filepath.Join(logs, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := open(t, Options{Dir: logs})
	wantRows := everything(t, want).Rows
	wc, _ := want.Coverage(context.Background())
	if len(wc.Skipped) != 1 || filepath.Base(wc.Skipped[0].Path) != "b.json" {
		t.Fatalf("a load of the files skipped %v, want b.json only", wc.Skipped)
	}
	saved := storeChunkRows
	defer func() { storeChunkRows = saved }()
	for _, rows := range []int{1, 2, 3, 5, 100} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) {
			storeChunkRows = rows
			commits := 0
			store := open(t, Options{Dir: logs, Store: t.TempDir(), Progress: func(Progress) { commits++ }})
			if got := everything(t, store).Rows; !reflect.DeepEqual(got, wantRows) {
				t.Errorf("store holds %d rows, the files %d (or they differ)", len(got), len(wantRows))
			}
			gc, _ := store.Coverage(context.Background())
			sameCoverage(t, gc, wc)
			if rows == 1 && commits < 5 {
				t.Errorf("%d progress calls with one event a commit, want one per commit", commits)
			}
		})
	}
}
