package sigma

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ctathena/ctathena/sql"
)

var update = flag.Bool("update", false, "rewrite testdata/sigma golden files")

var tables = map[string]string{sql.TableManagement: "ctathena.management", sql.TableData: "ctathena.data"}

var window = map[string]string{"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T00:00:00Z", "day_from": "2026/02/28", "day_to": "2026/03/03"}

func catalogOf(t *testing.T, qs []*Query) *sql.Catalog {
	t.Helper()
	base, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(base, qs)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func render(t *testing.T, cat *sql.Catalog, q *Query) *sql.Rendered {
	t.Helper()
	r, err := cat.MustGet(q.Name).Render(tables, q.RenderValues(window))
	if err != nil {
		t.Fatalf("render %s: %v", q.Name, err)
	}
	return r
}

// checkParity checks what both engines need of a rendered query: only
// functions both run, '?' only in the WHERE clause, every parameter within
// Athena's limit as sent, and no rule value in the SQL text.
func checkParity(t *testing.T, cat *sql.Catalog, q *Query, r *sql.Rendered) {
	t.Helper()
	for _, fn := range cat.MustGet(q.Name).FunctionsUsed() {
		if _, ok := sql.Functions[fn]; !ok {
			t.Errorf("%s calls %s, which is not in sql.Functions", q.Name, fn)
		}
	}
	// Both scans' placeholders sit in their WHERE clauses: a line that
	// starts another clause ends one.
	inWhere, wheres := false, 0
	for _, line := range strings.Split(r.SQL, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "WHERE "):
			inWhere = true
			wheres++
		case strings.HasPrefix(l, "AND "):
		default:
			inWhere = false
		}
		if strings.Contains(l, "?") && !inWhere {
			t.Errorf("%s: a placeholder outside the WHERE clauses (%q):\n%s", q.Name, l, r.SQL)
			break
		}
	}
	if wheres != 2 {
		t.Errorf("%s: %d WHERE clauses, want the two scans':\n%s", q.Name, wheres, r.SQL)
	}
	if n := strings.Count(r.SQL, "?"); n != len(r.Args) {
		t.Errorf("%s: %d placeholders, %d arguments", q.Name, n, len(r.Args))
	}
	for i, a := range r.Args {
		s, ok := a.(string)
		if !ok {
			t.Errorf("%s: argument %d is %T", q.Name, i, a)
			continue
		}
		if sent := len(utf16.Encode([]rune("'" + strings.ReplaceAll(s, "'", "''") + "'"))); sent > MaxSentLen {
			t.Errorf("%s: argument %d is %d characters as sent", q.Name, i, sent)
		}
	}
	// JSON paths name fields, which the rule also writes; values are the rest.
	text := regexp.MustCompile(`'\$\.[A-Za-z0-9_.]*'`).ReplaceAllString(r.SQL, "''")
	for name, v := range q.Values {
		if len(v) >= 4 && strings.Contains(text, v) {
			t.Errorf("%s: the value of %s (%q) is in the SQL text", q.Name, name, v)
		}
	}
}

func TestSigmaBundledTranslate(t *testing.T) {
	rules, refused := Bundled()
	if len(rules) != 57 || len(refused) != 0 {
		t.Fatalf("bundled: %d rules, refused %v", len(rules), refused)
	}
	qs, refused := TranslateAll(rules, nil)
	for _, r := range refused {
		t.Logf("not translated: %s", r)
	}
	if len(qs) < 55 {
		t.Errorf("%d of 57 rules translate, want at least 55", len(qs))
	}
	if len(refused) != 1 || !strings.HasSuffix(refused[0].File, "aws_delete_saml_provider.yml") ||
		refused[0].Reason != `search selection: field "status" is not a field of a CloudTrail record` {
		t.Errorf("refused = %v, want only aws_delete_saml_provider (no status field in CloudTrail)", refused)
	}
	cat := catalogOf(t, qs)
	for _, q := range qs {
		r := render(t, cat, q)
		checkParity(t, cat, q, r)
		if !strings.Contains(r.SQL, "WHERE day BETWEEN ? AND ?\n  AND eventtime >= ? AND eventtime < ?\n  AND ") {
			t.Errorf("%s lacks the window and partition predicates", q.Name)
		}
		if len(q.Attack) == 0 {
			// attack.stealth and attack.defense-impairment are ATT&CK's newer
			// tactics, whose ids the table does not guess; the tags still
			// name them in findings.
			t.Logf("%s: no ATT&CK id from tags %v", q.Name, q.Rule.Tags)
		}
		for _, want := range []string{q.Rule.Title, q.Rule.ID, q.Rule.Author, "DRL) 1.1", "https://github.com/SigmaHQ/sigma/blob/" + BundledCommit} {
			if !strings.Contains(q.Summary, want) {
				t.Errorf("%s: summary %q lacks %q", q.Name, q.Summary, want)
			}
		}
	}
	t.Logf("%d of %d bundled rules translate", len(qs), len(rules))
}

