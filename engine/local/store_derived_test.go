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
			// A stale mark (an earlier version, an interrupted ingest) sends
			// the open through the ingest path, which counts again.
			if ok, err := store.derivedValid(context.Background()); err != nil || !ok {
				t.Fatalf("stale %v: derived tables valid = %v (%v) after the open", stale, ok, err)
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

// TestStoreDerivedFollowsTheFolder: after files are added, changed and
// removed (and a removed file's id is given to a new one), the derived
// tables kept up to date are those computed anew from the events.
func TestStoreDerivedFollowsTheFolder(t *testing.T) {
	logs := t.TempDir()
	rec := func(id, at string) string {
		return `{"eventVersion":"1.09","eventTime":"` + at + `","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","eventID":"` + id + `","recipientAccountId":"123456789012"}`
	}
	write := func(name string, recs ...string) {
		t.Helper()
		body := `{"Records":[`
		for i, r := range recs {
			if i > 0 {
				body += ","
			}
			body += r
		}
		if err := os.WriteFile(filepath.Join(logs, name), []byte(body+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := t.TempDir()
	var ids []int64 // the largest file id after each step
	check := func(step string) {
		t.Helper()
		o := Options{Dir: logs, From: day("2026-11-05T00:00:00Z"), To: day("2026-11-08T00:00:00Z")}
		files := open(t, o)
		o.Store = cache
		store := open(t, o)
		ctx := context.Background()
		if ok, err := store.derivedValid(ctx); err != nil || !ok {
			t.Fatalf("%s: derived tables valid = %v (%v)", step, ok, err)
		}
		for _, q := range []string{
			`SELECT count(*) FROM ((SELECT src, n, notime, noid, noid_notime, first, last FROM store.filestats
				EXCEPT ALL SELECT src, count(*), count(*) FILTER (WHERE eventtime IS NULL), count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL),
					count(*) FILTER (WHERE eventtime IS NULL AND (eventid IS NULL OR eventname IS NULL)), min(eventtime), max(eventtime) FROM store.events GROUP BY src)
				UNION ALL (SELECT src, count(*), count(*) FILTER (WHERE eventtime IS NULL), count(*) FILTER (WHERE eventid IS NULL OR eventname IS NULL),
					count(*) FILTER (WHERE eventtime IS NULL AND (eventid IS NULL OR eventname IS NULL)), min(eventtime), max(eventtime) FROM store.events GROUP BY src
				EXCEPT ALL SELECT src, n, notime, noid, noid_notime, first, last FROM store.filestats))`,
			`SELECT count(*) FROM ((SELECT eventid, src, eventtime FROM store.duprows
				EXCEPT ALL SELECT eventid, src, eventtime FROM store.events WHERE eventid IN (SELECT eventid FROM store.events WHERE eventid IS NOT NULL GROUP BY eventid HAVING count(*) > 1))
				UNION ALL (SELECT eventid, src, eventtime FROM store.events WHERE eventid IN (SELECT eventid FROM store.events WHERE eventid IS NOT NULL GROUP BY eventid HAVING count(*) > 1)
				EXCEPT ALL SELECT eventid, src, eventtime FROM store.duprows))`,
		} {
			if n := one(t, store, q).(int64); n != 0 {
				t.Errorf("%s: %d rows differ from the tables computed anew (%.40s)", step, n, q)
			}
		}
		wc, _ := files.Coverage(ctx)
		gc, _ := store.Coverage(ctx)
		sameCoverage(t, gc, wc)
		ids = append(ids, one(t, store, `SELECT max(id) FROM store.files`).(int64))
		files.Close()
		store.Close()
	}
	write("a.json", rec("e-1", "2026-11-05T10:00:00Z"), rec("e-2", "2026-11-05T11:00:00Z"))
	write("b.json", rec("e-3", "2026-11-06T10:00:00Z"), rec("e-1", "2026-11-06T11:00:00Z"))
	write("c.json", rec("e-4", "2026-11-07T10:00:00Z"))
	check("first ingest")
	write("d.json", rec("e-2", "2026-11-07T12:00:00Z"), rec("e-5", "2026-11-07T13:00:00Z"))
	check("a file added, duplicating one")
	write("b.json", rec("e-3", "2026-11-06T10:00:00Z"), rec("e-6", "2026-11-06T11:00:00Z"), rec("e-6", "2026-11-06T12:00:00Z"))
	check("a file changed, its duplicate gone, another within it")
	// b.json, read again last, has the largest id: the next file gets it.
	if err := os.Remove(filepath.Join(logs, "b.json")); err != nil {
		t.Fatal(err)
	}
	check("the last file removed")
	// What an ingest interrupted before its counts could leave: counts for
	// the id the next file gets, of other content.
	abs, _ := filepath.Abs(logs)
	sdir, _ := StoreDir(cache, abs)
	db, err := openStoreDB(filepath.Join(sdir, storeFile), false, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO filestats SELECT max(id) + 1, 'other', 99, 0, 0, 0, '2026-11-05T00:00:00Z', '2026-11-05T00:00:00Z' FROM files`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	write("e.json", rec("e-4", "2026-11-07T14:00:00Z"))
	check("a new file under the removed one's id")
	if n := len(ids); ids[n-1] != ids[n-3] {
		t.Errorf("largest ids %v: the new file did not take the removed one's id", ids)
	}
}
