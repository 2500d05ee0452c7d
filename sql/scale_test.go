package sql_test

// Parameters at any organization size: lists become one placeholder per
// element, long values are split into pieces, and every piece stays within
// Athena's limits as sent.

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ctathena/ctathena/sql"
)

func accounts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%012d", 210000000000+i*104729)
	}
	return out
}

func exfilValues(extra map[string]string) map[string]string {
	v := map[string]string{"buckets": "payroll-exports", "since": "2026-11-05T00:00:00Z", "until": "2026-11-08T00:00:00Z",
		"day_from": "2026/11/04", "day_to": "2026/11/09", "ip_lo": "-1", "ip_hi": "-1"}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// TestOrgAccountsAtScale: exfil/outside_readers with 80, 500 and 2,000
// organization accounts (one parameter of 1,041 characters at 80 before).
func TestOrgAccountsAtScale(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	q := cat.MustGet("exfil/outside_readers")
	for _, n := range []int{80, 500, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			acc := accounts(n)
			r, err := q.Render(athenaTables["one table"], exfilValues(map[string]string{"org_accounts": strings.Join(acc, ",")}))
			if err != nil {
				t.Fatal(err)
			}
			params := literals(r.Args)
			var got []string
			for i, name := range r.ArgNames {
				if strings.HasPrefix(name, "org_accounts[") {
					if want := fmt.Sprintf("org_accounts[%d]", len(got)+1); name != want {
						t.Fatalf("argument %d is named %q, want %q", i, name, want)
					}
					got = append(got, r.Args[i].(string))
				}
			}
			if strings.Join(got, ",") != strings.Join(acc, ",") {
				t.Fatalf("the %d accounts do not come back in order from the arguments (%d)", n, len(got))
			}
			for i, p := range params {
				if len(p) > sql.MaxParamLen {
					t.Errorf("parameter %d is %d characters", i+1, len(p))
				}
			}
			if strings.Count(r.SQL, "?") != len(params) || len(r.SQL) > sql.MaxQueryBytes {
				t.Fatalf("%d placeholders for %d parameters, %d bytes of SQL", strings.Count(r.SQL, "?"), len(params), len(r.SQL))
			}
			longest := 0
			for _, p := range params {
				longest = max(longest, len(p))
			}
			t.Logf("%d accounts: %d bytes of SQL, %d parameters, the longest %d characters as sent", n, len(r.SQL), len(params), longest)
			if !strings.Contains(r.SQL, "account NOT IN (?, ?, ") {
				t.Errorf("accounts are not an IN list:\n%s", r.SQL)
			}
			for _, acct := range acc {
				if strings.Contains(r.SQL, acct) {
					t.Fatalf("account %s reached the SQL text", acct)
				}
			}
			for _, b := range r.Params {
				if b.Name == "org_accounts" && b.Value != strings.Join(acc, ",") {
					t.Errorf("the bound value of org_accounts is not the list given")
				}
			}
		})
	}
	// No account known: the list is NULL, and NOT IN (NULL) keeps no row.
	r, err := q.Render(athenaTables["one table"], exfilValues(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.SQL, "account NOT IN (NULL)") {
		t.Errorf("empty list not rendered as NULL:\n%s", r.SQL)
	}
}