// Golden SQL for rules that use each construct: a value list, 1 of with
// null and a JSON boolean, a regular expression with a negated list of
// maps, contains|all over a whole object, contains through a list, a
// fieldref, and * meaning "present".
var goldenRules = []string{
	"aws_cloudtrail_disable_logging", "aws_cloudtrail_guardduty_detector_deleted_or_updated",
	"aws_cloudtrail_imds_malicious_usage", "aws_iam_s3browser_templated_s3_bucket_policy_creation",
	"aws_ecs_task_definition_cred_endpoint_query", "aws_update_login_profile", "aws_ec2_vm_export_failure",
}

func TestSigmaGoldenSQL(t *testing.T) {
	rules, _ := Bundled()
	qs, _ := TranslateAll(rules, nil)
	cat := catalogOf(t, qs)
	byName := map[string]*Query{}
	for _, q := range qs {
		byName[q.Name] = q
	}
	for _, g := range goldenRules {
		q := byName[Pack+"/"+g]
		if q == nil {
			t.Errorf("%s did not translate", g)
			continue
		}
		r := render(t, cat, q)
		var b strings.Builder
		fmt.Fprintf(&b, "-- %s\n", q.Name)
		for i, a := range r.Args {
			fmt.Fprintf(&b, "-- arg %d %s = %q\n", i+1, r.ArgNames[i], a)
		}
		b.WriteString(r.SQL)
		path := filepath.Join("..", "..", "testdata", "sigma", "golden", g+".sql")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if string(want) != b.String() {
			t.Errorf("%s differs from %s (run with -update after checking):\n%s", q.Name, path, b.String())
		}
	}
}

func translateOne(t *testing.T, src string) (*Query, error) {
	t.Helper()
	rules, refused := Parse("team/rule.yml", []byte(src))
	if len(refused) > 0 {
		return nil, fmt.Errorf("%s", refused[0].Reason)
	}
	if len(rules) != 1 {
		t.Fatalf("%d rules", len(rules))
	}
	return Translate(rules[0], "team_rule")
}

const ruleHead = `title: Team rule
id: 11111111-2222-3333-4444-555555555555
author: IR team
level: high
tags: [attack.persistence, attack.t1098]
logsource: {product: aws, service: cloudtrail}
`

