package investigate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
	"github.com/ctathena/ctathena/sql/sigma"
)

// sigmaNarrow is the SQL of the bundled Sigma queries, for the local
// engine's column narrowing in tests that run hunt.
func sigmaNarrow(t *testing.T, cat *sql.Catalog) []string {
	t.Helper()
	texts, err := SigmaSQL(&Env{Catalog: cat}, HuntOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// The tests below write CloudTrail events from each bundled rule, read the
// rule's YAML themselves (not through the translator), and run the
// translated queries on the real local engine: every translated rule must
// match its positive event and none of its near misses.

type sigmaCond struct {
	field string
	mods  map[string]bool
	vals  []*string // nil is Sigma's null
}

type sigmaMap []sigmaCond

type sigmaTestRule struct {
	file      string
	idents    map[string][]sigmaMap // a search: any of its maps, all of a map's conditions
	order     []string
	condition string
}

func readTestRule(t *testing.T, path string) sigmaTestRule {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Detection map[string]yaml.Node `yaml:"detection"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r := sigmaTestRule{file: filepath.Base(path), idents: map[string][]sigmaMap{}}
	for k, n := range doc.Detection {
		if k == "condition" {
			r.condition = n.Value
			continue
		}
		r.order = append(r.order, k)
		var maps []*yaml.Node
		if n.Kind == yaml.SequenceNode {
			maps = n.Content
		} else {
			maps = []*yaml.Node{&n}
		}
		for _, m := range maps {
			var sm sigmaMap
			for i := 0; i+1 < len(m.Content); i += 2 {
				parts := strings.Split(m.Content[i].Value, "|")
				c := sigmaCond{field: parts[0], mods: map[string]bool{}}
				for _, p := range parts[1:] {
					c.mods[p] = true
				}
				v := m.Content[i+1]
				vs := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					vs = v.Content
				}
				for _, x := range vs {
					if x.ShortTag() == "!!null" {
						c.vals = append(c.vals, nil)
					} else {
						s := x.Value
						c.vals = append(c.vals, &s)
					}
				}
				sm = append(sm, c)
			}
			r.idents[k] = append(r.idents[k], sm)
		}
	}
	sort.Strings(r.order)
	return r
}

// terms splits the bundled rules' conditions (X, not X, 1 of P*, joined
// by and; the dataset's README lists every form) into what must hold and
// what must not; "1 of P*" is met by its first identifier.
func (r sigmaTestRule) terms(t *testing.T) (must, mustNot [][]string) {
	for _, term := range strings.Split(r.condition, " and ") {
		term = strings.TrimSpace(term)
		neg := strings.HasPrefix(term, "not ")
		term = strings.TrimPrefix(term, "not ")
		var names []string
		if pat, ok := strings.CutPrefix(term, "1 of "); ok {
			for _, id := range r.order {
				if m, _ := filepath.Match(pat, id); m {
					names = append(names, id)
				}
			}
		} else {
			names = []string{term}
		}
		if len(names) == 0 || r.idents[names[0]] == nil {
			t.Fatalf("%s: condition term %q names no identifier", r.file, term)
		}
		if neg {
			mustNot = append(mustNot, names)
		} else {
			must = append(must, names)
		}
	}
	return must, mustNot
}

// swapCase turns "NO" into "no" and "Success" into "sUCCESS": Sigma matches
// ignore case, and real events differ from rules in case.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 32
		case r >= 'A' && r <= 'Z':
			return r + 32
		}
		return r
	}, s)
}

// literal expands a Sigma value's wildcards into text the value matches.
func literal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`*?\`, s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		case c == '*':
		case c == '?':
			b.WriteByte('q')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// regexExamples are values that the rules' regular expressions match, and
// near misses they do not.
var regexExamples = map[string][2]string{
	`.+:assumed-role/aws:.+`: {"arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0123456789abcdef0",
		"arn:aws:sts::111122223333:assumed-role/AWS:ec2-instance/i-0123456789abcdef0"},
}

type eventDoc map[string]any

func (e eventDoc) set(field string, v any) {
	parts := strings.Split(field, ".")
	cur := map[string]any(e)
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	if v == nil {
		delete(cur, parts[len(parts)-1])
		return
	}
	cur[parts[len(parts)-1]] = v
}

var jsonCols = map[string]bool{"requestParameters": true, "responseElements": true, "additionalEventData": true}

// value is what an event holds for a condition to hold: the rule's first
// value, its wildcards expanded, its case swapped, wrapped in other text
// for contains/startswith/endswith. near changes the value's first letter
// so that the condition fails.
func (c sigmaCond) value(near bool) (any, bool) {
	if c.mods["re"] {
		ex, ok := regexExamples[*c.vals[0]]
		if !ok {
			return nil, false
		}
		if near {
			return ex[1], true
		}
		return ex[0], true
	}
	if c.vals[0] == nil {
		return nil, !near
	}
	vals := c.vals[:1]
	if c.mods["all"] {
		vals = c.vals
	}
	var parts []string
	for _, v := range vals {
		lit := literal(*v)
		if lit == "" {
			if near {
				return nil, true // absent instead of present
			}
			if head := strings.Split(c.field, ".")[0]; jsonCols[head] && strings.Contains(c.field, ".") {
				return []any{"arn:aws:lambda:us-east-1:111122223333:layer:sigma-test:1"}, true // a list, as CloudTrail writes layers
			}
			return "present", true
		}
		if near {
			lit = "#" + lit[1:]
		}
		if !c.mods["cased"] {
			lit = swapCase(lit)
		}
		parts = append(parts, lit)
	}
	s := strings.Join(parts, " and ")
	if c.mods["contains"] || c.mods["endswith"] {
		s = "pre-" + s
	}
	if c.mods["contains"] || c.mods["startswith"] {
		s += "-post"
	}
	if strings.Contains(c.field, ".") && jsonCols[strings.Split(c.field, ".")[0]] {
		switch strings.ToLower(s) {
		case "true":
			return true, true // a JSON boolean, as real events have it
		case "false":
			return false, true
		}
	}
	return s, true
}

// apply sets every condition of m on e (the object-wide contains as one key
// of the object); near breaks the first condition that can be broken.
func (m sigmaMap) apply(e eventDoc, near bool) bool {
	broke := false
	for _, c := range m {
		if c.mods["fieldref"] {
			e.set(c.field, "sigma-user")
			e.set(*c.vals[0], "sigma-user")
			continue
		}
		breakThis := near && !broke && c.vals[0] != nil && (literal(*c.vals[0]) != "" || c.mods["re"])
		v, ok := c.value(breakThis)
		if !ok {
			return false
		}
		if breakThis {
			broke = true
		}
		if jsonCols[c.field] {
			e.set(c.field+".sigmaTestText", v)
			continue
		}
		e.set(c.field, v)
	}
	return !near || broke
}

type sigmaCase struct {
	rule, query string
	id          string
	positive    bool
	what        string
}

// sigmaOverrides are positive events in CloudTrail's real shape where the
// generated one would be too simple: a list where the rule names a path
// through it, a policy document as the JSON string IAM logs.
var sigmaOverrides = map[string]func(e eventDoc){
	"aws_ecs_task_definition_cred_endpoint_query.yml": func(e eventDoc) {
		e["requestParameters"] = map[string]any{"family": "sigma-test", "containerDefinitions": []any{
			map[string]any{"name": "app", "image": "alpine", "command": []any{"/bin/sh", "-c", "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}}}}
	},
	"aws_iam_s3browser_templated_s3_bucket_policy_creation.yml": func(e eventDoc) {
		e["requestParameters"] = map[string]any{"userName": "sigma-user", "policyName": "s3browser",
			"policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>","arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}`}
	},
}

