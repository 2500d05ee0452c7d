package investigate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/internal/refreader"
	"github.com/ctathena/ctathena/internal/trailgen"
	"github.com/ctathena/ctathena/sql"
)

// TestExfilGolden runs the exfil pack on the local engine over the bundled
// sample and checks every top_readers row against the plain-Go reference
// reader (encoding/json, no SQL), and the planted answers in sample-truth.json.
func TestExfilGolden(t *testing.T) {
	tr, w := exfilTruth(t)
	ctx := context.Background()
	base := 14 * 24 * time.Hour
	// Narrowed before the window as the CLI does (cmd/ctathena exfilNarrow).
	eng, err := local.Open(ctx, local.Options{Dir: sampleDir, TempDir: t.TempDir(), From: w.Since.Add(-base), To: w.Until,
		Narrow: &local.Narrow{Before: w.Since, Keep: ExfilBaselineEvents(), Why: "exfil baseline"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	cov, _ := eng.Coverage(ctx)
	env := &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}}
	out, err := Exfil(ctx, env, ExfilOptions{Buckets: []string{"payroll-exports"}, Window: w, Baseline: base, OrgAccounts: cov.Accounts})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		for _, q := range out.Queries {
			if q.Err != "" {
				t.Errorf("%s: %s", q.Name, q.Err)
			}
		}
		t.FailNow()
	}

	ref, err := refreader.Exfil(ctx, sampleDir, refreader.Options{Bucket: "payroll-exports", Since: w.Since, Until: w.Until})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range ref.Readers {
		want[r.Principal+"|"+r.SourceIP+"|"+r.UserAgent] = fmt.Sprintf("%d %d %d %s %s", r.Objects, r.DistinctKeys, r.Bytes,
			r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339))
	}
	top := find(out.Queries, "exfil/top_readers")
	rr := newRowReader(colNames(top.Columns))
	got := map[string]string{}
	for _, row := range top.Rows {
		if rr.num(row, "reads") == 0 {
			continue // only failed reads; the reference lists successful readers
		}
		got[rr.str(row, "principal")+"|"+rr.str(row, "source_ip")+"|"+rr.str(row, "user_agent")] = fmt.Sprintf("%d %d %d %s %s",
			int64(rr.num(row, "reads")), int64(rr.num(row, "distinct_objects")), int64(rr.num(row, "bytes_out")),
			rr.time(row, "first_seen").Format(time.RFC3339), rr.time(row, "last_seen").Format(time.RFC3339))
	}
	if len(want) == 0 {
		t.Fatal("the reference reader found no readers: the sample is broken")
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("reader %s: got %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("reader %s is not in the reference answer", k)
		}
	}

	// The planted bulk download: principal, IPs, objects over distinct eventIDs, bytes.
	var objects, bytes int64
	ips := map[string]bool{}
	for _, row := range top.Rows {
		if rr.str(row, "principal") == tr.Exfil.LeakedPrincipal {
			for _, ip := range tr.Exfil.AttackerIPs {
				if rr.str(row, "source_ip") == ip {
					objects += int64(rr.num(row, "reads"))
					bytes += int64(rr.num(row, "bytes_out"))
					ips[ip] = true
				}
			}
		}
	}
	if objects == 0 || len(ips) != len(tr.Exfil.AttackerIPs) {
		t.Errorf("the planted download from %v was not found (objects %d, ips %v)", tr.Exfil.AttackerIPs, objects, ips)
	}

	// Every finding is a sentence that names its source query.
	var high []string
	for _, f := range out.Findings {
		if f.Query == "" || f.Text == "" {
			t.Errorf("finding without text or query: %+v", f)
		}
		if f.Severity == "high" {
			high = append(high, f.Text)
		}
	}
	joined := strings.Join(high, "\n")
	for _, must := range []string{tr.Exfil.LeakedPrincipal, "anonymous", "999988887777", "PutBucketPolicy"} {
		if !strings.Contains(joined, must) {
			t.Errorf("no high finding mentions %s:\n%s", must, joined)
		}
	}

	checkBaseline(t, out, tr.Exfil.LeakedPrincipal)
	checkBucketChanges(t, out)
	checkAgainstTruth(t, out, tr)
}