func TestSigmaHostileValuesStayParameters(t *testing.T) {
	// Sigma reads *, ? and \ in a value as wildcards and escapes; the
	// values with none of them reach the engine exactly as written.
	hostile := []string{
		`x' OR '1'='1`, `'; DROP TABLE management; --`, `a/+ comment +/b -- c`, `back\slash`,
		`日本語 é ü ‮ mixed`, `{{management}} :since`, `"double" quotes`, `%_ like chars`,
		`wild /* comment */ \* and ?`,
	}
	var b strings.Builder
	b.WriteString(ruleHead + "detection:\n  selection:\n    userAgent:\n")
	for _, h := range hostile {
		fmt.Fprintf(&b, "      - '%s'\n", strings.ReplaceAll(h, "'", "''"))
	}
	b.WriteString("    requestParameters.userName|contains:\n")
	for _, h := range hostile {
		fmt.Fprintf(&b, "      - '%s'\n", strings.ReplaceAll(h, "'", "''"))
	}
	b.WriteString("  condition: selection\n")
	q, err := translateOne(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
	cat := catalogOf(t, []*Query{q})
	r := render(t, cat, q)
	checkParity(t, cat, q, r)
	for _, h := range hostile {
		for _, frag := range []string{h, "DROP", "'1'='1", "comment", "日本", "‮", `"double"`, "{{management}} :since", "like chars"} {
			if strings.Contains(r.SQL, frag) && strings.Contains(h, frag) {
				t.Errorf("SQL text holds %q from a rule value:\n%s", frag, r.SQL)
			}
		}
		if strings.ContainsAny(h, `*?`) {
			continue
		}
		found := false
		for _, a := range r.Args {
			found = found || a == h
		}
		if !found {
			t.Errorf("value %q is not passed as an argument (args %q)", h, r.Args)
		}
	}
	// The wildcards became LIKE's, the escaped * a literal one.
	want0 := `wild /% comment %/ * and _`
	found0 := false
	for _, a := range r.Args {
		found0 = found0 || a == want0
	}
	if !found0 {
		t.Errorf("no LIKE pattern %q among %q", want0, r.Args)
	}
	// contains escapes LIKE's own characters and the escape character.
	want := `%\%\_ like chars%`
	found := false
	for _, a := range r.Args {
		found = found || a == want
	}
	if !found {
		t.Errorf("no LIKE pattern %q among %q", want, r.Args)
	}
}

func TestSigmaRefusesWithReason(t *testing.T) {
	cases := map[string]struct{ src, reason string }{
		"keywords":           {ruleHead + "detection:\n  keywords: [evil, worse]\n  condition: keywords\n", "keyword search"},
		"aggregation":        {ruleHead + "detection:\n  sel: {eventName: ConsoleLogin}\n  condition: sel | count() by sourceIPAddress > 5\n", "aggregations"},
		"timeframe":          {ruleHead + "detection:\n  sel: {eventName: ConsoleLogin}\n  timeframe: 5m\n  condition: sel\n", "timeframe"},
		"modifier":           {ruleHead + "detection:\n  sel: {userAgent|base64: evil}\n  condition: sel\n", "modifier |base64"},
		"other source":       {strings.Replace(ruleHead, "product: aws, service: cloudtrail", "product: windows, service: security", 1) + "detection:\n  sel: {EventID: 4624}\n  condition: sel\n", "not an AWS CloudTrail rule"},
		"quote in key":       {ruleHead + "detection:\n  sel: {requestParameters.a'b: x}\n  condition: sel\n", "not a plain name"},
		"hyphen in key":      {ruleHead + "detection:\n  sel: {requestParameters.x-amz-id: x}\n  condition: sel\n", "not a plain name"},
		"unknown field":      {ruleHead + "detection:\n  sel: {eventName')--: x}\n  condition: sel\n", "not a field of a CloudTrail record"},
		"struct field":       {ruleHead + "detection:\n  sel: {userIdentity.password: x}\n  condition: sel\n", "not one of the userIdentity fields"},
		"lookbehind":         {ruleHead + "detection:\n  sel: {userAgent|re: '(?<=a)b'}\n  condition: sel\n", "RE2 syntax"},
		"ipv6":               {ruleHead + "detection:\n  sel: {sourceIPAddress|cidr: '2001:db8::/32'}\n  condition: sel\n", "IPv6"},
		"near":               {ruleHead + "detection:\n  sel: {eventName: A}\n  condition: sel near sel\n", "unexpected"},
		"no such ident":      {ruleHead + "detection:\n  sel: {eventName: A}\n  condition: sel and other\n", `no search identifier "other"`},
		"no pattern hit":     {ruleHead + "detection:\n  sel: {eventName: A}\n  condition: 1 of filter_*\n", `no search identifier matches "filter_*"`},
		"control char":       {ruleHead + "detection:\n  sel: {userAgent: \"a\\tb\"}\n  condition: sel\n", "control character"},
		"too long":           {ruleHead + "detection:\n  sel: {userAgent: '" + strings.Repeat("''", 520) + "'}\n  condition: sel\n", "at most 1024 fit"},
		"too long in UTF-16": {ruleHead + "detection:\n  sel: {userAgent: '" + strings.Repeat("😀", 512) + "'}\n  condition: sel\n", "1026 characters as Athena receives it"},
		"not yaml":           {"title: [unclosed\n", "not valid YAML"},
		"collection":         {ruleHead + "action: global\ndetection:\n  sel: {eventName: A}\n  condition: sel\n", "rule collections"},
		"correlation":        {"title: c\ncorrelation: {type: event_count}\n", "correlation rules"},
	}
	for name, c := range cases {
		_, err := translateOne(t, c.src)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.reason)
		}
	}
}