func baseEvent(id string) eventDoc {
	return eventDoc{
		"eventVersion": "1.09", "eventTime": "2026-03-01T10:00:00Z", "eventID": id,
		"awsRegion": "us-east-1", "recipientAccountId": "111122223333", "eventType": "AwsApiCall",
		"eventSource": "sigmatest.amazonaws.com", "eventName": "SigmaTestCall",
		"userIdentity":    map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/tester", "accountId": "111122223333"},
		"sourceIPAddress": "203.0.113.9", "userAgent": "sigma-test-agent",
	}
}

// buildSigmaEvents writes, for every bundled rule, one positive event, one
// near miss per breakable search it needs, and one event per filter it
// negates (the positive with the filter met).
func buildSigmaEvents(t *testing.T, dir string) []sigmaCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "sql", "sigma", "rules", "*.yml"))
	if err != nil || len(files) != 57 {
		t.Fatalf("bundled rules: %d files, %v", len(files), err)
	}
	var cases []sigmaCase
	var records []eventDoc
	for _, f := range files {
		r := readTestRule(t, f)
		must, mustNot := r.terms(t)
		q := "sigma/" + sigma.Slug(r.file)
		build := func(breakAt int, meet int) (eventDoc, bool) {
			id := fmt.Sprintf("%s-%d-%d", strings.TrimSuffix(r.file, ".yml"), breakAt, meet)
			e := baseEvent(id)
			for i, names := range must {
				if !r.idents[names[0]][0].apply(e, i == breakAt) {
					return nil, false
				}
			}
			if o := sigmaOverrides[r.file]; o != nil && breakAt < 0 {
				o(e)
			}
			if meet >= 0 {
				if !r.idents[mustNot[meet][0]][0].apply(e, false) {
					return nil, false
				}
			}
			return e, true
		}
		e, ok := build(-1, -1)
		if !ok {
			t.Fatalf("%s: no positive event could be written", r.file)
		}
		records = append(records, e)
		cases = append(cases, sigmaCase{rule: r.file, query: q, id: e["eventID"].(string), positive: true, what: "positive"})
		for i := range must {
			if e, ok := build(i, -1); ok {
				records = append(records, e)
				cases = append(cases, sigmaCase{rule: r.file, query: q, id: e["eventID"].(string), what: fmt.Sprintf("near miss: %s not met", must[i][0])})
			}
		}
		for j := range mustNot {
			if e, ok := build(-1, j); ok {
				records = append(records, e)
				cases = append(cases, sigmaCase{rule: r.file, query: q, id: e["eventID"].(string), what: fmt.Sprintf("near miss: %s met", mustNot[j][0])})
			}
		}
	}
	// CloudTrail writes < and > as they are, so the encoder must too.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"Records": records}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sigma-events.json"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return cases
}

