package investigate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// huntEnvFrom opens the local engine from the baseline's start, as the CLI
// does, so the principals' own baseline has its logs.
func huntEnvFrom(t *testing.T, dir string, o HuntOptions) *Env {
	t.Helper()
	eng, err := local.Open(context.Background(), local.Options{Dir: dir, From: o.BaselineSince(), To: o.Window.Until, TempDir: t.TempDir(), Narrow: packNarrow(t, "hunt")})
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

// TestHuntSampleFindings runs hunt on the sample with its 14-day baseline:
// the attacker's acts are findings that say what each did, worst first;
// routine UpdateFunctionCode calls are low or info and never come before
// the attacker's CreateUser, CreateAccessKey and GetSecretValue; the
// responder's public access block is not high; pack summaries agree with
// the statements. The findings are kept as a golden file.
func TestHuntSampleFindings(t *testing.T) {
	_, w := idLoadTruth(t)
	ht := loadHuntTruth(t)
	o := HuntOptions{Window: w, OrgAccounts: ht.Accounts}
	out, err := Hunt(context.Background(), huntEnvFrom(t, sampleDir, o), o)
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	fs := out.Findings
	checkWorstFirst(t, fs)
	// Every planted hunt event is stated, traceably.
	for _, e := range ht.Hunt {
		if _, f := findingOf(fs, e.EventID); f == nil {
			t.Errorf("planted %s by %s (%s) is in no finding", e.EventName, e.Principal, e.EventID)
		}
	}
	checkTraceable(t, fs)
	firstRoutine, lastAttacker := len(fs), -1
	var texts []string
	for i, f := range fs {
		texts = append(texts, f.Severity+"\t"+f.Text)
		switch {
		case strings.Contains(f.Text, "UpdateFunctionCode"):
			if f.Severity != sevLow && f.Severity != sevInfo {
				t.Errorf("routine code update rated %s: %s", f.Severity, f.Text)
			}
			if !strings.Contains(f.Text, "routine for this principal") && !strings.Contains(f.Text, "new for this principal") {
				t.Errorf("code update not ranked against the principal's baseline: %s", f.Text)
			}
			firstRoutine = min(firstRoutine, i)
		case strings.Contains(f.Text, "(CreateUser)") || strings.Contains(f.Text, "(CreateAccessKey)") || strings.Contains(f.Text, "(GetSecretValue)"):
			lastAttacker = max(lastAttacker, i)
		case strings.Contains(f.Text, "(PutBucketPublicAccessBlock)"):
			if f.Severity == sevHigh || f.Severity == sevMedium {
				t.Errorf("the responder's remediation is rated %s: %s", f.Severity, f.Text)
			}
		case strings.HasPrefix(f.Text, "Pack privilege") && strings.Contains(f.Text, "no matching events"):
			t.Errorf("privilege pack says nothing was granted while AdministratorAccess is attached: %s", f.Text)
		}
	}
	if lastAttacker < 0 || lastAttacker > firstRoutine {
		t.Errorf("the attacker's CreateUser/CreateAccessKey/GetSecretValue (last at %d) come after routine code updates (first at %d)", lastAttacker, firstRoutine)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"grants account 999988887777 (outside the organization) s3:GetObject", "(public-read)", "exfil-drop-999988887777",
		"every object deleted 1 day after creation", "removed the public access block", "granted AdministratorAccess", "shared snapshot snap-0c0ffee0123456789 with account 999988887777",
		"tcp port 22 to any address (0.0.0.0/0)", "stopped CloudTrail logging", "tried to stop CloudTrail logging", "read the value of secret prod/payroll/db-AbCdEf"} {
		if !strings.Contains(all, want) {
			t.Errorf("hunt findings lack %q", want)
		}
	}
	golden(t, filepath.Join("..", "testdata", "hunt", "sample.golden"), all+"\n")
}

// TestHuntCloudTrailLifecycleRule: Stratus Red Team's
// aws.defense-evasion.cloudtrail-lifecycle-rule sets a one-day expiry on the
// trail's bucket. The Stratus detonation logs in testdata hold no event of
// it, so testdata/hunt/cloudtrail-lifecycle-rule holds one written from the
// technique's description, beside a routine one-year rule: the first is a
// high finding of logs destroyed, the second is not.
func TestHuntCloudTrailLifecycleRule(t *testing.T) {
	w := Window{Since: utc("2026-03-10T00:00:00Z"), Until: utc("2026-03-11T00:00:00Z")}
	o := HuntOptions{Window: w, Packs: []string{"impact"}}
	out, err := Hunt(context.Background(), huntEnvFrom(t, filepath.Join("..", "testdata", "hunt", "cloudtrail-lifecycle-rule"), o), o)
	if err != nil {
		t.Fatal(err)
	}
	_, nuke := findingOf(out.Findings, "5b0c3e52-1f1e-4c55-9a63-0c1d2e3f4a01")
	if nuke == nil || nuke.Query != "hunt/impact_data_destruction" || nuke.Severity != sevHigh ||
		!strings.Contains(nuke.Text, "every object deleted 1 day after creation (a CloudTrail log bucket: the logs themselves are destroyed)") {
		t.Fatalf("the one-day lifecycle rule on the trail bucket: %+v", nuke)
	}
	var evasion bool
	for _, id := range nuke.Attack {
		evasion = evasion || id == "T1562.008"
	}
	if !evasion {
		t.Errorf("lifecycle rule on the trail bucket not mapped to T1562.008: %v", nuke.Attack)
	}
	_, routine := findingOf(out.Findings, "5b0c3e52-1f1e-4c55-9a63-0c1d2e3f4a02")
	if routine == nil || routine.Severity == sevHigh || !strings.Contains(routine.Text, "objects under old/ deleted 365 days after creation") {
		t.Errorf("the one-year rule: %+v", routine)
	}
}

// TestHuntNewDetections runs hunt over testdata/hunt/detections, a small
// hand-written trail with one or a few events per new detection and
// near-misses beside them, and checks each query's hits and how loud each
// statement is.
func TestHuntNewDetections(t *testing.T) {
	w := Window{Since: utc("2026-03-12T00:00:00Z"), Until: utc("2026-03-13T00:00:00Z")}
	o := HuntOptions{Window: w}
	out, err := Hunt(context.Background(), huntEnvFrom(t, filepath.Join("..", "testdata", "hunt", "detections"), o), o)
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	ids := hitIDs(t, out)
	for q, want := range map[string][]string{
		"hunt/persistence_ec2_key_pairs":      {"det-0001", "det-0002"},
		"hunt/org_changes":                    {"det-0003", "det-0004"},
		"hunt/evasion_defenses":               {"det-0005", "det-0006", "det-0007"},
		"hunt/initial_console_login_failures": {"det-0008"},
		"hunt/exfil_lambda_public":            {"det-0016"},
		"hunt/impact_bulk_object_deletes":     {"det-0018"},
		"hunt/impact_sse_c_encryption":        {"det-0051"},
		"hunt/impact_data_destruction":        {"det-0054", "det-0055"},
	} {
		if len(ids[q]) != len(want) {
			t.Errorf("%s hit %d rows, want %d: %v", q, len(ids[q]), len(want), ids[q])
		}
		for _, id := range want {
			if !ids[q][id] {
				t.Errorf("%s missed %s", q, id)
			}
		}
	}
	for id, want := range map[string]struct{ sev, words string }{
		"det-0001": {sevMedium, "created EC2 SSH key pair ops-recovery"},
		"det-0002": {sevLow, "tried to create EC2 SSH key pair mine"},
		"det-0003": {sevMedium, "changed the organization's guard-rail policies (DetachPolicy p-deny-leave)"},
		"det-0004": {sevHigh, "removed accounts from the organization"},
		"det-0005": {sevHigh, "deleted CloudWatch log group /aws/cloudtrail/org"},
		"det-0006": {sevHigh, "removed multi-factor authentication (DeactivateMFADevice) from user alice"},
		"det-0007": {sevHigh, "deleted IAM Access Analyzer org-analyzer"},
		"det-0008": {sevMedium, "failed to sign in to the AWS console 6 times, trying 6 user names"},
		"det-0016": {sevHigh, "gave Lambda function billing-export a public URL"},
		"det-0018": {sevHigh, "deleted objects from bucket payroll in bulk: 30 DeleteObject calls"},
		"det-0051": {sevHigh, "wrote 2 objects to bucket payroll encrypted with a key only the caller holds (SSE-C)"},
		"det-0054": {sevHigh, "scheduled KMS key 1234abcd-12ab-34cd-56ef-1234567890ab for deletion in 7 days"},
		"det-0055": {sevHigh, "deleted bucket payroll-archive"},
	} {
		var f *reports.Finding
		for i := range out.Findings {
			for _, e := range out.Findings[i].EventIDs {
				if q := out.Findings[i].Query; e == id && f == nil && q != "hunt/initial_console_login_without_mfa" && q != "hunt/errors_by_source_ip" {
					f = &out.Findings[i]
				}
			}
		}
		if f == nil {
			t.Errorf("%s is in no finding", id)
			continue
		}
		if f.Severity != want.sev || !strings.Contains(f.Text, want.words) {
			t.Errorf("%s: %s %q, want %s with %q", id, f.Severity, f.Text, want.sev, want.words)
		}
	}
	// The authenticated function URL is no public exposure.
	if _, f := findingOf(out.Findings, "det-0017"); f != nil && f.Severity == sevHigh {
		t.Errorf("an AWS_IAM function URL is rated high: %s", f.Text)
	}
}

// checkTraceable: every statement of a hit carries its eventIDs, Timeline
// events among them, ATT&CK ids and a time (pack summaries and closing
// counts excepted).
func checkTraceable(t *testing.T, fs []reports.Finding) {
	t.Helper()
	for _, f := range fs {
		if strings.HasPrefix(f.Text, "Pack ") || strings.Contains(f.Text, "are listed on its sheet") {
			continue
		}
		ids := map[string]bool{}
		for _, id := range f.EventIDs {
			ids[id] = true
		}
		if len(f.EventIDs) == 0 || len(f.Events) == 0 || len(f.Attack) == 0 && f.Query != "hunt/errors_by_source_ip" || f.Time.IsZero() {
			t.Errorf("not traceable (ids %d, events %d, attack %v): %s", len(f.EventIDs), len(f.Events), f.Attack, f.Text)
		}
		for _, e := range f.Events {
			if !ids[e.EventID] {
				t.Errorf("Timeline event %s is not among the finding's eventIDs: %s", e.EventID, f.Text)
			}
		}
	}
}

// TestHuntStatesEffectsApart: calls of one API by one principal from one
// address are stated apart when they did different things: a share and its
// undo, a grant to an outside account and CloudTrail's own bucket policy.
func TestHuntStatesEffectsApart(t *testing.T) {
	cols := []engine.Column{{Name: "event_time"}, {Name: "event_name"}, {Name: "event_source"}, {Name: "principal"},
		{Name: "account"}, {Name: "region"}, {Name: "source_ip"}, {Name: "user_agent"}, {Name: "error_code"},
		{Name: "error_message"}, {Name: "target"}, {Name: "detail"}, {Name: "request_parameters"}, {Name: "event_id"}}
	at := utc("2026-11-06T01:00:00Z")
	who, ip := "arn:aws:iam::111122223333:user/ops", "198.51.100.7"
	row := func(min int, name, src, target, req, id string) []any {
		return []any{at.Add(time.Duration(min) * time.Minute), name, src, who, "111122223333", "us-east-1", ip, "cli", nil, nil, target, nil, req, id}
	}
	run := reports.QueryRun{Name: "hunt/exfil_sharing", Columns: cols, Rows: [][]any{
		row(0, "ModifySnapshotAttribute", "ec2.amazonaws.com", "snap-1", `{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}`, "s1"),
		row(5, "ModifySnapshotAttribute", "ec2.amazonaws.com", "snap-1", `{"snapshotId":"snap-1","createVolumePermission":{"remove":{"items":[{"userId":"999988887777"}]}}}`, "s2"),
		row(6, "PutBucketPolicy", "s3.amazonaws.com", "data", `{"bucketName":"data","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:GetObject"}]}}`, "p1"),
		row(7, "PutBucketPolicy", "s3.amazonaws.com", "trail-logs", `{"bucketName":"trail-logs","bucketPolicy":{"Statement":[{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl"}]}}`, "p2"),
	}}
	cat, _ := sql.Default()
	q, _ := cat.Get(run.Name)
	AddAttackColumns(&run, q.Attack)
	packs, _ := selectedPacks([]string{"exfil"})
	fs := huntFindings(packs, []reports.QueryRun{run}, map[string][]string{run.Name: q.Attack}, huntContext{org: newOrgView([]string{"111122223333"}), baselineDays: 14})
	want := map[string]string{"s1": sevHigh, "s2": sevLow, "p1": sevHigh, "p2": sevLow}
	seen := map[*reports.Finding]bool{}
	for id, sev := range want {
		_, f := findingOf(fs, id)
		if f == nil {
			t.Errorf("%s is in no finding", id)
			continue
		}
		if len(f.EventIDs) != 1 {
			t.Errorf("%s shares a finding with %v: %s", id, f.EventIDs, f.Text)
		}
		if f.Severity != sev {
			t.Errorf("%s: %s, want %s: %s", id, f.Severity, sev, f.Text)
		}
		seen[f] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d findings for four different effects", len(seen))
	}
}

// TestHuntNoBaseline: --baseline 0 runs no baseline query, and the routine
// calls say that their rarity is unknown instead of claiming it.
func TestHuntNoBaseline(t *testing.T) {
	_, w := idLoadTruth(t)
	o := HuntOptions{Window: w, Packs: []string{"persistence"}, NoBaseline: true}
	plans, err := PlanHunt(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Name == HuntBaselineQuery {
			t.Fatal("--baseline 0 still plans the baseline query")
		}
	}
	out, err := Hunt(context.Background(), huntEnvFrom(t, sampleDir, o), o)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range out.Findings {
		if strings.Contains(f.Text, "UpdateFunctionCode") {
			n++
			if f.Severity != sevLow || !strings.Contains(f.Text, "no baseline was asked for (--baseline 0)") {
				t.Errorf("%s %s", f.Severity, f.Text)
			}
		}
	}
	if n == 0 {
		t.Error("no code update stated")
	}
}