// The condition forms and modifiers the specification defines for team
// rules, written out: their SQL shape here, their matching on the engine
// in investigate's tests.
func TestSigmaConditionForms(t *testing.T) {
	src := ruleHead + `detection:
  sel_a: {eventName: A}
  sel_b: {eventName|endswith: B}
  sel_c: {sourceIPAddress|cidr: 10.1.0.0/20}
  _hidden: {userAgent|cased: Exact}
  filter: {errorCode|exists: true}
  condition: (sel_a or sel_b) and not filter or all of sel_* or 1 of them
`
	q, err := translateOne(t, src)
	if err != nil {
		t.Fatal(err)
	}
	where := q.Text[strings.Index(q.Text, "AND eventtime < :until\n  AND ")+len("AND eventtime < :until\n  AND "):]
	where = where[:strings.Index(where, "\nGROUP BY")]
	a := "COALESCE(lower(eventname) = lower(:v1_eventname), FALSE)"
	b := "COALESCE(lower(eventname) LIKE lower(:v2_eventname) ESCAPE '\\', FALSE)"
	c := "COALESCE(regexp_like(sourceipaddress, :v3_sourceipaddress), FALSE)"
	f := "(errorcode IS NOT NULL)"
	want := "(((" + a + " OR " + b + ") AND (NOT " + f + ")) OR (" + a + " AND " + b + " AND " + c + ") OR (" + a + " OR " + b + " OR " + c + " OR " + f + "))"
	if where != want {
		t.Errorf("WHERE\n%s\nwant\n%s", where, want)
	}
	if q.Values["v2_eventname"] != "%B" || q.Values["v3_sourceipaddress"] != `^0*10\.0*1\.0*(?:0|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15)\.[0-9]{1,3}$` {
		t.Errorf("values %q", q.Values)
	}
	if strings.Contains(q.Text, "useragent") {
		t.Error("_hidden is not part of 1 of them, and no condition names it")
	}
}

func TestSigmaCIDRPattern(t *testing.T) {
	cases := []struct {
		cidr     string
		in, out  []string
		patternL int
	}{
		{"198.51.100.0/24", []string{"198.51.100.7", "198.051.100.255"}, []string{"198.51.101.7", "198.51.100.7x", "1198.51.100.7"}, 0},
		{"10.0.0.0/9", []string{"10.0.0.1", "10.127.255.255"}, []string{"10.128.0.1", "11.0.0.1"}, 0},
		{"203.0.113.9/32", []string{"203.0.113.9", "203.000.113.009"}, []string{"203.0.113.90", "203.0.113.8"}, 0},
		{"0.0.0.0/0", []string{"1.2.3.4"}, []string{"AWS Internal", "2001:db8::1"}, 0},
	}
	for _, c := range cases {
		p, err := cidrPattern(c.cidr)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(p)
		for _, ip := range c.in {
			if !re.MatchString(ip) {
				t.Errorf("%s: %s not matched by %s", c.cidr, ip, p)
			}
		}
		for _, ip := range c.out {
			if re.MatchString(ip) {
				t.Errorf("%s: %s matched by %s", c.cidr, ip, p)
			}
		}
	}
}

func TestSigmaWildcardsAndSeverity(t *testing.T) {
	got := likePattern(compact(append(append([]piece{{wild: '*'}}, wildcards(`a\*b?c\\d\e*`)...), piece{wild: '*'})), false)
	if want := `%a*b_c\\d\\e%`; got != want {
		t.Errorf("like pattern %q, want %q", got, want)
	}
	if got := likePattern(wildcards(`"x\y"`), true); got != `\\"x\\\\y\\"` {
		t.Errorf("JSON-text pattern %q", got)
	}
	for level, want := range map[string]string{"critical": "high", "high": "high", "medium": "medium", "low": "low", "informational": "info", "": "medium"} {
		if got := Severity(level); got != want {
			t.Errorf("Severity(%q) = %q, want %q", level, got, want)
		}
	}
	if got := attackIDs([]string{"attack.t1098.001", "attack.persistence", "attack.stealth", "attack.g0016", "cve.2021-1"}); strings.Join(got, " ") != "T1098.001 TA0003" {
		t.Errorf("attack ids %v", got)
	}
}