// checkAgainstTruth compares the other exfil queries with the generator's
// planted answers.
func checkAgainstTruth(t *testing.T, out *Outcome, tr *trailgen.Truth) {
	t.Helper()
	sum := func(name, col string) int64 {
		q := find(out.Queries, name)
		rr := newRowReader(colNames(q.Columns))
		var n int64
		for _, row := range q.Rows {
			n += int64(rr.num(row, col))
		}
		return n
	}
	e := tr.Exfil
	if got := sum("exfil/hourly", "reads"); got != e.Objects {
		t.Errorf("hourly objects %d, truth %d", got, e.Objects)
	}
	if got := sum("exfil/hourly", "bytes_out"); got != e.Bytes {
		t.Errorf("hourly bytes %d, truth %d", got, e.Bytes)
	}
	if got := sum("exfil/hourly", "failed_reads"); got != int64(len(e.FailedReads)) {
		t.Errorf("hourly failed reads %d, truth %d", got, len(e.FailedReads))
	}
	keys := find(out.Queries, "exfil/top_keys")
	if got := sum("exfil/top_keys", "reads"); got != e.Objects || len(keys.Rows) != int(e.DistinctKeys) {
		t.Errorf("top_keys: %d reads over %d keys, truth %d over %d", got, len(keys.Rows), e.Objects, e.DistinctKeys)
	}
	or := find(out.Queries, "exfil/outside_readers")
	rr := newRowReader(colNames(or.Columns))
	got := map[string][2]int64{}
	for _, row := range or.Rows {
		k := rr.str(row, "principal")
		if k != "anonymous" {
			k += "|" + rr.str(row, "source_ip")
		}
		v := got[k]
		got[k] = [2]int64{v[0] + int64(rr.num(row, "reads")), v[1] + int64(rr.num(row, "bytes_out"))}
	}
	want := map[string][2]int64{"anonymous": {e.Anonymous.Objects, e.Anonymous.Bytes}}
	for _, x := range e.External {
		want[x.Principal+"|"+x.SourceIP] = [2]int64{x.Objects, x.Bytes}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("outside reader %s: objects/bytes %v, truth %v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outside readers %v, truth %v", got, want)
	}
	b := find(out.Queries, "exfil/baseline")
	rb := newRowReader(colNames(b.Columns))
	for _, x := range e.Baseline {
		found := false
		for _, row := range b.Rows {
			if rb.str(row, "principal") == x.Principal {
				found = true
				if int64(rb.num(row, "baseline_objects")) != x.Objects || int64(rb.num(row, "baseline_bytes")) != x.Bytes ||
					int(rb.num(row, "baseline_active_days")) != x.ActiveDays {
					t.Errorf("baseline of %s: %v, truth %+v", x.Principal, row, x)
				}
			}
		}
		if !found {
			t.Errorf("no baseline for %s", x.Principal)
		}
	}
	bc := find(out.Queries, "exfil/bucket_changes")
	rc := newRowReader(colNames(bc.Columns))
	ids := map[string]bool{}
	for _, row := range bc.Rows {
		ids[rc.str(row, "event_id")] = true
	}
	for _, x := range e.BucketChanges {
		if !ids[x.EventID] {
			t.Errorf("bucket change %s %s missing", x.EventName, x.EventID)
		}
	}
	if len(ids) != len(e.BucketChanges) {
		t.Errorf("%d bucket changes, truth %d", len(ids), len(e.BucketChanges))
	}
}