func sigmaEnv(t *testing.T, dir string, w Window) *Env {
	t.Helper()
	eng, err := local.Open(context.Background(), local.Options{Dir: dir, From: w.Since, To: w.Until, TempDir: t.TempDir(), Narrow: packNarrow(t, "hunt")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}, Parallel: 2}
}

func TestSigmaBundledRulesFireAndMiss(t *testing.T) {
	dir := t.TempDir()
	cases := buildSigmaEvents(t, dir)
	w := Window{Since: utc("2026-03-01T00:00:00Z"), Until: utc("2026-03-02T00:00:00Z")}
	out, err := Hunt(context.Background(), sigmaEnv(t, dir, w), HuntOptions{Window: w, Packs: []string{SigmaPack}})
	if err != nil {
		t.Fatal(err)
	}
	hits := map[string]map[string]bool{}
	for _, q := range out.Queries {
		if q.Err != "" {
			t.Errorf("%s failed: %s", q.Name, q.Err)
		}
		if !strings.HasPrefix(q.Name, "sigma/") || q.Derived {
			continue
		}
		rr := newRowReader(colNames(q.Columns))
		hits[q.Name] = map[string]bool{}
		for _, row := range q.Rows {
			hits[q.Name][rr.str(row, "event_id")] = true
		}
	}
	refused := map[string]bool{"aws_delete_saml_provider.yml": true}
	fired, silent := 0, 0
	for _, c := range cases {
		if refused[c.rule] {
			if _, ran := hits[c.query]; ran {
				t.Errorf("%s ran but should be refused", c.rule)
			}
			continue
		}
		got, ran := hits[c.query]
		switch {
		case !ran:
			t.Errorf("%s: query %s did not run", c.rule, c.query)
		case c.positive && !got[c.id]:
			t.Errorf("%s: the positive event %s is not matched", c.rule, c.id)
		case !c.positive && got[c.id]:
			t.Errorf("%s: %s (event %s) is matched", c.rule, c.what, c.id)
		case c.positive:
			fired++
		default:
			silent++
		}
	}
	t.Logf("%d rules fire on their positive event; %d near misses stay silent", fired, silent)
	if fired != 56 {
		t.Errorf("%d rules fired, want 56 (57 less the one refused)", fired)
	}
	// The rules list names every rule, with its author and licence.
	for _, q := range out.Queries {
		if q.Name != sigmaRulesTable {
			continue
		}
		if len(q.Rows) != 57 {
			t.Errorf("sigma/rules lists %d rules, want 57", len(q.Rows))
		}
		rr := newRowReader(colNames(q.Columns))
		for _, row := range q.Rows {
			if rr.str(row, "state") == "ran" && (rr.str(row, "author") == "" || !strings.Contains(rr.str(row, "licence"), "DRL")) {
				t.Errorf("%s: no author or licence on the rules sheet", rr.str(row, "query"))
			}
			if rr.str(row, "state") == "not translated" && !strings.Contains(rr.str(row, "reason_not_run"), `"status"`) {
				t.Errorf("refused rule without its reason: %v", row)
			}
		}
	}
}