func TestSigmaNamesAreUnique(t *testing.T) {
	src := ruleHead + "detection:\n  sel: {eventName: A}\n  condition: sel\n"
	var rules []*Rule
	for _, f := range []string{"team/rules.yml", "other/rules.yml", "team/AWS CloudTrail Disable Logging.yml", "team/2024-rule.yaml"} {
		rs, refused := Parse(f, []byte(src+"---\n"+src))
		if len(refused) > 0 || len(rs) != 2 {
			t.Fatalf("%s: %d rules, %v", f, len(rs), refused)
		}
		rules = append(rules, rs...)
	}
	bundled, _ := Bundled()
	qs, refused := TranslateAll(append(append([]*Rule{}, bundled...), rules...), map[string]bool{"sigma/rules": true})
	if len(refused) != 1 {
		t.Fatalf("refused %v", refused)
	}
	var names []string
	for _, q := range qs[len(qs)-8:] {
		names = append(names, q.Name)
	}
	want := "sigma/rules_2 sigma/rules_3 sigma/rules_4 sigma/rules_5 sigma/aws_cloudtrail_disable_logging_2 sigma/aws_cloudtrail_disable_logging_3 sigma/rule_2024_rule sigma/rule_2024_rule_2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names %s\nwant  %s", got, want)
	}
	catalogOf(t, qs) // every name is a valid, unique catalog name
}

// TestSigmaScopedAtOrgScale: each rule's two scans, scoped as the Athena
// engine sends them for a 2,000-account, 17-region organization over 30
// days, stay within Athena's limits: at most MaxQueryBytes of SQL, one
// argument per placeholder, each within MaxParamLen as sent.
func TestSigmaScopedAtOrgScale(t *testing.T) {
	rules, _ := Bundled()
	qs, _ := TranslateAll(rules, nil)
	cat := catalogOf(t, qs)
	regions := []string{"af-south-1", "ap-east-1", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
		"ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3",
		"sa-east-1", "us-east-1", "us-east-2", "us-west-2"}
	var pairs []sql.Pair
	for i := range 2000 {
		for _, r := range regions {
			pairs = append(pairs, sql.Pair{Account: fmt.Sprintf("%012d", 300000000000+i*7919), Region: r})
		}
	}
	largest, mostArgs := 0, 0
	for _, q := range qs {
		// 30 days padded to 33, 50,000 partitions a scan (tables.ScanBudget):
		// 1,122,000 partitions, so each of the two scans is 23 of at most
		// 50,000.
		month := map[string]string{"since": "2026-03-01T00:00:00Z", "until": "2026-03-31T00:00:00Z", "day_from": "2026/02/28", "day_to": "2026/04/01"}
		r, err := cat.MustGet(q.Name).RenderScoped(tables, q.RenderValues(month), map[string]sql.Scope{sql.TableManagement: {Pairs: pairs, Budget: 50_000}})
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		if len(r.SQL) > sql.MaxQueryBytes || strings.Count(r.SQL, "?") != len(r.Args) {
			t.Errorf("%s: %d bytes of SQL, %d placeholders for %d arguments", q.Name, len(r.SQL), strings.Count(r.SQL, "?"), len(r.Args))
		}
		if len(r.Scans) != 2*23 {
			t.Errorf("%s: %d scoped scans, want 23 for each of its two", q.Name, len(r.Scans))
		}
		for i, a := range r.Args {
			if s, ok := a.(string); ok && len(s) > sql.MaxParamLen {
				t.Errorf("%s: argument %d is %d characters", q.Name, i+1, len(s))
			}
		}
		largest, mostArgs = max(largest, len(r.SQL)), max(mostArgs, len(r.Args))
	}
	t.Logf("%d rules: at most %d bytes of SQL and %d arguments", len(qs), largest, mostArgs)
}