// TestExfilNarrowedBaseline: loading only ExfilEvents, and only
// ExfilBaselineEvents before the window, changes no exfil result on the
// sample, and every event of the files is either loaded or counted as not
// loaded, over the same partitions.
func TestExfilNarrowedBaseline(t *testing.T) {
	_, w := exfilTruth(t)
	ctx := context.Background()
	base := 14 * 24 * time.Hour
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	results := map[bool]map[string][][]any{}
	covs := map[bool]engine.Coverage{}
	for _, narrowed := range []bool{false, true} {
		o := local.Options{Dir: sampleDir, TempDir: t.TempDir(), From: w.Since.Add(-base), To: w.Until}
		if narrowed {
			h, err := ExfilLoad(cat, ExfilOptions{Buckets: []string{"payroll-exports"}, Window: w, Baseline: base}, local.View)
			if err != nil {
				t.Fatal(err)
			}
			o.Narrow = h
			if cols := local.ColumnsIn(h.Queries...); len(cols) < 5 || len(cols) > 20 {
				t.Fatalf("exfil's columns: %v", cols)
			}
		}
		eng, err := local.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if covs[narrowed], err = eng.Coverage(ctx); err != nil {
			t.Fatal(err)
		}
		env := &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}}
		out, err := Exfil(ctx, env, ExfilOptions{Buckets: []string{"payroll-exports"}, Window: w, Baseline: base, OrgAccounts: []string{"111122223333"}})
		eng.Close()
		if err != nil {
			t.Fatal(err)
		}
		results[narrowed] = map[string][][]any{}
		for _, q := range out.Queries {
			if q.Err != "" {
				t.Fatalf("%s: %s", q.Name, q.Err)
			}
			results[narrowed][q.Name] = q.Rows
		}
	}
	if len(results[true]["exfil/baseline"]) == 0 {
		t.Fatal("no baseline rows")
	}
	full, narrow := covs[false], covs[true]
	// Every file is read or pruned, and every event of a file read is
	// loaded or counted as not loaded.
	if narrow.FilesRead+narrow.FilesPruned != full.FilesRead+full.FilesPruned || narrow.FilesPruned <= full.FilesPruned {
		t.Errorf("files: full %d read %d pruned, narrowed %d read %d pruned", full.FilesRead, full.FilesPruned, narrow.FilesRead, narrow.FilesPruned)
	}
	if narrow.EventsNotLoaded == 0 || narrow.Events+narrow.EventsNotLoaded >= full.Events || full.EventsNotLoaded != 0 {
		t.Errorf("events: full %d (not loaded %d), narrowed %d + not loaded %d", full.Events, full.EventsNotLoaded, narrow.Events, narrow.EventsNotLoaded)
	}
	if !reflect.DeepEqual(full.Accounts, narrow.Accounts) || !reflect.DeepEqual(full.Regions, narrow.Regions) ||
		!reflect.DeepEqual(full.Days, narrow.Days) || !reflect.DeepEqual(full.MissingDays, narrow.MissingDays) {
		t.Errorf("coverage differs when narrowed:\n full %+v\n narrowed %+v", full, narrow)
	}
	t.Logf("narrowed: %d of %d files read, %d events loaded, %d not loaded; %q", narrow.FilesRead, full.FilesRead, narrow.Events, narrow.EventsNotLoaded, narrow.Sources)
	for name, rows := range results[false] {
		if !reflect.DeepEqual(rows, results[true][name]) {
			t.Errorf("%s differs when narrowed:\n full %v\n narrowed %v", name, rows, results[true][name])
		}
	}
}

func checkBaseline(t *testing.T, out *Outcome, principal string) {
	t.Helper()
	b := find(out.Queries, "exfil/baseline")
	rr := newRowReader(colNames(b.Columns))
	for _, row := range b.Rows {
		if rr.str(row, "principal") == principal {
			if rr.num(row, "baseline_objects") <= 0 || rr.num(row, "window_objects") <= rr.num(row, "baseline_objects") {
				t.Errorf("baseline of %s: %v", principal, row)
			}
			return
		}
	}
	t.Errorf("no baseline row for %s", principal)
}

