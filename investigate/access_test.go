package investigate

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine/local"
	"github.com/ctathena/ctathena/sql"
)

const sampleDir = "../testdata/sample"

// accRefRecord is the part of a CloudTrail record the reference readers need,
// decoded with encoding/json instead of SQL so that the expected answers do
// not share code with the queries under test.
type accRefRecord struct {
	EventID      string `json:"eventID"`
	EventTime    string `json:"eventTime"`
	EventSource  string `json:"eventSource"`
	EventName    string `json:"eventName"`
	EventCat     string `json:"eventCategory"`
	SourceIP     string `json:"sourceIPAddress"`
	ErrorCode    string `json:"errorCode"`
	ReadOnly     *bool  `json:"readOnly"`
	UserIdentity struct {
		Type        string  `json:"type"`
		ARN         string  `json:"arn"`
		AccountID   string  `json:"accountId"`
		PrincipalID *string `json:"principalId"`
		InvokedBy   string  `json:"invokedBy"`
		AccessKeyID string  `json:"accessKeyId"`
	} `json:"userIdentity"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData"`
}

func (r *accRefRecord) principal() string {
	u := r.UserIdentity
	pid := ""
	if u.PrincipalID != nil {
		pid = *u.PrincipalID
	}
	switch {
	case u.AccountID == "anonymous" || pid == "ANONYMOUS_PRINCIPAL":
		return "anonymous"
	case u.ARN != "":
		return u.ARN
	case u.InvokedBy != "":
		return u.InvokedBy
	case u.AccountID != "":
		if u.PrincipalID != nil {
			return "account:" + u.AccountID + "/" + pid
		}
		return "account:" + u.AccountID
	case u.PrincipalID != nil:
		return pid
	}
	return "unknown"
}

var (
	accRefOnce       sync.Once
	accRefRecordsAll []accRefRecord
	accRefErr        error
)

// accSampleRecords reads every record of the sample once, one per eventID.
func accSampleRecords(t *testing.T) []accRefRecord {
	t.Helper()
	accRefOnce.Do(func() {
		seen := map[string]bool{}
		accRefErr = filepath.WalkDir(sampleDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			var doc struct{ Records []accRefRecord }
			if err := json.Unmarshal(b, &doc); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			for _, r := range doc.Records {
				if !seen[r.EventID] {
					seen[r.EventID] = true
					accRefRecordsAll = append(accRefRecordsAll, r)
				}
			}
			return nil
		})
	})
	if accRefErr != nil {
		t.Fatalf("read sample: %v", accRefErr)
	}
	return accRefRecordsAll
}

type idSampleTruth struct {
	Window struct{ Since, Until string } `json:"window"`
	Exfil  struct {
		Bucket string `json:"bucket"`
	} `json:"exfil"`
	Pivot struct {
		Seed  string `json:"seed"`
		Nodes []struct {
			Kind, Value string
			Round       int
		} `json:"nodes"`
		Edges []struct {
			From, To, Relation string
		} `json:"edges"`
		Excluded []string `json:"excluded"`
		Rounds   int      `json:"rounds"`
	} `json:"pivot"`
}

func idLoadTruth(t *testing.T) (idSampleTruth, Window) {
	t.Helper()
	b, err := os.ReadFile(sampleDir + "-truth.json")
	if err != nil {
		t.Fatalf("no sample truth: %v", err)
	}
	var tr idSampleTruth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	since, err1 := time.Parse(time.RFC3339, tr.Window.Since)
	until, err2 := time.Parse(time.RFC3339, tr.Window.Until)
	if err1 != nil || err2 != nil {
		t.Fatalf("truth window: %v %v", err1, err2)
	}
	return tr, Window{Since: since, Until: until}
}

