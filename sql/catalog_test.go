package sql

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedCatalogParses(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.List()) == 0 {
		t.Fatal("catalog is empty")
	}
	for _, q := range c.List() {
		for _, f := range q.FunctionsUsed() {
			if _, ok := Functions[f]; !ok {
				t.Errorf("%s calls %s(), which is not in the list of functions both engines run (catalog.Functions)", q.File, f)
			}
		}
	}
}

func TestEveryQueryRendersWithoutUserText(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	samples := map[Type]string{
		"timestamp": "2026-11-01T00:00:00Z", "day": "2026/11/01", "s3_bucket": "zz-sentinel-bucket",
		"s3_bucket_list": "zz-sentinel-bucket,zz-other-bucket", "account_id": "987654321098",
		"account_list": "987654321098,987654321099", "arn": "arn:aws:iam::987654321098:user/zz-sentinel",
		"access_key": "AKIAZZSENTINEL00001", "ip": "203.0.113.254", "int": "424242", "cidr": "203.0.113.0/24",
		"event_name": "ZzSentinelEvent", "text": "zz-sentinel text",
		"arn_list":        "arn:aws:iam::987654321098:user/zz-sentinel,arn:aws:iam::987654321098:user/zz-sentinel2",
		"access_key_list": "AKIAZZSENTINEL00001,ASIAZZSENTINEL00002", "ip_list": "203.0.113.254,2001:db8::254",
	}
	for _, q := range c.List() {
		vals := map[string]string{}
		for _, p := range q.Params {
			v, ok := samples[p.Type]
			if !ok {
				t.Fatalf("no sample for type %s", p.Type)
			}
			vals[p.Name] = v
		}
		r, err := q.Render(map[string]string{"management": "db.mgmt", "data": "db.data"}, vals)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		if strings.Contains(r.SQL, "sentinel") || strings.Contains(r.SQL, "424242") || strings.Contains(r.SQL, "203.0.113.254") || strings.Contains(r.SQL, "203.0.113.0/24") {
			t.Errorf("%s: a user value reached the SQL text:\n%s", q.Name, r.SQL)
		}
		if got, want := strings.Count(r.SQL, "?"), len(r.Args); got != want {
			t.Errorf("%s: %d placeholders but %d args", q.Name, got, want)
		}
		if strings.Contains(r.SQL, "{{") || strings.Contains(r.SQL, ":since") {
			t.Errorf("%s: unrendered placeholder in\n%s", q.Name, r.SQL)
		}
	}
}

func TestHeaderErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown key", "-- name: p/q\n-- summary: s\n-- colour: red\n-- table: data\nSELECT 1 FROM {{data}}", "p/q.sql:3: unknown header key \"colour\""},
		{"undeclared param", "-- name: p/q\n-- summary: s\n-- table: data\nSELECT 1 FROM {{data}}\nWHERE x = :who", "p/q.sql:5: parameter :who is used but not declared"},
		{"unused param", "-- name: p/q\n-- summary: s\n-- param: who arn\n-- table: data\nSELECT 1 FROM {{data}}", "p/q.sql:3: parameter \"who\" is declared but never used"},
		{"unknown table", "-- name: p/q\n-- summary: s\n-- table: logs\nSELECT 1", "p/q.sql:3: unknown table \"logs\""},
		{"undeclared table", "-- name: p/q\n-- summary: s\n-- table: data\nSELECT 1 FROM {{data}} JOIN {{management}} ON true", "p/q.sql:4: table {{management}} is used but not declared"},
		{"bad type", "-- name: p/q\n-- summary: s\n-- param: who person\n-- table: data\nSELECT :who FROM {{data}}", "p/q.sql:3: param \"who\" has unknown type \"person\""},
		{"name mismatch", "-- name: p/other\n-- summary: s\n-- table: data\nSELECT 1 FROM {{data}}", "p/q.sql:1: name \"p/other\" does not match"},
		{"bare placeholder", "-- name: p/q\n-- summary: s\n-- table: data\nSELECT 1 FROM {{data}}\nWHERE a = ?", "p/q.sql:5: bare '?'"},
		{"no summary", "-- name: p/q\n-- table: data\nSELECT 1 FROM {{data}}", "p/q.sql:1: missing `-- summary:`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"queries/p/q.sql": {Data: []byte(tc.src)}}, "queries")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestPlaceholdersInsideLiteralsAreText(t *testing.T) {
	src := "-- name: p/q\n-- summary: s\n-- param: who arn\n-- table: data\nSELECT ':not_a_param', \"{{data}}\" -- :nor_this\nFROM {{data}} WHERE a = :who AND b = :who"
	c, err := Load(fstest.MapFS{"queries/p/q.sql": {Data: []byte(src)}}, "queries")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.MustGet("p/q").Render(map[string]string{"data": "cloudtrail"}, map[string]string{"who": "arn:aws:iam::123456789012:user/a"})
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT ':not_a_param', \"{{data}}\" -- :nor_this\nFROM \"cloudtrail\" WHERE a = ? AND b = ?\n"
	if r.SQL != want {
		t.Fatalf("got %q\nwant %q", r.SQL, want)
	}
	if len(r.Args) != 2 || r.Args[0] != "arn:aws:iam::123456789012:user/a" {
		t.Fatalf("args %v", r.Args)
	}
}

