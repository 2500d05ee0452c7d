package investigate

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
	"github.com/ctathena/ctathena/sql"
)

// ExfilOptions are the inputs of `ctathena exfil`.
type ExfilOptions struct {
	Buckets   []string
	Principal string
	// IP is a single address or a CIDR range.
	IP        string
	KeyPrefix string
	Baseline  time.Duration
	Window    Window
	// OrgAccounts are the organization's accounts; reads from any other
	// account are called out.
	OrgAccounts []string
}

// ExfilQueries are the catalog queries exfil runs, in report order.
var ExfilQueries = []string{
	"exfil/top_readers", "exfil/baseline", "exfil/outside_readers",
	"exfil/top_keys", "exfil/hourly", "exfil/bucket_changes",
}

// ExfilEvents are the only events exfil's queries read, eventSource ->
// eventNames (each query filters on eventsource and eventname; a test
// holds the list to the queries), so an engine loading for exfil may skip
// every other event: the object reads, and the bucket changes of
// exfil/bucket_changes.
func ExfilEvents() map[string][]string {
	return map[string][]string{"s3.amazonaws.com": {
		"GetObject",
		"PutBucketPolicy", "DeleteBucketPolicy",
		"PutBucketAcl",
		"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
		"PutBucketReplication", "DeleteBucketReplication",
		"PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
		"PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
		"PutBucketVersioning", "PutBucketEncryption", "DeleteBucketEncryption",
	}}
}

// ExfilBaselineEvents are the only events exfil reads before its window
// (exfil/baseline: S3 GetObject data events, failed ones included), by
// eventSource; an engine loading the baseline may skip all others.
func ExfilBaselineEvents() map[string][]string {
	return map[string][]string{"s3.amazonaws.com": {"GetObject"}}
}

// PlanExfil validates the options and returns the queries to run.
func PlanExfil(o ExfilOptions) ([]Planned, error) {
	if len(o.Buckets) == 0 {
		return nil, &sql.UsageError{Msg: "exfil needs at least one --bucket"}
	}
	for _, b := range o.Buckets {
		if err := sql.ValidBucket(b); err != nil {
			return nil, &sql.UsageError{Msg: "--bucket: " + err.Error()}
		}
	}
	if o.Baseline <= 0 {
		o.Baseline = 14 * 24 * time.Hour
	}
	baseDays := int64(math.Ceil(o.Baseline.Hours() / 24))
	ip, lo, hi, err := ipFilter(o.IP)
	if err != nil {
		return nil, err
	}
	var accounts []string
	for _, a := range o.OrgAccounts {
		if a != "" {
			accounts = append(accounts, a)
		}
	}
	sort.Strings(accounts)
	w := o.Window
	dayFrom, dayTo := Days(w.Since, w.Until)
	common := map[string]string{
		"buckets": strings.Join(o.Buckets, ","), "since": Stamp(w.Since), "until": Stamp(w.Until),
		"day_from": dayFrom, "day_to": dayTo,
	}
	principal, prefix, err := ARNPrefix("--principal", o.Principal)
	if err != nil {
		return nil, err
	}
	filtered := with(common, map[string]string{
		"principal": principal, "principal_prefix": prefix, "ip": ip, "ip_lo": strconv.FormatInt(lo, 10), "ip_hi": strconv.FormatInt(hi, 10),
		"key_prefix": o.KeyPrefix,
	})
	baseSince := w.Since.Add(-o.Baseline)
	baseFrom, _ := Days(baseSince, w.Until)
	return []Planned{
		{Name: "exfil/top_readers", Values: filtered},
		{Name: "exfil/baseline", Values: with(common, map[string]string{
			"since": Stamp(baseSince), "window_since": Stamp(w.Since), "day_from": baseFrom, "baseline_days": strconv.FormatInt(baseDays, 10)})},
		{Name: "exfil/outside_readers", Values: with(common, map[string]string{"org_accounts": strings.Join(accounts, ",")})},
		{Name: "exfil/top_keys", Values: filtered},
		{Name: "exfil/hourly", Values: filtered},
		{Name: "exfil/bucket_changes", Values: common},
	}, nil
}

