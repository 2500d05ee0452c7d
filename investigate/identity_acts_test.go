package investigate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/reports"
)

// huntTruth is the planted hunt events of the sample.
type huntTruth struct {
	Accounts []string `json:"accounts"`
	Hunt     []struct {
		EventID   string `json:"event_id"`
		EventName string `json:"event_name"`
		Principal string `json:"principal"`
	} `json:"hunt"`
}

func loadHuntTruth(t *testing.T) huntTruth {
	t.Helper()
	b, err := os.ReadFile(sampleDir + "-truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var h huntTruth
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// plantedID returns the planted event id of name (by principal when given).
func (h huntTruth) plantedID(t *testing.T, name, principalPart string) string {
	t.Helper()
	for _, e := range h.Hunt {
		if e.EventName == name && strings.Contains(e.Principal, principalPart) {
			return e.EventID
		}
	}
	t.Fatalf("sample-truth.json plants no %s by %s", name, principalPart)
	return ""
}

// findingOf returns the finding that rests on event id.
func findingOf(fs []reports.Finding, id string) (int, *reports.Finding) {
	for i := range fs {
		for _, e := range fs[i].EventIDs {
			if e == id {
				return i, &fs[i]
			}
		}
	}
	return -1, nil
}

// checkWorstFirst fails when a finding follows one of lower severity
// (failed-query statements, which close the list, excepted).
func checkWorstFirst(t *testing.T, fs []reports.Finding) {
	t.Helper()
	last := 99
	for i, f := range fs {
		if strings.HasPrefix(f.Text, "Query ") && strings.Contains(f.Text, " failed") {
			continue
		}
		if strings.HasPrefix(f.Text, "Pack ") {
			continue
		}
		r := loudness(f.Severity)
		if r == 0 {
			t.Errorf("finding %d has severity %q, outside the model", i, f.Severity)
		}
		if r > last {
			t.Errorf("finding %d (%s: %.80s) after a lower severity", i, f.Severity, f.Text)
		}
		last = r
	}
}

// TestIdentityLeakedKeyFindings follows the sample's leaked key and checks
// that identity states the attacker's worst acts as findings, high ones
// first, each resting on its planted event; that the backdoor user's denied
// StopLogging is its own finding; and that failures are never reduced to
// "the most frequent failure". The findings are kept as a golden file.
func TestIdentityLeakedKeyFindings(t *testing.T) {
	tr, w := idLoadTruth(t)
	ht := loadHuntTruth(t)
	env := idSampleEnv(t, w)
	out, err := Identity(context.Background(), env, IdentityOptions{AccessKeys: []string{tr.Pivot.Seed}, Window: w, Pivot: 5, OrgAccounts: ht.Accounts})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	fs := out.Findings
	checkWorstFirst(t, fs)
	for _, want := range []struct {
		name, who, sev string
		words          []string
	}{
		{"StopLogging", "backup-sync", sevHigh, []string{"stopped CloudTrail logging", "org-trail", "it succeeded"}},
		{"AttachUserPolicy", "backup-sync", sevHigh, []string{"granted AdministratorAccess", "user backdoor"}},
		{"ModifySnapshotAttribute", "backup-sync", sevHigh, []string{"shared snapshot snap-0c0ffee0123456789 with account 999988887777 (outside the organization)"}},
		{"AuthorizeSecurityGroupIngress", "backup-sync", sevHigh, []string{"tcp port 22 to any address (0.0.0.0/0)"}},
		{"GetSecretValue", "backup-sync", sevMedium, []string{"read the value of secret prod/payroll/db-AbCdEf"}},
		{"CreateAccessKey", "backup-sync", sevHigh, []string{"AKIA9Z7RNQYS22XTKJDO", "user backdoor"}},
		{"StopLogging", "user/backdoor", sevMedium, []string{"tried to stop CloudTrail logging", "AccessDenied", "an attempt, not an effect"}},
		{"PutBucketPolicy", "svc-backup", sevHigh, []string{"999988887777 (outside the organization)", "s3:GetObject"}},
		{"PutBucketAcl", "svc-backup", sevHigh, []string{"public-read"}},
	} {
		id := ht.plantedID(t, want.name, want.who)
		i, f := findingOf(fs, id)
		if f == nil {
			t.Errorf("%s by %s (%s) is no finding", want.name, want.who, id)
			continue
		}
		if f.Severity != want.sev {
			t.Errorf("%s by %s: %s, want %s: %s", want.name, want.who, f.Severity, want.sev, f.Text)
		}
		for _, w := range want.words {
			if !strings.Contains(f.Text, w) {
				t.Errorf("%s by %s: %q lacks %q", want.name, want.who, f.Text, w)
			}
		}
		if len(f.Events) == 0 || f.Events[0].EventID != f.EventIDs[0] || f.Events[0].Action == "" || len(f.Attack) == 0 || f.Time.IsZero() {
			t.Errorf("%s by %s (finding %d) is not traceable: events %+v attack %v", want.name, want.who, i, f.Events, f.Attack)
		}
	}
	// The two StopLogging calls are two findings.
	a, _ := findingOf(fs, ht.plantedID(t, "StopLogging", "backup-sync"))
	b, _ := findingOf(fs, ht.plantedID(t, "StopLogging", "user/backdoor"))
	if a == b {
		t.Errorf("the succeeded and the denied StopLogging share one finding")
	}
	// The pivot's statement that the leaked key minted a session rests on
	// the AssumeRole that handed it out.
	assume := ht.plantedID(t, "AssumeRole", "svc-backup")
	var minted bool
	for _, f := range fs {
		if strings.Contains(f.Text, "minted session credentials ASIADWXGC8WYROD99FH3") {
			minted = len(f.EventIDs) == 1 && f.EventIDs[0] == assume
		}
	}
	if !minted {
		t.Errorf("the minted-credentials finding does not rest on the AssumeRole %s", assume)
	}
	// The bulk download is a finding, high, resting on every read: the
	// sample's truth is 1,514 successful reads of 1,200 objects.
	var bulk *reports.Finding
	for i := range fs {
		if fs[i].Query == "identity/object_reads" && strings.Contains(fs[i].Text, "user/svc-backup made") {
			bulk = &fs[i]
		}
	}
	if bulk == nil || bulk.Severity != "high" || len(bulk.EventIDs) < 1514 || len(bulk.Events) != len(bulk.EventIDs) ||
		!strings.Contains(bulk.Text, "1,514 reads of 1,200 distinct objects") {
		t.Errorf("the bulk download of payroll-exports is not stated as a high finding on all its reads: %+v", bulk)
	}
	var texts []string
	for _, f := range fs {
		texts = append(texts, f.Severity+"\t"+f.Text)
		if strings.Contains(f.Text, "most frequent") {
			t.Errorf("a failure is summarised as the most frequent: %s", f.Text)
		}
	}
	golden(t, filepath.Join("..", "testdata", "identity", "leaked_key_findings.golden"), strings.Join(texts, "\n")+"\n")
}

// TestIdentityStratusAdminGrant: on the Stratus detonation of
// iam-create-admin-user, christophe's AdministratorAccess grant is the
// first finding, with the key created for the new user beside it.
func TestIdentityStratusAdminGrant(t *testing.T) {
	dir := filepath.Join("..", "testdata", "stratus")
	w := Window{Since: utc("2024-07-01T00:00:00Z"), Until: utc("2024-12-31T00:00:00Z")}
	env := openLocal(t, dir, w.Since, w.Until)
	out, err := Identity(context.Background(), env, IdentityOptions{ARNs: []string{"arn:aws:iam::229654561268:user/christophe"}, Window: w, Pivot: 3})
	if err != nil {
		t.Fatal(err)
	}
	fs := out.Findings
	checkWorstFirst(t, fs)
	if len(fs) == 0 || fs[0].Severity != sevHigh || !strings.Contains(strings.Join([]string{fs[0].Text, fs[1].Text}, "\n"), "granted AdministratorAccess (full control of the account) to user malicious-iam-user") {
		t.Fatalf("the AdministratorAccess grant is not among the first findings: %+v", fs)
	}
	var key bool
	for _, f := range fs {
		key = key || f.Severity == sevHigh && strings.Contains(f.Text, "for another identity, user malicious-iam-user")
	}
	if !key {
		t.Error("the access key created for malicious-iam-user is not a high finding")
	}
}

// TestIdentityFailuresGroupedByAttempt: a principal whose calls fail on
// many APIs gets one statement per API attempted, with every error code and
// count, never one failure picked among ties.
func TestIdentityFailuresGroupedByAttempt(t *testing.T) {
	_, w := idLoadTruth(t)
	env := idSampleEnv(t, w)
	out, err := Identity(context.Background(), env, IdentityOptions{ARNs: []string{"arn:aws:iam::111122223333:user/old-jenkins"}, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	e := find(out.Queries, "identity/errors")
	if e == nil || len(e.Rows) < 2 {
		t.Fatalf("old-jenkins has too few failures in the sample to test grouping: %v", e)
	}
	rr := newRowReader(colNames(e.Columns))
	apis := map[string]int64{}
	for _, row := range e.Rows {
		apis[rr.str(row, "event_name")] += int64(rr.num(row, "events"))
	}
	got := map[string]string{}
	for _, f := range out.Findings {
		if f.Query != "identity/errors" {
			continue
		}
		for api := range apis {
			if strings.Contains(f.Text, "tried to call "+api+" (") {
				if got[api] != "" {
					t.Errorf("%s stated twice", api)
				}
				got[api] = f.Text
				if len(f.EventIDs) == 0 {
					t.Errorf("failure finding without eventIDs: %s", f.Text)
				}
			}
		}
	}
	for api, n := range apis {
		if !strings.Contains(got[api], plural(n, "time", "times")) {
			t.Errorf("%s (%d failures) not stated with its count: %q", api, n, got[api])
		}
	}
}