func checkBucketChanges(t *testing.T, out *Outcome) {
	t.Helper()
	b := find(out.Queries, "exfil/bucket_changes")
	rr := newRowReader(colNames(b.Columns))
	var names []string
	seen := map[string]bool{}
	for _, row := range b.Rows {
		id := rr.str(row, "event_id")
		if seen[id] {
			t.Errorf("event %s listed twice (double delivery not collapsed)", id)
		}
		seen[id] = true
		names = append(names, rr.str(row, "event_name"))
	}
	sort.Strings(names)
	for _, must := range []string{"PutBucketPolicy", "PutBucketAcl", "DeleteBucketPublicAccessBlock", "PutBucketReplication"} {
		if sort.SearchStrings(names, must) == len(names) || names[sort.SearchStrings(names, must)] != must {
			t.Errorf("bucket change %s missing from %v", must, names)
		}
	}
}

// TestExfilQueriesReadOnlyExfilEvents holds ExfilEvents to what the
// queries read: each one filters on eventsource and eventname, and every
// source and name it names is in ExfilEvents, so narrowing the load to
// them cannot change an answer.
func TestExfilQueriesReadOnlyExfilEvents(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for src, names := range ExfilEvents() {
		for _, n := range names {
			allowed[src+" "+n] = true
		}
	}
	srcRe := regexp.MustCompile(`eventsource = '([^']+)'`)
	nameRe := regexp.MustCompile(`eventname (?:= '([^']+)'|IN \(([^)]*)\))`)
	for _, name := range ExfilQueries {
		text := cat.MustGet(name).SQLText()
		srcs := srcRe.FindAllStringSubmatch(text, -1)
		names := nameRe.FindAllStringSubmatch(text, -1)
		// A query may filter more than once (a subquery), but always on
		// one source.
		if len(srcs) == 0 || len(names) != len(srcs) {
			t.Errorf("%s: %d eventsource and %d eventname filters, want one of each per (sub)query (or teach this test the query)", name, len(srcs), len(names))
			continue
		}
		for i := range names {
			if srcs[i][1] != srcs[0][1] {
				t.Errorf("%s filters on two sources", name)
			}
			list := names[i][1]
			if list == "" {
				list = names[i][2]
			}
			for _, n := range strings.Split(list, ",") {
				n = strings.Trim(strings.TrimSpace(n), "'")
				if !allowed[srcs[0][1]+" "+n] {
					t.Errorf("%s reads %s %s, which ExfilEvents leaves out", name, srcs[0][1], n)
				}
			}
		}
	}
}

// TestExfilDryRunRunsNothing: a dry run renders and returns without an engine.
func TestExfilDryRunRunsNothing(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	w := Window{Since: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)}
	env := &Env{Catalog: cat, Tables: map[string]string{"management": "m", "data": "d"}, DryRun: true}
	out, err := Exfil(context.Background(), env, ExfilOptions{Buckets: []string{"payroll-exports"}, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Queries) != len(ExfilQueries) {
		t.Fatalf("%d queries", len(out.Queries))
	}
	for i, q := range out.Queries {
		if q.Name != ExfilQueries[i] || q.Rows != nil || !strings.Contains(q.SQL, "?") {
			t.Errorf("%s: %+v", q.Name, q)
		}
	}
}

func exfilTruth(t *testing.T) (*trailgen.Truth, Window) {
	t.Helper()
	b, err := os.ReadFile(sampleDir + "-truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var tr trailgen.Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	since, err1 := time.Parse(time.RFC3339, tr.Window.Since)
	until, err2 := time.Parse(time.RFC3339, tr.Window.Until)
	if err1 != nil || err2 != nil {
		t.Fatalf("truth window: %v %v", err1, err2)
	}
	return &tr, Window{Since: since, Until: until}
}