// ExfilLoad is what exfil reads (see engine.Narrow): ExfilEvents and the
// columns its queries name; before the window only the
// baseline's GetObject reads, and only in the partitions holding the
// window's reads of the bucket(s) (exfil/read_partitions, rendered for
// the table name data): every read of a bucket is delivered to its
// owner's account in its region, where the window's reads are too.
func ExfilLoad(cat *sql.Catalog, o ExfilOptions, data string) (*engine.Narrow, error) {
	if _, err := PlanExfil(o); err != nil {
		return nil, err
	}
	dayFrom, dayTo := Days(o.Window.Since, o.Window.Until)
	r, err := cat.MustGet("exfil/read_partitions").Render(map[string]string{"data": data}, map[string]string{
		"buckets": strings.Join(o.Buckets, ","), "since": Stamp(o.Window.Since), "until": Stamp(o.Window.Until),
		"day_from": dayFrom, "day_to": dayTo,
	})
	if err != nil {
		return nil, err
	}
	return &engine.Narrow{Events: ExfilEvents(), Before: o.Window.Since, Keep: ExfilBaselineEvents(),
		Partitions: &engine.PartitionRule{Query: engine.Query{Name: r.Name, SQL: r.SQL, Args: r.Args}, Why: "the window's reads of the bucket"},
		Why:        "exfil reads only these", Queries: PackSQL(cat, "exfil")}, nil
}

