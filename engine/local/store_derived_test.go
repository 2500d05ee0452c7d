package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStoreDerivedCounts: Coverage counted from the per-file counts and
// the duplicate rows is what counting the events gives, and what a load of
// the files says, for windows inside, across and outside files, open on a
// side or both; a store whose derived tables no longer match its files is
// counted over its events.
func TestStoreDerivedCounts(t *testing.T) {
	logs := t.TempDir()
	rec := func(id, at string) string {
		t := ""
		if at != "" {
			t = `"eventTime":"` + at + `",`
		}
		return `{"eventVersion":"1.09",` + t + `"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","eventID":"` + id + `","recipientAccountId":"123456789012"}`
	}
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(logs, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Three files across 5-7 November, a duplicate delivery of e-2 and e-4
	// (one inside a file, one across files), records without an eventTime
	// and one without an eventID.
	write("a.json", `{"Records":[`+rec("e-1", "2026-11-05T10:00:00Z")+`,`+rec("e-2", "2026-11-05T23:30:00Z")+`,`+rec("e-2", "2026-11-05T23:30:00Z")+`,`+rec("e-t", "")+`]}`)
	write("b.json", `{"Records":[`+rec("e-3", "2026-11-06T00:10:00Z")+`,`+rec("e-4", "2026-11-06T12:00:00Z")+`,{"eventTime":"2026-11-06T13:00:00Z","eventSource":"sts.amazonaws.com"},{"eventSource":"sts.amazonaws.com"}]}`)
	write("c.json", `{"Records":[`+rec("e-4", "2026-11-07T09:00:00Z")+`,`+rec("e-5", "2026-11-07T10:00:00Z")+`]}`)
	cache := t.TempDir()
	windows := [][2]string{
		{"", ""},
		{"2026-11-05T00:00:00Z", "2026-11-08T00:00:00Z"}, // every file inside
		{"2026-11-05T12:00:00Z", "2026-11-06T12:00:00Z"}, // across a and b
		{"2026-11-06T00:00:00Z", "2026-11-07T00:00:00Z"}, // b alone
		{"2026-11-07T09:00:00Z", "2026-11-07T09:00:01Z"}, // one event
		{"2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z"}, // none
		{"2026-11-06T00:00:00Z", ""},
		{"", "2026-11-06T00:00:00Z"},
	}
	at := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		return day(s)
	}
	for _, stale := range []bool{false, true} {
		if stale {
			abs, _ := filepath.Abs(logs)
			sdir, _ := StoreDir(cache, abs)
			db, err := openStoreDB(filepath.Join(sdir, storeFile), false, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE meta SET value = value || ' stale' WHERE key = 'derived'`); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
		for _, w := range windows {
			o := Options{Dir: logs, From: at(w[0]), To: at(w[1])}
			files := open(t, o)
			o.Store = cache
			store := open(t, o)
			if ok, err := store.derivedValid(context.Background()); err != nil || ok == stale {
				t.Fatalf("stale %v: derived tables valid = %v (%v)", stale, ok, err)
			}
			wc, _ := files.Coverage(context.Background())
			gc, _ := store.Coverage(context.Background())
			sameCoverage(t, gc, wc)
			// And the window's own count of the events.
			inWin := ""
			sc, err := store.scanCounts(context.Background(), inWin, w[0], w[1])
			if err != nil {
				t.Fatal(err)
			}
			if sc.events != gc.Events || sc.dups != gc.DuplicateEvents || sc.noID != gc.RecordsWithoutID || sc.first.String != gc.FirstEvent || sc.last.String != gc.LastEvent {
				t.Errorf("stale %v, window %v: counted %+v, coverage %+v", stale, w, sc, gc)
			}
			if w == windows[2] && !stale && (gc.Events != 3 || gc.DuplicateEvents != 1) {
				t.Errorf("window %v: %d events, %d duplicates; the fixture does not test a window across files", w, gc.Events, gc.DuplicateEvents)
			}
			files.Close()
			store.Close()
		}
	}
}