// TestSigmaStratusHitsByRule runs the whole hunt, Sigma included, over the
// Stratus Red Team detonations: the hits per rule are a golden file, and a
// built-in finding that a rule confirms lists both as its sources.
func TestSigmaStratusHitsByRule(t *testing.T) {
	dir := filepath.Join("..", "testdata", "stratus")
	w := Window{Since: utc("2024-07-01T00:00:00Z"), Until: utc("2024-12-31T00:00:00Z")}
	out, err := Hunt(context.Background(), huntEnv(t, dir, w), HuntOptions{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, q := range out.Queries {
		if q.Name != sigmaRulesTable {
			continue
		}
		rr := newRowReader(colNames(q.Columns))
		for _, row := range q.Rows {
			name := rr.str(row, "query")
			if name == "" {
				name = rr.str(row, "source")
			}
			lines = append(lines, fmt.Sprintf("%s\t%s\t%s", name, rr.str(row, "state"), orDash(rr.str(row, "matching_events"))))
		}
	}
	if len(lines) != 57 {
		t.Fatalf("sigma/rules has %d rows, want 57", len(lines))
	}
	golden(t, filepath.Join("..", "testdata", "sigma", "stratus_hits.golden"), strings.Join(lines, "\n")+"\n")

	both := false
	for _, f := range out.Findings {
		if len(f.Sources) < 2 {
			continue
		}
		if f.Sources[0] == "hunt/evasion_logging" && strings.HasPrefix(f.Sources[1], "sigma/aws_cloudtrail_disable_logging (Sigma rule 4db60cc0-") &&
			strings.Contains(f.Text, "StopLogging") && strings.Contains(f.Text, "“AWS CloudTrail Important Change” (SigmaHQ, by vitaliy0x1, level medium)") {
			both = true
			if f.Severity != "high" || len(f.EventIDs) != 1 {
				t.Errorf("merged StopLogging finding: severity %s, %d events", f.Severity, len(f.EventIDs))
			}
		}
	}
	if !both {
		t.Error("no finding lists hunt/evasion_logging and the Sigma rule on the StopLogging event")
	}
	// A statement of a rule that no built-in query confirms, ranked by its level.
	found := false
	for _, f := range out.Findings {
		if f.Query == "sigma/aws_sts_assumerole_misuse" && f.Severity == "low" && strings.HasPrefix(f.Text, "Sigma rule “AWS STS AssumeRole Misuse” (SigmaHQ, by Austin Songer @austinsonger, level low) matched: ") {
			found = len(f.EventIDs) > 0 && len(f.Events) == len(f.EventIDs) && len(f.Attack) > 0 &&
				len(f.Sources) == 1 && f.Sources[0] == "sigma/aws_sts_assumerole_misuse (Sigma rule 905d389b-b853-46d0-9d3d-dea0d3a3cd49)"
		}
	}
	if !found {
		t.Error("no low-severity statement of sigma/aws_sts_assumerole_misuse with its events and ATT&CK ids")
	}
}

func TestSigmaMergeAndOrder(t *testing.T) {
	fs := []reports.Finding{
		{Severity: "high", Query: "hunt/a", Text: "A.", EventIDs: []string{"e1", "e2"}},
		{Severity: "medium", Query: "hunt/b", Text: "B.", EventIDs: []string{"e3"}},
		{Severity: "info", Query: "hunt/b", Text: "Pack b: 1 matching event."},
	}
	add := []sigmaHit{
		{reports.Finding{Severity: "medium", Query: "sigma/x", Text: "X matched: e1.", EventIDs: []string{"e1"}, Attack: []string{"T1098"}}, "Sigma rule “X”", "sigma/x (Sigma rule 1)"},
		{reports.Finding{Severity: "high", Query: "sigma/y", Text: "Y matched: e3.", EventIDs: []string{"e3"}}, "Sigma rule “Y”", "sigma/y (Sigma rule 2)"},
		{reports.Finding{Severity: "low", Query: "sigma/z", Text: "Z matched: e9.", EventIDs: []string{"e9"}}, "Sigma rule “Z”", "sigma/z (Sigma rule 3)"},
		{reports.Finding{Severity: "medium", Query: "sigma/w", Text: "W matched: e2, e4.", EventIDs: []string{"e2", "e4"}}, "Sigma rule “W”", "sigma/w (Sigma rule 4)"},
	}
	got := mergeSigmaFindings(fs, add)
	var texts []string
	for _, f := range got {
		texts = append(texts, f.Severity+" "+f.Text+" "+strings.Join(f.Sources, ","))
	}
	want := []string{
		"high A. Sigma rule “X” matched the same events. hunt/a,sigma/x (Sigma rule 1)",
		"medium B. Sigma rule “Y” matched the same events. hunt/b,sigma/y (Sigma rule 2)",
		"medium W matched: e2, e4. ",
		"low Z matched: e9. ",
		"info Pack b: 1 matching event. ",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged findings:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	if a := got[0].Attack; len(a) != 1 || a[0] != "T1098" {
		t.Errorf("merged ATT&CK ids = %v", a)
	}
}

// TestSigmaTeamRulesOnEngine runs a team's own rules (the constructs the
// specification defines beyond what SigmaHQ's CloudTrail rules use, and
// hostile values) on the local engine, the way --sigma loads them.
func TestSigmaTeamRulesOnEngine(t *testing.T) {
	rulesDir := t.TempDir()
	head := "author: IR team\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n"
	files := map[string]string{
		"or_paren.yml": "title: Keys or users\nid: 00000000-0000-0000-0000-000000000001\n" + head +
			"detection:\n  sel_a: {eventName: CreateUser}\n  sel_b: {eventName|endswith: AccessKey}\n  filter: {errorCode|exists: true}\n  condition: (sel_a or sel_b) and not filter\n",
		"cidr.yml": "title: From the lab\n" + head + "detection:\n  sel: {sourceIPAddress|cidr: 10.1.0.0/20}\n  condition: sel\n",
		"all_them.yml": "title: Exact Boto3 from a role\n" + head +
			"detection:\n  sel_x: {userAgent|cased: Boto3}\n  sel_y: {userIdentity.sessionContext.sessionIssuer.type: Role}\n  condition: all of them\n",
		"hostile.yml": "title: Hostile values\n" + head + "detection:\n  sel:\n    userAgent:\n      - \"x' OR '1'='1\"\n      - '日本語 ‮ -- /+ c +/'\n" +
			"  sel_rp:\n    requestParameters.userName|contains: \"'; DROP TABLE\"\n  condition: 1 of them\n",
		"regex.yml":   "title: curl\n" + head + "detection:\n  sel: {userAgent|re|i: '^curl/'}\n  condition: sel\n",
		"windows.yml": "title: Not CloudTrail\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 4624}\n  condition: sel\n",
	}
	for n, src := range files {
		if err := os.WriteFile(filepath.Join(rulesDir, n), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, refused, err := sigma.Load([]string{rulesDir})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		id, name, ua, ip, issuer, err, user string
	}
	events := []ev{
		{id: "or-user", name: "CreateUser"}, {id: "or-key", name: "CreateAccessKey"}, {id: "or-key-lower", name: "createaccesskey"},
		{id: "or-key-denied", name: "CreateAccessKey", err: "AccessDenied"}, {id: "or-keys", name: "ListAccessKeys2"},
		{id: "cidr-in", ip: "10.1.15.3"}, {id: "cidr-zeros", ip: "010.001.000.009"}, {id: "cidr-out", ip: "10.1.16.3"},
		{id: "them-hit", ua: "Boto3", issuer: "Role"}, {id: "them-case", ua: "boto3", issuer: "Role"}, {id: "them-one", ua: "Boto3"},
		{id: "hostile-1", ua: "x' OR '1'='1"}, {id: "hostile-2", ua: "日本語 ‮ -- /+ c +/"}, {id: "hostile-rp", user: "bob'; drop table x"},
		{id: "hostile-miss", ua: "x"},
		{id: "re-hit", ua: "CURL/8.4.0"}, {id: "re-miss", ua: "python curl/8"},
	}
	var records []eventDoc
	for _, e := range events {
		d := baseEvent(e.id)
		d["eventName"] = orValue(e.name, "GetObjectX")
		d["userAgent"] = orValue(e.ua, "aws-cli/2")
		d["sourceIPAddress"] = orValue(e.ip, "203.0.113.9")
		if e.issuer != "" {
			d.set("userIdentity.sessionContext.sessionIssuer.type", e.issuer)
		}
		if e.err != "" {
			d["errorCode"] = e.err
		}
		if e.user != "" {
			d["requestParameters"] = map[string]any{"userName": e.user}
		}
		records = append(records, d)
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "team.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	w := Window{Since: utc("2026-03-01T00:00:00Z"), Until: utc("2026-03-02T00:00:00Z")}
	o := HuntOptions{Window: w, Packs: []string{"evasion"}, SigmaRules: rules, SigmaRefused: refused}
	env := sigmaEnv(t, dir, w)
	more, err := SigmaSQL(env, o)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := local.Open(context.Background(), local.Options{Dir: dir, From: w.Since, To: w.Until, TempDir: t.TempDir(),
		Narrow: &local.Narrow{Queries: append(PackSQL(env.Catalog, "hunt"), more...)}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	env.Engine = eng
	out, err := Hunt(context.Background(), env, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var notRun []string
	for _, q := range out.Queries {
		if q.Err != "" {
			t.Errorf("%s failed: %s", q.Name, q.Err)
		}
		rr := newRowReader(colNames(q.Columns))
		for _, row := range q.Rows {
			switch {
			case q.Name == sigmaRulesTable && rr.str(row, "state") == "not translated":
				notRun = append(notRun, filepath.Base(rr.str(row, "source"))+": "+rr.str(row, "reason_not_run"))
			case strings.HasPrefix(q.Name, "sigma/") && !q.Derived:
				got[q.Name] = append(got[q.Name], rr.str(row, "event_id"))
			}
		}
	}
	want := map[string][]string{
		"sigma/or_paren": {"or-key", "or-key-lower", "or-user"},
		"sigma/cidr":     {"cidr-in", "cidr-zeros"},
		"sigma/all_them": {"them-hit"},
		"sigma/hostile":  {"hostile-1", "hostile-2", "hostile-rp"},
		"sigma/regex":    {"re-hit"},
	}
	for q, ids := range want {
		g := append([]string{}, got[q]...)
		sort.Strings(g)
		if strings.Join(g, " ") != strings.Join(ids, " ") {
			t.Errorf("%s matched %v, want %v", q, g, ids)
		}
	}
	if len(got) != len(want) {
		t.Errorf("queries that matched: %v (bundled rules must not run without the sigma pack)", got)
	}
	if len(notRun) != 1 || !strings.Contains(notRun[0], "windows.yml: not an AWS CloudTrail rule") {
		t.Errorf("not translated: %v", notRun)
	}
	said := false
	for _, f := range out.Findings {
		said = said || f.Severity == "high" && strings.HasPrefix(f.Text, "Sigma rule “From the lab” (the team's, by IR team, level high) matched: ")
	}
	if !said {
		t.Error("no high finding for the team's rule, with its author")
	}
}

func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sigmaPanther pairs Panther rules with the SigmaHQ rule that detects the
// same thing: Panther's real test events (MFAUsed "No", JSON booleans,
// masked passwords) are positives the Sigma queries must match.
var sigmaPanther = map[string]string{
	"AWS.CloudTrail.Stopped":            "sigma/aws_cloudtrail_disable_logging",
	"AWS.Console.LoginWithoutMFA":       "sigma/aws_cloudtrail_console_login_success_without_mfa",
	"AWS.IAM.Backdoor.User.Keys":        "sigma/aws_iam_backdoor_users_keys",
	"AWS.EC2.Startup.Script.Change":     "sigma/aws_ec2_startup_script_change",
	"AWS.EC2.EBS.Encryption.Disabled":   "sigma/aws_ec2_disable_encryption",
	"AWS.RDS.MasterPasswordUpdated":     "sigma/aws_rds_change_master_password",
	"AWS.RDS.PublicRestore":             "sigma/aws_rds_public_db_restore",
	"AWS.ConfigService.DisabledDeleted": "sigma/aws_config_disable_recording",
}

// sigmaPantherMisses are pairs where the SigmaHQ rule, translated
// faithfully, cannot match the real event, and why.
var sigmaPantherMisses = map[string]string{
	"AWS.EC2.Startup.Script.Change": "the rule asks for requestParameters.attribute = userData; CloudTrail logs ModifyInstanceAttribute as {instanceId, userData} (Panther's event and the Stratus detonation alike)",
}

func TestSigmaOnPantherPositives(t *testing.T) {
	f, err := os.ReadFile(filepath.Join("..", "testdata", "panther", "rule_tests.jsonl"))
	if err != nil {
		t.Fatalf("panther fixtures missing: %v", err)
	}
	dir := t.TempDir()
	type tc struct{ rule, name, id string }
	var positives []tc
	for n, line := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		var pt pantherTest
		if err := json.Unmarshal([]byte(line), &pt); err != nil {
			t.Fatal(err)
		}
		if _, ok := sigmaPanther[pt.RuleID]; !ok || !pt.Expected {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(pt.Log, &ev); err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("panther-%04d", n+1)
		ev["eventID"] = id
		if _, ok := ev["eventTime"]; !ok {
			ev["eventTime"] = "2019-01-01T00:00:00Z"
		}
		b, _ := json.Marshal(map[string]any{"Records": []any{ev}})
		if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		positives = append(positives, tc{pt.RuleID, pt.Name, id})
	}
	w := Window{Since: utc("2015-01-01T00:00:00Z"), Until: utc("2030-01-01T00:00:00Z")}
	out, err := Hunt(context.Background(), sigmaEnv(t, dir, w), HuntOptions{Window: w, Packs: []string{SigmaPack}})
	if err != nil {
		t.Fatal(err)
	}
	ids := hitIDs(t, out)
	hitRule := map[string]int{}
	for _, p := range positives {
		if ids[sigmaPanther[p.rule]][p.id] {
			hitRule[p.rule]++
		} else {
			t.Logf("%s does not match Panther's positive %s %q", sigmaPanther[p.rule], p.rule, p.name)
		}
	}
	for rule, q := range sigmaPanther {
		why, miss := sigmaPantherMisses[rule]
		switch {
		case miss && hitRule[rule] > 0:
			t.Errorf("%s now matches Panther's positives of %s; drop it from sigmaPantherMisses (%s)", q, rule, why)
		case miss:
			t.Logf("%s cannot match %s: %s", q, rule, why)
		case hitRule[rule] == 0:
			t.Errorf("%s matches none of Panther's positives of %s", q, rule)
		}
	}
	t.Logf("%d Panther positives of %d rules; matched per rule: %v", len(positives), len(sigmaPanther), hitRule)
}