func with(base, extra map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// ipFilter turns --ip into the query's parameters: a single address goes in
// ip; an IPv4 range becomes its numeric bounds (both engines compute the
// number from the dotted quad).
func ipFilter(s string) (ip string, lo, hi int64, err error) {
	lo, hi = -1, -1
	if s == "" {
		return "", lo, hi, nil
	}
	if !strings.Contains(s, "/") {
		if _, err := sql.Check("ip", s); err != nil {
			return "", 0, 0, &sql.UsageError{Msg: "--ip: " + err.Error()}
		}
		return s, lo, hi, nil
	}
	p, perr := netip.ParsePrefix(s)
	if perr != nil {
		return "", 0, 0, &sql.UsageError{Msg: fmt.Sprintf("--ip: %q is not an IP address or CIDR range such as 198.51.100.0/24", s)}
	}
	p = p.Masked()
	if p.Addr().Is6() {
		if p.Bits() == 128 {
			return p.Addr().String(), lo, hi, nil
		}
		return "", 0, 0, &sql.UsageError{Msg: fmt.Sprintf("--ip: IPv6 ranges are not supported yet (%s); give single IPv6 addresses", s)}
	}
	a := p.Addr().As4()
	start := int64(a[0])<<24 | int64(a[1])<<16 | int64(a[2])<<8 | int64(a[3])
	return "", start, start + (int64(1) << (32 - p.Bits())) - 1, nil
}

// Exfil runs the exfiltration pack and turns its rows into findings.
func Exfil(ctx context.Context, env *Env, o ExfilOptions) (*Outcome, error) {
	plans, err := PlanExfil(o)
	return runPack(ctx, env, plans, err, func(out *Outcome) {
		out.Findings = exfilFindings(o, out.Queries)
		if len(o.OrgAccounts) == 0 {
			out.Notes = append(out.Notes, "The organization's accounts are not known (no setup config, no account folders, no --org-accounts), so no reader was classed as outside the organization; anonymous reads are still listed.")
		}
		out.Charts = []reports.Chart{
			{Title: "Bytes read in the window, by principal", Query: "exfil/baseline", CategoryColumn: "principal", ValueColumn: "window_bytes", Kind: "bar"},
			{Title: "Objects read per hour (UTC)", Query: "exfil/hourly", CategoryColumn: "hour_utc", ValueColumn: "objects", Kind: "line"},
		}
	})
}

func find(runs []reports.QueryRun, name string) *reports.QueryRun {
	for i := range runs {
		if runs[i].Name == name {
			return &runs[i]
		}
	}
	return nil
}

func colNames(cols []engine.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

type readerTotal struct {
	account     string
	objects     int64
	failed      int64
	bytes       float64
	ips         map[string]bool
	first, last time.Time
}

// totalsBy sums per-(principal, IP, user agent) rows into per-principal
// totals; the rows partition distinct events, so the sums are exact. The
// order is by bytes, then objects, then name.
func totalsBy(rr rowReader, rows [][]any) (map[string]*readerTotal, []string) {
	totals := map[string]*readerTotal{}
	var order []string
	for _, row := range rows {
		p := rr.str(row, "principal")
		t := totals[p]
		if t == nil {
			t = &readerTotal{account: rr.str(row, "account"), ips: map[string]bool{}}
			totals[p] = t
			order = append(order, p)
		}
		n := int64(rr.num(row, "objects"))
		t.objects += n
		t.bytes += rr.num(row, "bytes_out")
		t.failed += int64(rr.num(row, "failed_reads"))
		if n == 0 {
			continue // only failed reads: no source of data
		}
		t.ips[rr.str(row, "source_ip")] = true
		if f := rr.time(row, "first_seen"); !f.IsZero() && (t.first.IsZero() || f.Before(t.first)) {
			t.first = f
		}
		if l := rr.time(row, "last_seen"); l.After(t.last) {
			t.last = l
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := totals[order[i]], totals[order[j]]
		if a.bytes != b.bytes {
			return a.bytes > b.bytes
		}
		if a.objects != b.objects {
			return a.objects > b.objects
		}
		return order[i] < order[j]
	})
	return totals, order
}

// ipList names up to three addresses and counts the rest.
func ipList(ips map[string]bool) string {
	var l []string
	for ip := range ips {
		l = append(l, ip)
	}
	sort.Strings(l)
	if len(l) == 1 {
		return "IP address " + l[0]
	}
	s := fmt.Sprintf("%d IP addresses (", len(l))
	if len(l) > 3 {
		return s + strings.Join(l[:3], ", ") + ", …)"
	}
	return s + strings.Join(l, ", ") + ")"
}

func exfilFindings(o ExfilOptions, runs []reports.QueryRun) []reports.Finding {
	var fs []reports.Finding
	buckets := strings.Join(o.Buckets, ", ")
	baseDays := int64(math.Ceil(o.Baseline.Hours() / 24))
	if baseDays <= 0 {
		baseDays = 14
	}
	windowDays := o.Window.Until.Sub(o.Window.Since).Hours() / 24

	baseline := map[string]float64{}
	if b := find(runs, "exfil/baseline"); b != nil && b.Err == "" {
		rr := newRowReader(colNames(b.Columns))
		for _, row := range b.Rows {
			baseline[rr.str(row, "principal")] = rr.num(row, "baseline_objects_per_day")
		}
	}

	if tr := find(runs, "exfil/top_readers"); tr != nil && tr.Err == "" {
		rr := newRowReader(colNames(tr.Columns))
		totals, order := totalsBy(rr, tr.Rows)
		var allObjects, readers int64
		var allBytes float64
		for _, t := range totals {
			allObjects += t.objects
			allBytes += t.bytes
			if t.objects > 0 {
				readers++
			}
		}
		if readers == 0 {
			fs = append(fs, reports.Finding{Severity: "info", Query: "exfil/top_readers",
				Text: fmt.Sprintf("No object reads (GetObject) of %s were logged between %s and %s. If S3 data events are not enabled for the bucket, reads would not appear in CloudTrail at all.", buckets, when(o.Window.Since), when(o.Window.Until))})
		} else {
			fs = append(fs, reports.Finding{Severity: "info", Query: "exfil/top_readers",
				Text: fmt.Sprintf("Between %s and %s, %s read %s (%s) from %s.", when(o.Window.Since), when(o.Window.Until),
					plural(readers, "principal", "principals"), plural(allObjects, "object", "objects"), HumanBytes(allBytes), buckets)})
		}
		for i, p := range order {
			if i == 10 {
				break
			}
			t := totals[p]
			if t.objects == 0 {
				fs = append(fs, reports.Finding{Severity: "medium", Query: "exfil/top_readers",
					Text: fmt.Sprintf("Principal %s tried to read %s from %s in the window and every attempt failed.", p, plural(t.failed, "object", "objects"), buckets)})
				continue
			}
			perDay := baseline[p]
			base := fmt.Sprintf("its %d-day baseline is %s objects a day", baseDays, strconv.FormatFloat(math.Round(perDay*10)/10, 'f', -1, 64))
			if perDay == 0 {
				base = fmt.Sprintf("it read nothing from %s in the %d days before the window", buckets, baseDays)
			}
			sev := "medium"
			windowPerDay := float64(t.objects) / math.Max(windowDays, 1.0/24)
			if t.objects >= 100 && windowPerDay > 10*perDay {
				sev = "high"
			}
			fs = append(fs, reports.Finding{Severity: sev, Query: "exfil/top_readers",
				Text: fmt.Sprintf("Principal %s read %s (%s) from %s between %s and %s; %s.",
					p, plural(t.objects, "object", "objects"), HumanBytes(t.bytes), ipList(t.ips),
					when(t.first), when(t.last), base)})
		}
	}

	if or := find(runs, "exfil/outside_readers"); or != nil && or.Err == "" && len(or.Rows) > 0 {
		rr := newRowReader(colNames(or.Columns))
		totals, order := totalsBy(rr, or.Rows)
		for i, p := range order {
			if i == 10 {
				fs = append(fs, reports.Finding{Severity: "high", Query: "exfil/outside_readers",
					Text: fmt.Sprintf("%d more principals outside the organization read objects; see the exfil/outside_readers sheet.", len(order)-10)})
				break
			}
			t := totals[p]
			if t.objects == 0 {
				continue
			}
			who := "An anonymous (unauthenticated) reader"
			if p != "anonymous" {
				who = fmt.Sprintf("Principal %s of account %s, outside the organization,", p, t.account)
			}
			fs = append(fs, reports.Finding{Severity: "high", Query: "exfil/outside_readers",
				Text: fmt.Sprintf("%s read %s (%s) from %s between %s and %s.", who,
					plural(t.objects, "object", "objects"), HumanBytes(t.bytes), ipList(t.ips), when(t.first), when(t.last))})
		}
	}

	if bc := find(runs, "exfil/bucket_changes"); bc != nil && bc.Err == "" {
		rr := newRowReader(colNames(bc.Columns))
		for _, row := range bc.Rows {
			outcome := "and it succeeded"
			if e := rr.str(row, "error_code"); e != "" {
				outcome = "and it failed with " + e
			}
			fs = append(fs, reports.Finding{Severity: "high", Query: "exfil/bucket_changes",
				Text: fmt.Sprintf("At %s, %s called %s on bucket %s from IP address %s, %s.",
					when(rr.time(row, "event_time")), rr.str(row, "principal"), rr.str(row, "event_name"),
					rr.str(row, "bucket"), rr.str(row, "source_ip"), outcome)})
		}
	}
	for _, r := range runs {
		if r.Err != "" {
			fs = append(fs, reports.Finding{Severity: "high", Query: r.Name,
				Text: fmt.Sprintf("Query %s failed, so its part of this report is missing: %s", r.Name, r.Err)})
		}
	}
	return fs
}