func TestHostileValuesAreRefused(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	q := c.MustGet("exfil/top_readers")
	base := map[string]string{"buckets": "payroll-exports", "since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z",
		"day_from": "2026/10/31", "day_to": "2026/11/03", "ip_lo": "-1", "ip_hi": "-1"}
	for name, v := range map[string][2]string{
		"quote bucket": {"buckets", "x' OR '1'='1"},
		"upper bucket": {"buckets", "Payroll"},
		"ip bucket":    {"buckets", "192.168.1.1"},
		"bad time":     {"since", "yesterday"},
		"bad arn":      {"principal", "alice'--"},
		"bad ip":       {"ip", "999.1.1.1"},
		"control text": {"key_prefix", "a\x00b"},
	} {
		vals := map[string]string{}
		for k, x := range base {
			vals[k] = x
		}
		vals[v[0]] = v[1]
		_, err := q.Render(map[string]string{"data": "t"}, vals)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %q accepted (err %v)", name, v[1], err)
		}
	}
	if _, err := q.Render(map[string]string{"data": "t\"; DROP"}, base); err == nil {
		t.Error("a hostile table identifier was accepted")
	}
}

func TestTypes(t *testing.T) {
	good := map[Type][]string{
		"ip":        {"198.51.100.7", "2001:db8::1", "035.249.253.232"},
		"s3_bucket": {"payroll-exports", "a.b-c", "abc"},
		"timestamp": {"2026-11-01T10:00:00+02:00"},
		"arn":       {"arn:aws:sts::123456789012:assumed-role/ops-admin/alice@example.com", "arn:aws:iam::aws:policy/AdministratorAccess"},
	}
	for ty, vs := range good {
		for _, v := range vs {
			if _, err := Check(ty, v); err != nil {
				t.Errorf("%s %q: %v", ty, v, err)
			}
		}
	}
	if v, _ := Check("timestamp", "2026-11-01T10:00:00+02:00"); v != "2026-11-01T08:00:00Z" {
		t.Errorf("timestamp not normalised to UTC: %v", v)
	}
}

