package investigate

import (
	"context"
	"fmt"
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
	"exfil/top_readers", "exfil/baseline", "exfil/baseline_days", "exfil/outside_readers",
	"exfil/top_keys", "exfil/hourly", "exfil/bucket_changes", "exfil/read_events",
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
	ip, rng, err := ipFilter(o.IP)
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
	filtered := with(common, rng.set(map[string]string{
		"principal": principal, "principal_prefix": prefix, "ip": ip, "key_prefix": o.KeyPrefix,
	}))
	baseSince := w.Since.Add(-o.Baseline)
	baseFrom, baseTo := Days(baseSince, w.Since)
	changes := with(common, rng.set(map[string]string{"principal": principal, "principal_prefix": prefix, "ip": ip}))
	return []Planned{
		{Name: "exfil/top_readers", Values: filtered},
		{Name: "exfil/baseline", Values: with(filtered, map[string]string{
			"since": Stamp(baseSince), "window_since": Stamp(w.Since), "day_from": baseFrom,
			"baseline_day_to": baseTo, "window_day_from": dayFrom})},
		{Name: "exfil/baseline_days", Values: with(common, map[string]string{
			"since": Stamp(baseSince), "window_since": Stamp(w.Since), "day_from": baseFrom})},
		{Name: "exfil/outside_readers", Values: with(filtered, map[string]string{"org_accounts": strings.Join(accounts, ",")})},
		{Name: "exfil/top_keys", Values: filtered},
		{Name: "exfil/hourly", Values: filtered},
		{Name: "exfil/bucket_changes", Values: changes},
		{Name: "exfil/read_events", Values: filtered},
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

// ipRange is an --ip CIDR range as the queries take it: cidr for
// contains(cidr, TRY_CAST(source AS IPADDRESS)), which both engines compute
// on the parsed address (IPv4, IPv6, compressed, any case, IPv4-mapped);
// and for an IPv4 range also its numeric bounds lo..hi, which match the
// dotted quads with leading zeros that anonymised logs write (035.1.2.3)
// and that no IP parser accepts. No range is cidr "" and lo = hi = -1.
type ipRange struct {
	cidr   string
	lo, hi int64
}

var noRange = ipRange{lo: -1, hi: -1}

func (r ipRange) set(v map[string]string) map[string]string {
	v["ip_range"], v["ip_lo"], v["ip_hi"] = r.cidr, strconv.FormatInt(r.lo, 10), strconv.FormatInt(r.hi, 10)
	return v
}

// ipFilter turns --ip into the query's parameters: a single address goes in
// ip (matched as CloudTrail wrote it); a CIDR range (IPv4 or IPv6, a /32 or
// /128 too) becomes an ipRange, matched on the parsed address.
func ipFilter(s string) (ip string, r ipRange, err error) {
	r = noRange
	if s == "" {
		return "", r, nil
	}
	if !strings.Contains(s, "/") {
		if _, err := sql.Check("ip", s); err != nil {
			return "", r, &sql.UsageError{Msg: "--ip: " + err.Error()}
		}
		return s, r, nil
	}
	p, perr := netip.ParsePrefix(s)
	if perr != nil || p.Addr().Zone() != "" {
		return "", r, &sql.UsageError{Msg: fmt.Sprintf("--ip: %q is not an IP address or CIDR range such as 198.51.100.0/24 or 2001:db8::/32", s)}
	}
	p = p.Masked()
	// An IPv4-mapped range (::ffff:198.51.100.0/120) is the IPv4 range it
	// maps: Athena parses every mapped address as IPv4.
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	r.cidr = p.String()
	if p.Addr().Is4() {
		a := p.Addr().As4()
		start := int64(a[0])<<24 | int64(a[1])<<16 | int64(a[2])<<8 | int64(a[3])
		r.lo, r.hi = start, start+(int64(1)<<(32-p.Bits()))-1
	}
	return "", r, nil
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
			{Title: "Object reads per hour (UTC)", Query: "exfil/hourly", CategoryColumn: "hour_utc", ValueColumn: "reads", Kind: "line"},
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
