package investigate

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/reports"
)

// TestPivotHandWrittenGraph runs the pivot over testdata/identity/hostile,
// a hand-written trail whose graph is worked out in the comments below. It
// covers GetSessionToken and GetFederationToken credentials, a federated
// user whose name holds a comma and a web identity user without an ARN
// (neither can be queried, both are followed through rows already
// fetched), an AWS service identity and AWS Internal (recorded, never
// followed), and a sourceIPAddress of two addresses joined by a comma that
// must not match either.
func TestPivotHandWrittenGraph(t *testing.T) {
	since := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	w := Window{Since: since, Until: since.Add(24 * time.Hour)}
	dir, _ := filepath.Abs("../testdata/identity/hostile")
	env := openLocal(t, dir, w.Since, w.Until)
	out, err := Identity(context.Background(), env, IdentityOptions{AccessKeys: []string{"AKIAHOSTILE000000001"}, Window: w, Pivot: 10})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	const acct = "123456789012"
	want := map[string]string{
		// round 1: the key's user, and the session key it asked for
		"AKIAHOSTILE000000001":                   "access_key 0 yes",
		"arn:aws:iam::" + acct + ":user/mallory": "identity 1 yes",
		"ASIAHOSTILESESSION01":                   "access_key 1 yes",
		// round 2: mallory's addresses, and the federation key the session minted
		"192.0.2.10":           "ip 2 yes",
		"198.51.100.99":        "ip 2 yes",
		"ASIAFEDERATED0000001": "access_key 2 yes",
		// round 3: the web identity user behind 192.0.2.10, the federated user of the key
		"accounts.google.com:app:1234567890":                "identity 3 yes",
		"arn:aws:sts::" + acct + ":federated-user/bob,evil": "identity 3 yes",
		// round 4 (no query): what those two did in rows already fetched
		"ASIAWEBID00000000001": "access_key 4 yes",
		"203.0.113.5":          "ip 4 yes",
		// round 5: the web session using its key, a service invoked from the address
		"arn:aws:sts::" + acct + ":assumed-role/web-app/w": "identity 5 yes",
		"lambda.amazonaws.com":                             "aws_service 5 no",
		// round 6: the session's issuing role and its AWS-internal source
		"arn:aws:iam::" + acct + ":role/web-app": "role 6 no",
		"AWS Internal":                           "aws_service 6 no",
	}
	got := idGraphNodes(t, out)
	var diffs []string
	for v, w := range want {
		g := got[v]
		if g == nil || strings.Join(g[:3], " ") != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %s", v, g, w))
		}
	}
	for v, g := range got {
		if _, ok := want[v]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected node %s %v", v, g))
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
	if g := got["arn:aws:sts::"+acct+":federated-user/bob,evil"]; g != nil && g[3] != noARN {
		t.Errorf("the comma ARN's note is %q", g[3])
	}
	if len(out.Notes) != 0 {
		t.Errorf("notes %v", out.Notes)
	}
	rounds := find(out.Queries, PivotRounds)
	rr := newRowReader(colNames(rounds.Columns))
	var perRound []string
	for _, row := range rounds.Rows {
		perRound = append(perRound, rr.str(row, "queries"))
	}
	if fmt.Sprint(perRound) != "[1 1 1 0 1 1]" {
		t.Errorf("queries per round %v, want [1 1 1 0 1 1] (round 4 follows unqueryable identities without a query)", perRound)
	}

	// Hostile text reaches the sheets whole, and the bundle is written and
	// verifies.
	var sawAgentless, sawMessage bool
	for _, q := range out.Queries {
		for _, row := range q.Rows {
			for _, v := range row {
				s, _ := v.(string)
				sawMessage = sawMessage || strings.Contains(s, "\"quoted\" \t tab ünïcödé 漢字")
				sawAgentless = sawAgentless || strings.Contains(s, "x'; DROP TABLE cloudtrail;--")
			}
		}
	}
	if !sawMessage || !sawAgentless {
		t.Errorf("hostile error message (%v) or request parameter (%v) missing from the results", sawMessage, sawAgentless)
	}
	bdir := filepath.Join(t.TempDir(), "bundle")
	if _, err := reports.Write(bdir, &reports.Bundle{Command: "identity", GeneratedAt: since, Since: w.Since, Until: w.Until,
		Findings: out.Findings, Notes: out.Notes, Queries: out.Queries}); err != nil {
		t.Fatal(err)
	}
	if v, err := reports.Verify(bdir); err != nil || !v.OK() {
		t.Fatalf("verify: %v %+v", err, v)
	}
}

// TestPivotBudgetCutMidRound makes every value its own query, so the budget
// runs out in the middle of a round: nodes of the cut round and of the
// round that found them all say why they were not followed, and no more
// queries run than the budget allows.
func TestPivotBudgetCutMidRound(t *testing.T) {
	old := listBudget
	listBudget = 25
	defer func() { listBudget = old }()
	since := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	w := Window{Since: since, Until: since.Add(24 * time.Hour)}
	dir, _ := filepath.Abs("../testdata/identity/hostile")
	env := openLocal(t, dir, w.Since, w.Until)
	// Round 1 takes one query (the seed), round 2 needs two (mallory and
	// the session key) but only one is left.
	out, err := Identity(context.Background(), env, IdentityOptions{AccessKeys: []string{"AKIAHOSTILE000000001"}, Window: w, Pivot: 10, MaxQueries: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := pivotLinkRuns(out); n != 2 {
		t.Errorf("%d pivot queries with a budget of 2", n)
	}
	got := idGraphNodes(t, out)
	var cut []string
	for v, g := range got {
		if g[2] != "yes" && g[3] == "" {
			t.Errorf("%s %s was not expanded and does not say why", g[0], v)
		}
		if strings.Contains(g[3], "budget") {
			cut = append(cut, v)
		}
	}
	if len(cut) < 2 {
		t.Errorf("only %v cut by the budget", cut)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], fmt.Sprintf("the budget; %d identities", len(cut))) {
		t.Errorf("notes %q, %d cut", out.Notes, len(cut))
	}
}