// idSampleEnv opens the local engine over the sample's window, in the
// test's own temporary folder so nothing outlives the test.
func idSampleEnv(t *testing.T, w Window) *Env {
	t.Helper()
	eng, err := local.Open(context.Background(), local.Options{Dir: sampleDir, TempDir: t.TempDir(), From: w.Since, To: w.Until, Narrow: packNarrow(t, "identity", "access")})
	if err != nil {
		t.Fatalf("open sample: %v", err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	cat, err := sql.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Engine: eng, Catalog: cat, Tables: map[string]string{"management": local.View, "data": local.View}}
}

var accessObjectOps = map[string]string{
	"GetObject": "read", "HeadObject": "read", "GetObjectAcl": "read", "GetObjectAttributes": "read", "GetObjectTagging": "read",
	"GetObjectRetention": "read", "GetObjectLegalHold": "read", "GetObjectTorrent": "read", "SelectObjectContent": "read",
	"PutObject": "write", "CopyObject": "write", "CreateMultipartUpload": "write", "UploadPart": "write", "UploadPartCopy": "write",
	"CompleteMultipartUpload": "write", "PutObjectAcl": "write", "PutObjectTagging": "write", "PutObjectRetention": "write",
	"PutObjectLegalHold": "write", "RestoreObject": "write",
	"DeleteObject": "delete", "DeleteObjects": "delete", "DeleteObjectTagging": "delete", "AbortMultipartUpload": "delete",
	"ListObjects": "list", "ListObjectsV2": "list", "ListObjectVersions": "list", "ListMultipartUploads": "list", "ListParts": "list",
}

func accRefNumber(m map[string]any, k string) float64 {
	switch v := m[k].(type) {
	case float64:
		return v
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

// TestAccessMatchesReference runs access over the sample and checks every
// row of access/by_principal against counts computed in Go from the raw
// files.
func TestAccessMatchesReference(t *testing.T) {
	tr, w := idLoadTruth(t)
	env := idSampleEnv(t, w)
	bucket := tr.Exfil.Bucket
	out, err := Access(context.Background(), env, AccessOptions{Buckets: []string{bucket}, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed queries: %v (%s)", f, out.Queries[0].Err)
	}

	type key struct{ principal, ip, op string }
	type agg struct {
		events, errors    int64
		keys              map[string]bool
		bytesIn, bytesOut int64
		first, last       string
	}
	want := map[key]*agg{}
	since, until := Stamp(w.Since), Stamp(w.Until)
	for _, r := range accSampleRecords(t) {
		if r.EventTime < since || r.EventTime >= until || r.EventSource != "s3.amazonaws.com" {
			continue
		}
		op, known := accessObjectOps[r.EventName]
		if r.EventCat != "Data" && !(r.EventCat == "" && known) {
			continue
		}
		if !known {
			op = "other"
		}
		if b, _ := r.RequestParameters["bucketName"].(string); b != bucket {
			continue
		}
		k := key{r.principal(), r.SourceIP, op}
		a := want[k]
		if a == nil {
			a = &agg{keys: map[string]bool{}, first: r.EventTime, last: r.EventTime}
			want[k] = a
		}
		a.events++
		if r.ErrorCode != "" {
			a.errors++
		} else {
			a.bytesIn += int64(accRefNumber(r.AdditionalEventData, "bytesTransferredIn"))
			a.bytesOut += int64(accRefNumber(r.AdditionalEventData, "bytesTransferredOut"))
		}
		if ok, _ := r.RequestParameters["key"].(string); ok != "" {
			a.keys[ok] = true
		}
		a.first = min(a.first, r.EventTime)
		a.last = max(a.last, r.EventTime)
	}
	if len(want) < 5 {
		t.Fatalf("reference found only %d groups; the sample is not what this test expects", len(want))
	}

	bp := find(out.Queries, "access/by_principal")
	rr := newRowReader(colNames(bp.Columns))
	got := map[key]bool{}
	ops := map[string]bool{}
	for _, row := range bp.Rows {
		k := key{rr.str(row, "principal"), rr.str(row, "source_ip"), rr.str(row, "operation")}
		got[k] = true
		ops[k.op] = true
		a := want[k]
		if a == nil {
			t.Errorf("unexpected group %+v", k)
			continue
		}
		check := func(col string, want int64) {
			if g := int64(rr.num(row, col)); g != want {
				t.Errorf("%+v %s = %d, want %d", k, col, g, want)
			}
		}
		check("events", a.events)
		check("errors", a.errors)
		check("distinct_keys", int64(len(a.keys)))
		check("bytes_in", a.bytesIn)
		check("bytes_out", a.bytesOut)
		if f := Stamp(rr.time(row, "first_seen")); f != a.first[:19]+"Z" {
			t.Errorf("%+v first_seen %s, want %s", k, f, a.first)
		}
		if l := Stamp(rr.time(row, "last_seen")); l != a.last[:19]+"Z" {
			t.Errorf("%+v last_seen %s, want %s", k, l, a.last)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing group %+v", k)
		}
	}
	for _, op := range []string{"read", "write", "list"} {
		if !ops[op] {
			t.Errorf("no %s operations found; the sample has them", op)
		}
	}

	// Totals per class equal the sums of the per-principal rows.
	tot := find(out.Queries, "access/totals")
	tr2 := newRowReader(colNames(tot.Columns))
	for _, row := range tot.Rows {
		op := tr2.str(row, "operation")
		var events, bytesOut int64
		principals := map[string]bool{}
		for k, a := range want {
			if k.op == op {
				events += a.events
				bytesOut += a.bytesOut
				principals[k.principal] = true
			}
		}
		if g := int64(tr2.num(row, "events")); g != events {
			t.Errorf("totals %s events = %d, want %d", op, g, events)
		}
		if g := int64(tr2.num(row, "bytes_out")); g != bytesOut {
			t.Errorf("totals %s bytes_out = %d, want %d", op, g, bytesOut)
		}
		if g := int64(tr2.num(row, "principals")); g != int64(len(principals)) {
			t.Errorf("totals %s principals = %d, want %d", op, g, len(principals))
		}
		if tr2.str(row, "bucket") != bucket {
			t.Errorf("totals bucket %q", tr2.str(row, "bucket"))
		}
	}

	var texts []string
	for _, f := range out.Findings {
		texts = append(texts, f.Text)
	}
	all := strings.Join(texts, "\n")
	for _, wantText := range []string{"S3 data events on " + bucket, "Reads (GetObject", "Principal "} {
		if !strings.Contains(all, wantText) {
			t.Errorf("findings lack %q:\n%s", wantText, all)
		}
	}
	t.Logf("access/by_principal: %d rows; findings:\n%s", len(bp.Rows), all)
}

func TestAccessUsage(t *testing.T) {
	for _, b := range [][]string{nil, {"Payroll"}, {"x' OR '1'='1"}, {"ok-bucket", "192.168.1.1"}} {
		if _, err := PlanAccess(AccessOptions{Buckets: b, Window: Window{Since: time.Unix(0, 0), Until: time.Unix(3600, 0)}}); !IsUsage(err) {
			t.Errorf("buckets %q: got %v, want a usage error", b, err)
		}
	}
}

// TestAccessFindingsTraceable: every access finding rests on the eventIDs
// of exactly the events it counts, with their Timeline events, worst
// first.
func TestAccessFindingsTraceable(t *testing.T) {
	tr, w := idLoadTruth(t)
	env := idSampleEnv(t, w)
	out, err := Access(context.Background(), env, AccessOptions{Buckets: []string{tr.Exfil.Bucket}, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed queries: %v", f)
	}
	callsRe := regexp.MustCompile(`(?:logged |made |: )([0-9,]+) (?:S3 data events|calls)`)
	for i, f := range out.Findings {
		if i > 0 && SeverityRank(out.Findings[i-1].Severity) > SeverityRank(f.Severity) {
			t.Errorf("not worst first at %d: %s", i, f.Text)
		}
		m := callsRe.FindStringSubmatch(f.Text)
		if m == nil {
			t.Errorf("no count in %q", f.Text)
			continue
		}
		if n := parseComma(m[1]); n != int64(len(f.EventIDs)) || len(f.Events) != len(f.EventIDs) {
			t.Errorf("%q rests on %d eventIDs and %d events, counts %d", f.Text, len(f.EventIDs), len(f.Events), n)
		}
		seen := map[string]bool{}
		for _, id := range f.EventIDs {
			if seen[id] {
				t.Errorf("eventID %s twice in %q", id, f.Text)
			}
			seen[id] = true
		}
		if strings.HasPrefix(f.Text, "Principal anonymous") && f.Severity != SeverityHigh {
			t.Errorf("successful anonymous access rated %s", f.Severity)
		}
	}
}
