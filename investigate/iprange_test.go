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
	"time"
)

// ipSources are the source addresses the range fixture's events come from,
// by the eventID suffix they get.
var ipSources = map[string]string{
	"v4":        "198.51.100.7",
	"v4-other":  "198.51.101.7",
	"v4-zeros":  "198.051.100.007", // anonymised logs; no parser takes it
	"v4-mapped": "::ffff:198.51.100.9",
	"v4-hex":    "::FFFF:C633:640A", // 198.51.100.10
	"v6":        "2001:db8::1",
	"v6-long":   "2001:0DB8:0000:0000:0000:0000:0000:00ff",
	"v6-mixed":  "2001:Db8:0:1::",
	"v6-other":  "2001:db9::1",
	"service":   "s3.amazonaws.com",
	"internal":  "AWS Internal",
}

// writeIPFixture writes one CloudTrail file: for each source, a GetObject
// of bucket ip-evidence and a management call, an hour apart.
func writeIPFixture(t *testing.T) (string, Window) {
	t.Helper()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var recs []map[string]any
	names := make([]string, 0, len(ipSources))
	for n := range ipSources {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		who := map[string]any{"type": "IAMUser", "principalId": "AIDAIP" + fmt.Sprint(i), "arn": "arn:aws:iam::111122223333:user/u-" + n, "accountId": "111122223333"}
		base := map[string]any{"eventVersion": "1.09", "userIdentity": who, "awsRegion": "us-east-1", "sourceIPAddress": ipSources[n],
			"userAgent": "aws-cli/2", "recipientAccountId": "111122223333", "readOnly": true}
		read := map[string]any{"eventTime": day.Add(time.Duration(i) * time.Minute).Format(time.RFC3339), "eventSource": "s3.amazonaws.com",
			"eventName": "GetObject", "eventID": "read-" + n, "eventType": "AwsApiCall", "eventCategory": "Data",
			"requestParameters":   map[string]any{"bucketName": "ip-evidence", "key": "k/" + n},
			"additionalEventData": map[string]any{"bytesTransferredOut": 100}}
		call := map[string]any{"eventTime": day.Add(time.Hour + time.Duration(i)*time.Minute).Format(time.RFC3339), "eventSource": "iam.amazonaws.com",
			"eventName": "ListUsers", "eventID": "call-" + n, "eventType": "AwsApiCall", "eventCategory": "Management"}
		for _, r := range []map[string]any{read, call} {
			for k, v := range base {
				r[k] = v
			}
			recs = append(recs, r)
		}
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "trail.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, Window{Since: day, Until: day.AddDate(0, 0, 1)}
}

func ipEnv(t *testing.T, dir string, w Window) *Env {
	t.Helper()
	return openLocalNarrow(t, dir, w.Since, w.Until, nil)
}

// idsIn returns the sorted distinct source names (eventID suffixes after prefix) in
// column col of query name's rows.
func idsIn(t *testing.T, out *Outcome, name, col, prefix string) string {
	t.Helper()
	if f := out.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	q := find(out.Queries, name)
	if q == nil {
		t.Fatalf("no %s", name)
	}
	c := -1
	for i, cl := range q.Columns {
		if cl.Name == col {
			c = i
		}
	}
	if c < 0 {
		t.Fatalf("%s has no column %s", name, col)
	}
	var got []string
	seen := map[string]bool{}
	for _, r := range q.Rows {
		if s, ok := r[c].(string); ok && strings.HasPrefix(s, prefix) && !seen[s] {
			seen[s] = true
			got = append(got, strings.TrimPrefix(s, prefix))
		}
	}
	sort.Strings(got)
	return strings.Join(got, " ")
}

// TestIPRanges: exfil --ip and identity --ip with IPv4 and IPv6 ranges on
// the local engine pick exactly the events whose source lies in the range,
// whatever form the address is written in; sources that are not IPs
// match no range and fail nothing.
func TestIPRanges(t *testing.T) {
	dir, w := writeIPFixture(t)
	env := ipEnv(t, dir, w)
	cases := []struct{ ip, want string }{
		{"198.51.100.0/24", "v4 v4-hex v4-mapped v4-zeros"},
		{"198.51.100.7/32", "v4 v4-zeros"},
		{"::ffff:198.51.100.0/120", "v4 v4-hex v4-mapped v4-zeros"},
		{"2001:db8::/32", "v6 v6-long v6-mixed"},
		{"2001:DB8::/64", "v6 v6-long"},
		{"2001:db8::ff/128", "v6-long"},
		{"2001:db8:0:1::/64", "v6-mixed"},
		{"::/0", "v6 v6-long v6-mixed v6-other"},
		{"0.0.0.0/0", "v4 v4-hex v4-mapped v4-other v4-zeros"},
		{"2001:db8:ffff::/48", ""},
	}
	for _, c := range cases {
		ex, err := Exfil(context.Background(), env, ExfilOptions{Buckets: []string{"ip-evidence"}, IP: c.ip, Window: w})
		if err != nil {
			t.Fatalf("exfil --ip %s: %v", c.ip, err)
		}
		if got := idsIn(t, ex, "exfil/read_events", "event_id", "read-"); got != c.want {
			t.Errorf("exfil --ip %s read: %q, want %q", c.ip, got, c.want)
		}
		if c.want == "" {
			continue // identity with nothing to match is refused only when no selector is given
		}
		id, err := Identity(context.Background(), env, IdentityOptions{IPs: []string{c.ip}, Window: w})
		if err != nil {
			t.Fatalf("identity --ip %s: %v", c.ip, err)
		}
		if got := idsIn(t, id, "identity/activity", "principal", "arn:aws:iam::111122223333:user/u-"); got != c.want {
			t.Errorf("identity --ip %s: %q, want %q", c.ip, got, c.want)
		}
	}
	// Without --ip every read is there, services and AWS Internal included.
	ex, err := Exfil(context.Background(), env, ExfilOptions{Buckets: []string{"ip-evidence"}, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsIn(t, ex, "exfil/read_events", "event_id", "read-"); len(strings.Fields(got)) != len(ipSources) {
		t.Errorf("no --ip: %q", got)
	}
}