func TestFragments(t *testing.T) {
	fsys := fstest.MapFS{
		"queries/p/_shared.sql": {Data: []byte("shared AS (\n  SELECT eventid FROM {{data}} WHERE eventtime >= :since\n)")},
		"queries/p/q.sql":       {Data: []byte("-- name: p/q\n-- summary: s\n-- param: since timestamp\n-- table: data\nWITH {{> p/_shared}}\nSELECT * FROM shared")},
	}
	c, err := Load(fsys, "queries")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.MustGet("p/q").Render(map[string]string{"data": "t"}, map[string]string{"since": "2026-11-01T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "WITH shared AS (\n  SELECT eventid FROM \"t\" WHERE eventtime >= ?\n)\nSELECT * FROM shared\n"; r.SQL != want {
		t.Fatalf("got %q", r.SQL)
	}
	if len(c.List()) != 1 {
		t.Fatalf("a fragment was listed as a query: %v", c.List())
	}
	// A parameter the including query does not declare is named in the fragment.
	fsys["queries/p/q.sql"] = &fstest.MapFile{Data: []byte("-- name: p/q\n-- summary: s\n-- table: data\nWITH {{> p/_shared}}\nSELECT * FROM shared")}
	if _, err := Load(fsys, "queries"); err == nil || !strings.Contains(err.Error(), "p/_shared.sql:2: parameter :since is used but not declared (by p/q)") {
		t.Fatalf("got %v", err)
	}
	fsys["queries/p/q.sql"] = &fstest.MapFile{Data: []byte("-- name: p/q\n-- summary: s\n-- table: data\nWITH {{> p/_missing}}\nSELECT 1 FROM {{data}}")}
	if _, err := Load(fsys, "queries"); err == nil || !strings.Contains(err.Error(), "p/q.sql:4: unknown fragment") {
		t.Fatalf("got %v", err)
	}
}

func TestNestedFragmentsAndCycles(t *testing.T) {
	fsys := fstest.MapFS{
		"queries/c/_who.sql":  {Data: []byte("upper(x)")},
		"queries/p/_cols.sql": {Data: []byte("{{> c/_who}} AS who")},
		"queries/p/q.sql":     {Data: []byte("-- name: p/q\n-- summary: s\n-- table: data\nSELECT {{> p/_cols}} FROM {{data}}")},
	}
	c, err := Load(fsys, "queries")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.MustGet("p/q").Render(map[string]string{"data": "t"}, nil)
	if err != nil || r.SQL != "SELECT upper(x) AS who FROM \"t\"\n" {
		t.Fatalf("got %q %v", r.SQL, err)
	}
	fsys["queries/c/_who.sql"] = &fstest.MapFile{Data: []byte("{{> p/_cols}}")}
	if _, err := Load(fsys, "queries"); err == nil || !strings.Contains(err.Error(), "fragments include each other") {
		t.Fatalf("cycle not refused: %v", err)
	}
}

// TestSQLText: the text has the fragments spliced in and the placeholders
// left in place.
func TestSQLText(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	text := cat.MustGet("exfil/top_readers").SQLText()
	for _, want := range []string{"eventsource = 's3.amazonaws.com'", ":buckets", "{{data}}", "useridentity"} {
		if !strings.Contains(text, want) {
			t.Errorf("SQLText lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "{{>") {
		t.Errorf("SQLText has an include left:\n%s", text)
	}
}

// TestOwnDataSections: SQL in {{#own_data}} ... {{/own_data}} is left out
// when the data table is the management table, with the marker lines.
func TestOwnDataSections(t *testing.T) {
	src := "-- name: p/q\n-- summary: s\n-- table: management data\nSELECT 1 FROM {{management}}\n  {{#own_data}}\n  UNION ALL SELECT 1 FROM {{data}}\n  {{/own_data}}\n"
	c, err := Load(fstest.MapFS{"q/p/q.sql": {Data: []byte(src)}}, "q")
	if err != nil {
		t.Fatal(err)
	}
	q := c.MustGet("p/q")
	one, err := q.Render(map[string]string{"management": "db.m", "data": "db.m"}, nil)
	if err != nil || one.SQL != "SELECT 1 FROM \"db\".\"m\"\n" {
		t.Fatalf("one table: %q %v", one.SQL, err)
	}
	two, err := q.Render(map[string]string{"management": "db.m", "data": "db.d"}, nil)
	if err != nil || two.SQL != "SELECT 1 FROM \"db\".\"m\"\n  UNION ALL SELECT 1 FROM \"db\".\"d\"\n" {
		t.Fatalf("two tables: %q %v", two.SQL, err)
	}
	for body, want := range map[string]string{
		"{{#own_data}} {{#own_data}} {{/own_data}}": "inside another",
		"{{/own_data}}": "without {{#own_data}}",
		"{{#own_data}}": "never closed",
		"{{#data}}":     "unknown section",
	} {
		src := "-- name: p/q\n-- summary: s\n-- table: data\nSELECT 1 FROM {{data}} " + body
		if _, err := Load(fstest.MapFS{"q/p/q.sql": {Data: []byte(src)}}, "q"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}
