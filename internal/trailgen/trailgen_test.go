package trailgen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func testConfig() Config {
	return Config{
		Seed: 42, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 5, EventsPerDay: 200,
		OrgID: "o-test000001", Accounts: []string{"111122223333", "444455556666", "777788889999"},
		Regions: []string{"us-east-1", "eu-west-1"}, Scenarios: true,
	}
}

type file struct {
	path    string
	raw     []byte
	records []Record
}

var floatRe = regexp.MustCompile(`"bytesTransferredOut":\d+\.0[,}]`)

var pathRe = regexp.MustCompile(`^AWSLogs/(o-[a-z0-9]+)/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

func readTree(t *testing.T, root string) []file {
	t.Helper()
	var files []file
	err := filepath.WalkDir(filepath.Join(root, "AWSLogs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var env struct{ Records []Record }
		if err := json.Unmarshal(data, &env); err != nil {
			return err
		}
		for i := range env.Records {
			env.Records[i].at, err = time.Parse(time.RFC3339, env.Records[i].EventTime)
			if err != nil {
				return err
			}
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, file{path: filepath.ToSlash(rel), raw: raw, records: env.Records})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	c := testConfig()
	ta, err := Generate(a, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Workers = 3 // parallelism must not change the output
	tb, err := Generate(b, c)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	if !bytes.Equal(ja, jb) {
		t.Error("truth differs between two runs")
	}
	fa, fb := readTree(t, a), readTree(t, b)
	if len(fa) != len(fb) {
		t.Fatalf("%d files vs %d", len(fa), len(fb))
	}
	for i := range fa {
		if fa[i].path != fb[i].path || !bytes.Equal(fa[i].raw, fb[i].raw) {
			t.Fatalf("file %d differs: %s vs %s", i, fa[i].path, fb[i].path)
		}
	}
	c.Seed++
	tc, err := Generate(t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Exfil.LeakedAccessKey == ta.Exfil.LeakedAccessKey {
		t.Error("another seed gave the same leaked key")
	}
}

// TestCommittedSampleIsCurrent regenerates the bundled sample and requires
// the same bytes, so the sample never drifts from its generator.
func TestCommittedSampleIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates the whole sample")
	}
	sample := filepath.Join("..", "..", "testdata", "sample")
	root := t.TempDir()
	truth, err := Generate(root, Config{
		Seed: 20261101, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 7, EventsPerDay: 600,
		OrgID: DefaultOrgID, Accounts: DefaultAccounts[:3], Regions: DefaultRegions[:2], Scenarios: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(sample + "-truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), want) {
		t.Fatal("testdata/sample-truth.json is stale: run go generate ./tools/trailgen")
	}
	fresh, committed := readTree(t, root), readTree(t, sample)
	if len(fresh) != len(committed) {
		t.Fatalf("sample has %d files, generator writes %d: run go generate ./tools/trailgen", len(committed), len(fresh))
	}
	for i := range fresh {
		if fresh[i].path != committed[i].path || !bytes.Equal(fresh[i].raw, committed[i].raw) {
			t.Fatalf("sample file %s differs from generated %s: run go generate ./tools/trailgen", committed[i].path, fresh[i].path)
		}
	}
}

func TestTreeShape(t *testing.T) {
	root := t.TempDir()
	c := testConfig()
	truth, err := Generate(root, c)
	if err != nil {
		t.Fatal(err)
	}
	files := readTree(t, root)
	if len(files) != truth.Files {
		t.Errorf("%d files on disk, truth says %d", len(files), truth.Files)
	}
	types := map[string]int{}
	var records, floats int64
	ids := map[string]bool{}
	byContent := map[string]string{}
	twins := 0
	spilled := 0
	for _, f := range files {
		m := pathRe.FindStringSubmatch(f.path)
		if m == nil {
			t.Fatalf("path %s does not follow the org trail layout", f.path)
		}
		if m[1] != c.OrgID || m[2] != m[7] || m[3] != m[8] {
			t.Errorf("path %s: org, account or region disagree", f.path)
		}
		folder, _ := time.Parse("2006/01/02", m[4]+"/"+m[5]+"/"+m[6])
		stamp, _ := time.Parse("20060102T1504Z", m[9])
		if !folder.Equal(stamp.Truncate(24 * time.Hour)) {
			t.Errorf("path %s: folder date is not the delivery date", f.path)
		}
		var body bytes.Buffer
		for _, rec := range f.records {
			body.WriteString(rec.EventID)
			records++
			ids[rec.EventID] = true
			types[rec.UserIdentity.Type]++
			if rec.at.After(stamp) || stamp.Sub(rec.at) > 40*time.Minute {
				t.Errorf("%s: event at %s delivered at %s", f.path, rec.EventTime, stamp)
			}
			if !rec.at.Truncate(24 * time.Hour).Equal(folder) {
				spilled++
			}
			if rec.EventID == "" || rec.EventVersion == "" || rec.EventSource == "" || rec.AWSRegion == "" || rec.RecipientAccountID == "" {
				t.Errorf("%s: record %s lacks a required field", f.path, rec.EventID)
			}
			if (rec.EventCategory == "Data") == rec.ManagementEvent {
				t.Errorf("%s: %s eventCategory %s with managementEvent %v", f.path, rec.EventName, rec.EventCategory, rec.ManagementEvent)
			}
			if rec.UserIdentity.Type == "AWSService" && (rec.UserIdentity.ARN != "" || rec.UserIdentity.InvokedBy == "") {
				t.Errorf("%s: service identity %+v", f.path, rec.UserIdentity)
			}
			if m, ok := rec.AdditionalEventData.(map[string]any); ok {
				if n, ok := m["bytesTransferredOut"].(float64); ok && n != float64(int64(n)) {
					t.Errorf("fractional bytes %v", n)
				}
			}
		}
		if floatRe.Match(mustGunzip(t, f.raw)) {
			floats++
		}
		if other, ok := byContent[body.String()]; ok && other != f.path {
			twins++
		}
		byContent[body.String()] = f.path
	}
	if records != truth.Records || int64(len(ids)) != truth.Events {
		t.Errorf("records=%d distinct=%d, truth records=%d events=%d", records, len(ids), truth.Records, truth.Events)
	}
	if twins != truth.DuplicatedFiles || twins == 0 {
		t.Errorf("%d files delivered twice, truth says %d", twins, truth.DuplicatedFiles)
	}
	for _, typ := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "AWSAccount"} {
		if types[typ] == 0 {
			t.Errorf("no %s identity generated", typ)
		}
	}
	if floats == 0 {
		t.Error("no float bytesTransferredOut generated")
	}
	if spilled == 0 {
		t.Error("no event was delivered into the next day's folder")
	}
}

func mustGunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTruthIsComplete recomputes the planted answers from every record on
// disk, background included: noise must not add readers, bucket changes,
// hunt hits or pivot nodes the truth does not list.
func TestTruthIsComplete(t *testing.T) {
	root := t.TempDir()
	truth, err := Generate(root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	since, _ := time.Parse(time.RFC3339, truth.Window.Since)
	until, _ := time.Parse(time.RFC3339, truth.Window.Until)
	seen := map[string]bool{}
	var links []link
	hunt := map[string]bool{}
	changes := map[string]bool{}
	var objects, bytesSum int64
	for _, f := range readTree(t, root) {
		for i := range f.records {
			rec := &f.records[i]
			if seen[rec.EventID] {
				continue
			}
			seen[rec.EventID] = true
			links = append(links, recordLink(rec))
			if rec.at.Before(since) || !rec.at.Before(until) {
				continue
			}
			cross := rec.EventName == "AssumeRole" && rec.UserIdentity.AccountID != "" && rec.UserIdentity.AccountID != rec.RecipientAccountID
			if huntNames[rec.EventName] || cross {
				hunt[rec.EventID] = true
			}
			params, _ := rec.RequestParameters.(map[string]any)
			if params["bucketName"] != ExfilBucket {
				continue
			}
			if bucketChangeNames[rec.EventName] {
				changes[rec.EventID] = true
			}
			if rec.EventName == "GetObject" && rec.ErrorCode == "" {
				objects++
				extra := rec.AdditionalEventData.(map[string]any)
				bytesSum += int64(extra["bytesTransferredOut"].(float64))
			}
		}
	}
	if objects != truth.Exfil.Objects || bytesSum != truth.Exfil.Bytes {
		t.Errorf("objects=%d bytes=%d, truth %d %d", objects, bytesSum, truth.Exfil.Objects, truth.Exfil.Bytes)
	}
	if len(hunt) != len(truth.Hunt) {
		t.Errorf("%d hunt-worthy events on disk, truth lists %d", len(hunt), len(truth.Hunt))
	}
	for _, h := range truth.Hunt {
		if !hunt[h.EventID] {
			t.Errorf("hunt event %s %s not on disk", h.EventName, h.EventID)
		}
	}
	if len(changes) != len(truth.Exfil.BucketChanges) || len(changes) != 6 {
		t.Errorf("%d bucket changes on disk, truth lists %d", len(changes), len(truth.Exfil.BucketChanges))
	}
	got := pivotGraph(links, truth.Pivot.Seed, since, until)
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(truth.Pivot)
	if !bytes.Equal(gj, wj) {
		t.Errorf("pivot over every record:\n%s\ntruth:\n%s", gj, wj)
	}
	want := []string{AttackerIP, AttackerIP2, BackdoorIP, BaselineIP}
	var ips []string
	for _, n := range truth.Pivot.Nodes {
		if n.Kind == "ip" {
			ips = append(ips, n.Value)
		}
	}
	sort.Strings(ips)
	sort.Strings(want)
	if strings.Join(ips, ",") != strings.Join(want, ",") || len(truth.Pivot.Nodes) != 12 {
		t.Errorf("pivot ips %v (want %v), %d nodes", ips, want, len(truth.Pivot.Nodes))
	}
	if strings.Join(truth.Pivot.Excluded, ",") != "AWS Internal,cloudformation.amazonaws.com" {
		t.Errorf("excluded %v", truth.Pivot.Excluded)
	}
}

func TestScenarioAnswers(t *testing.T) {
	truth, err := Generate(t.TempDir(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	ex := truth.Exfil
	var leaked int64
	keys := map[string]bool{}
	for _, r := range ex.ByPrincipalIP {
		if r.Principal == ex.LeakedPrincipal && (r.SourceIP == AttackerIP || r.SourceIP == AttackerIP2) {
			leaked += r.Objects
		}
	}
	_ = keys
	if leaked != bulkObjects {
		t.Errorf("leaked principal read %d objects from attacker IPs, want %d", leaked, bulkObjects)
	}
	if len(ex.External) != 1 || ex.External[0].AccountID != ExternalAccount || ex.External[0].Objects != externalReads {
		t.Errorf("external readers %+v", ex.External)
	}
	if ex.Anonymous.Objects != anonymousReads || len(ex.FailedReads) != 3 {
		t.Errorf("anonymous %+v, failed %d", ex.Anonymous, len(ex.FailedReads))
	}
	if len(ex.Baseline) != 1 || ex.Baseline[0].Principal != ex.LeakedPrincipal || ex.Baseline[0].ActiveDays != 2 {
		t.Errorf("baseline %+v", ex.Baseline)
	}
	if len(ex.BucketChangesBefore) != 2 {
		t.Errorf("bucket changes before the window %+v", ex.BucketChangesBefore)
	}
	names := map[string]int{}
	for _, h := range truth.Hunt {
		names[h.EventName+"/"+h.ErrorCode]++
	}
	for _, want := range []string{"StopLogging/", "StopLogging/AccessDenied", "CreateUser/", "CreateLoginProfile/", "AttachUserPolicy/",
		"PutBucketPolicy/", "GetSecretValue/", "ModifySnapshotAttribute/", "AuthorizeSecurityGroupIngress/", "CreateAccessKey/", "AssumeRole/"} {
		if names[want] != 1 {
			t.Errorf("hunt %s: %d events", want, names[want])
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no days":          func(c *Config) { c.Days = 0 },
		"short scenario":   func(c *Config) { c.Days = 3 },
		"no accounts":      func(c *Config) { c.Accounts = nil },
		"no regions":       func(c *Config) { c.Regions = nil },
		"no org":           func(c *Config) { c.OrgID = "" },
		"not midnight":     func(c *Config) { c.Start = c.Start.Add(time.Hour) },
		"reserved account": func(c *Config) { c.Accounts = []string{ExternalAccount} },
	} {
		c := testConfig()
		mutate(&c)
		if _, err := Generate(t.TempDir(), c); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