// TestLongValuesAreSplit: a value too long for one parameter is sent in
// pieces the SQL concatenates; each piece fits, and they join to the value.
func TestLongValuesAreSplit(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"1024 plain":   strings.Repeat("k", 1024),
		"1022 plain":   strings.Repeat("k", 1022),
		"1023 plain":   strings.Repeat("k", 1023),
		"quotes":       strings.Repeat("'", 1000),
		"astral":       strings.Repeat("𝄞", 600),
		"mixed quotes": strings.Repeat("it's/", 204) + "ab''",
	}
	for name, prefix := range cases {
		r, err := cat.MustGet("exfil/top_keys").Render(athenaTables["one table"], exfilValues(map[string]string{
			"key_prefix": prefix, "ip_lo": "-1", "ip_hi": "-1"}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		params := literals(r.Args)
		var pieces []string
		for i, n := range r.ArgNames {
			if strings.HasPrefix(n, "key_prefix") {
				if sql.SentLen(r.Args[i].(string)) != utf16Len(params[i]) {
					t.Errorf("%s: SentLen %d but Athena is sent %d characters", name, sql.SentLen(r.Args[i].(string)), utf16Len(params[i]))
				}
				if utf16Len(params[i]) > sql.MaxParamLen {
					t.Errorf("%s: piece %s is %d characters as sent", name, n, utf16Len(params[i]))
				}
				pieces = append(pieces, r.Args[i].(string))
			}
		}
		// key_prefix appears twice in _filtered; each use gets all pieces.
		if len(pieces)%2 != 0 || strings.Join(pieces[:len(pieces)/2], "") != prefix {
			t.Errorf("%s: %d pieces do not join back to the value", name, len(pieces))
		}
		single := sql.SentLen(prefix) <= sql.MaxParamLen
		if single != (len(pieces) == 2) {
			t.Errorf("%s (%d as sent): split into %d pieces per use", name, sql.SentLen(prefix), len(pieces)/2)
		}
		if !single && !strings.Contains(r.SQL, "starts_with(object_key, (? || ?") {
			t.Errorf("%s: pieces not concatenated in the SQL:\n%s", name, r.SQL)
		}
	}
}

// TestListTypeUses: a list may only be the whole of an IN list, and the
// query text limit and the list length limit are usage errors.
func TestListTypeUses(t *testing.T) {
	load := func(body string) (*sql.Catalog, error) {
		src := "-- name: p/q\n-- summary: s\n-- param: a account_list\n-- table: data\n" + body
		return sql.Load(fstest.MapFS{"q/p/q.sql": {Data: []byte(src)}}, "q")
	}
	for _, bad := range []string{
		"SELECT 1 FROM {{data}} WHERE strpos(:a, x) > 0",
		"SELECT 1 FROM {{data}} WHERE x IN (:a, '1')",
		"SELECT 1 FROM {{data}} WHERE x = :a",
	} {
		if _, err := load(bad); err == nil || !strings.Contains(err.Error(), "must be the whole of an IN list") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
	c, err := load("SELECT 1 FROM {{data}} WHERE x IN ( :a ) OR y not in(:a)")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.MustGet("p/q").Render(map[string]string{"data": "t"}, map[string]string{"a": "111122223333,444455556666"})
	if err != nil || r.SQL != "SELECT 1 FROM \"t\" WHERE x IN ( ?, ? ) OR y not in(?, ?)\n" || len(r.Args) != 4 {
		t.Fatalf("got %q %v %v", r.SQL, r.Args, err)
	}
	var ue *sql.UsageError
	if _, err := c.MustGet("p/q").Render(map[string]string{"data": "t"}, map[string]string{"a": strings.Join(accounts(sql.MaxListItems+1), ",")}); !errors.As(err, &ue) {
		t.Errorf("a list over MaxListItems: %v", err)
	}
	// Ten uses of a full list: about 600 KB of placeholders.
	c, err = load("SELECT 1 FROM {{data}} WHERE" + strings.Repeat(" x IN (:a) OR", 9) + " x IN (:a)")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MustGet("p/q").Render(map[string]string{"data": "t"}, map[string]string{"a": strings.Join(accounts(sql.MaxListItems), ",")})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "more than the 262144 Athena takes") {
		t.Errorf("an oversize query: %v", err)
	}
}

// TestLargestAtOrgScale renders every query with the organization-scale
// values (2,000 accounts, the longest ARN and text the types take) and
// reports the largest parameter and the longest query text sent.
func TestLargestAtOrgScale(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	vals := sampleValues("org")
	bigParam, bigParamQ, longText, longQ, most, mostQ := 0, "", 0, "", 0, ""
	for _, tname := range []string{"one table", "two tables"} {
		for _, q := range cat.List() {
			v := map[string]string{}
			for _, p := range q.Params {
				v[p.Name] = vals[p.Type]
			}
			in := sent(t, q, athenaTables[tname], v)
			for _, p := range in.Params {
				if n := utf16Len(p); n > bigParam {
					bigParam, bigParamQ = n, q.Name
				}
			}
			if len(in.SQL) > longText {
				longText, longQ = len(in.SQL), q.Name
			}
			if len(in.Params) > most {
				most, mostQ = len(in.Params), q.Name
			}
		}
	}
	if bigParam > sql.MaxParamLen || longText > sql.MaxQueryBytes {
		t.Fatalf("over Athena's limits: parameter %d (%s), query %d bytes (%s)", bigParam, bigParamQ, longText, longQ)
	}
	t.Logf("2,000 accounts: largest parameter %d characters as sent (%s); longest query text %d bytes (%s); most parameters %d (%s)",
		bigParam, bigParamQ, longText, longQ, most, mostQ)
}

// TestIdentityReadsTheTableOnce: with data events in the management table
// (the default setup) the identity queries read it once; with a data table
// of its own, each table once. Bytes scanned are estimated from the sample
// trail: every reference to a table reads the window's partitions of it.
func TestIdentityReadsTheTableOnce(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	windowBytes := sampleBytes(t, "2026/11/04", "2026/11/09")
	vals := map[string]string{"arns": "arn:aws:iam::111122223333:user/svc-backup", "since": "2026-11-05T00:00:00Z",
		"until": "2026-11-08T00:00:00Z", "day_from": "2026/11/04", "day_to": "2026/11/09", "ip_lo": "-1", "ip_hi": "-1"}
	var before, after int64
	for _, name := range []string{"identity/activity", "identity/mutating", "identity/errors", "identity/created", "identity/pivot_links"} {
		q := cat.MustGet(name)
		vals := maps.Clone(vals)
		if _, ok := q.Param("ip_lo"); !ok {
			delete(vals, "ip_lo")
			delete(vals, "ip_hi")
		}
		one, err := q.Render(athenaTables["one table"], vals)
		if err != nil {
			t.Fatal(err)
		}
		two, err := q.Render(athenaTables["two tables"], vals)
		if err != nil {
			t.Fatal(err)
		}
		mgmt := regexp.MustCompile(`FROM "ctathena"\."management"`)
		data := regexp.MustCompile(`FROM "ctathena"\."data_events"`)
		if n := len(mgmt.FindAllString(one.SQL, -1)); n != 1 {
			t.Errorf("%s reads the shared table %d times:\n%s", name, n, one.SQL)
		}
		if m, d := len(mgmt.FindAllString(two.SQL, -1)), len(data.FindAllString(two.SQL, -1)); m != 1 || d != 1 {
			t.Errorf("%s with two tables reads management %d and data %d times", name, m, d)
		}
		if strings.Contains(one.SQL, "UNION ALL") {
			t.Errorf("%s: UNION ALL left in the one-table text", name)
		}
		// Before this change the text read each table role once, the shared
		// table twice: as the two-table text does.
		before += 2 * windowBytes
		after += windowBytes
	}
	t.Logf("identity (4 activity queries + 1 pivot round) on the sample trail's window partitions (%d bytes a read): %d bytes scanned before, %d after", windowBytes, before, after)
}

// sampleBytes sums the sizes of the sample trail's files in the day
// partitions from..to (as yyyy/mm/dd).
func sampleBytes(t *testing.T, from, to string) int64 {
	t.Helper()
	day := regexp.MustCompile(`/(\d{4}/\d{2}/\d{2})/[^/]+$`)
	var n int64
	root := filepath.Join("..", "testdata", "sample")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		m := day.FindStringSubmatch(filepath.ToSlash(p))
		if m == nil || m[1] < from || m[1] > to {
			return nil
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("sample trail: %d bytes, %v", n, err)
	}
	return n
}

// TestBaselinePartitions: exfil/baseline reads the baseline's days in one
// branch and the window's in the other, so only the days around the
// window's start are read twice. Estimated on the sample trail for the
// README's demo window and the default 14-day baseline.
func TestBaselinePartitions(t *testing.T) {
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{"buckets": "payroll-exports", "since": "2026-10-22T00:00:00Z", "window_since": "2026-11-05T00:00:00Z",
		"until": "2026-11-08T00:00:00Z", "day_from": "2026/10/21", "baseline_day_to": "2026/11/06", "window_day_from": "2026/11/04", "day_to": "2026/11/09",
		"ip_lo": "-1", "ip_hi": "-1"}
	r, err := cat.MustGet("exfil/baseline").Render(athenaTables["one table"], vals)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(r.SQL, `FROM "ctathena"."management"`); n != 2 {
		t.Fatalf("baseline reads the table %d times, want one branch per period", n)
	}
	before := sampleBytes(t, "2026/10/21", "2026/11/09")
	after := sampleBytes(t, "2026/10/21", "2026/11/06") + sampleBytes(t, "2026/11/04", "2026/11/09")
	t.Logf("exfil/baseline on the sample trail: %d bytes scanned with one branch (parameters in the SELECT list), %d with a branch per period (+%.0f%%: the days 2026/11/04-06 read by both)",
		before, after, 100*float64(after-before)/float64(before))
}
