package investigate

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctathena/ctathena/reports"
)

// exactBytes states a byte count in human units and exactly.
func exactBytes(b float64) string {
	n := int64(math.Round(b))
	if n < 1000 {
		return plural(n, "byte", "bytes")
	}
	return HumanBytes(b) + "; " + Comma(n) + " bytes"
}

// bytesAside states a byte count in human units with the exact count
// aside: "1.6 GB (1,575,810,870 bytes)".
func bytesAside(b float64) string {
	n := int64(math.Round(b))
	if n < 1000 {
		return plural(n, "byte", "bytes")
	}
	return HumanBytes(b) + " (" + Comma(n) + " bytes)"
}

// Address kinds: a read from inside the organization's network or from AWS
// itself is stated apart from one from the internet.
const (
	addrExternal = "external"
	addrInternal = "internal"
	addrAWS      = "AWS service"
)

// addressKind classes a source address: private (RFC 1918, unique local
// IPv6, loopback, link-local) or through a VPC endpoint is internal; an
// AWS service name ("AWS Internal", "s3.amazonaws.com") is AWS; any other
// address is external.
func addressKind(ip, vpce string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		if vpce != "" || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
			return addrInternal
		}
		return addrExternal
	}
	if vpce != "" {
		return addrInternal
	}
	if ip == "AWS Internal" || strings.HasSuffix(ip, ".amazonaws.com") || ip == "" {
		return addrAWS
	}
	return addrExternal
}

// addressWords names the addresses of each kind apart: "external
// addresses 192.0.2.45 and 198.51.100.23 and internal address 10.0.12.7
// (private network or VPC endpoint)".
func addressWords(ips map[string]string) string { return addressCounts(ips, nil) }

// addressCounts is addressWords with, when reads is given, the number of
// reads from each kind of address: "... 198.51.100.23 (1,500 reads)".
func addressCounts(ips map[string]string, reads map[string]int64) string {
	byKind := map[string][]string{}
	for ip, k := range ips {
		byKind[k] = append(byKind[k], ip)
	}
	var parts []string
	for _, k := range []string{addrExternal, addrInternal, addrAWS} {
		l := byKind[k]
		if len(l) == 0 {
			continue
		}
		sort.Strings(l)
		shown := l
		if len(l) > 4 {
			shown = append(append([]string(nil), l[:4]...), fmt.Sprintf("%d more", len(l)-4))
		}
		noun := map[string][2]string{
			addrExternal: {"external address", "external addresses"},
			addrInternal: {"internal address", "internal addresses"},
			addrAWS:      {"AWS service address", "AWS service addresses"},
		}[k]
		w := noun[0]
		if len(l) > 1 {
			w = fmt.Sprintf("%d %s", len(l), noun[1])
		}
		w += " " + andList(shown)
		var notes []string
		if k == addrInternal {
			notes = append(notes, "private network or VPC endpoint")
		}
		if reads != nil && len(byKind) > 1 {
			notes = append(notes, plural(reads[k], "read", "reads"))
		}
		if len(notes) > 0 {
			w += " (" + strings.Join(notes, "; ") + ")"
		}
		parts = append(parts, w)
	}
	return andList(parts)
}

// readEvent is one row of exfil/read_events.
type readEvent struct {
	at                               time.Time
	id, principal, account, ip, vpce string
	bucket, key, errCode             string
	eventAccount, region             string
	bytes                            float64
}

func (r readEvent) event() reports.Event {
	action, result := "read object (GetObject)", "succeeded"
	if r.errCode != "" {
		action, result = "tried to read object (GetObject)", r.errCode
	}
	return reports.Event{Time: r.at, EventID: r.id, Actor: r.principal, SourceIP: r.ip, Action: action,
		Target: r.bucket + "/" + r.key, Result: result, Account: r.eventAccount, Region: r.region}
}

// principalReads are one principal's reads in the window.
type principalReads struct {
	principal, account string
	reads, failed      int64
	keys               map[string]bool
	bytes              float64
	ips                map[string]string // successful reads' addresses -> kind
	kindReads          map[string]int64  // successful reads by address kind
	extReads           int64
	first, last        time.Time
	ids                []string
	events             []reports.Event
}

func readsBy(rows []readEvent) (map[string]*principalReads, []string) {
	by := map[string]*principalReads{}
	var order []string
	for _, r := range rows {
		p := by[r.principal]
		if p == nil {
			p = &principalReads{principal: r.principal, account: r.account, keys: map[string]bool{}, ips: map[string]string{}, kindReads: map[string]int64{}}
			by[r.principal] = p
			order = append(order, r.principal)
		}
		p.ids = append(p.ids, r.id)
		p.events = append(p.events, r.event())
		if r.errCode != "" {
			p.failed++
			continue
		}
		p.reads++
		p.keys[r.bucket+"/"+r.key] = true
		p.bytes += r.bytes
		k := addressKind(r.ip, r.vpce)
		p.ips[r.ip] = k
		p.kindReads[k]++
		if k == addrExternal {
			p.extReads++
		}
		if p.first.IsZero() || r.at.Before(p.first) {
			p.first = r.at
		}
		if r.at.After(p.last) {
			p.last = r.at
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := by[order[i]], by[order[j]]
		if a.bytes != b.bytes {
			return a.bytes > b.bytes
		}
		if a.reads != b.reads {
			return a.reads > b.reads
		}
		return order[i] < order[j]
	})
	return by, order
}

func readEvents(run *reports.QueryRun) []readEvent {
	rr := newRowReader(colNames(run.Columns))
	out := make([]readEvent, 0, len(run.Rows))
	for _, row := range run.Rows {
		out = append(out, readEvent{at: rr.time(row, "event_time"), id: rr.str(row, "event_id"), principal: rr.str(row, "principal"),
			account: rr.str(row, "account"), ip: rr.str(row, "source_ip"), vpce: rr.str(row, "vpc_endpoint"),
			bucket: rr.str(row, "bucket"), key: rr.str(row, "object_key"), errCode: rr.str(row, "error_code"),
			eventAccount: rr.str(row, "event_account"), region: rr.str(row, "region"), bytes: rr.num(row, "bytes_out")})
	}
	return out
}

// baselineFacts are what the baseline sentence needs.
type baselineFacts struct {
	ok         bool // both baseline queries succeeded
	nominal    int  // days in --baseline
	since      time.Time
	days       []string // the baseline's days (YYYY-MM-DD)
	withLogs   []string // of those, the days whose logs hold object reads
	objects    map[string]int64
	activeDays map[string]int64
}

// dayList words a list of days: a run as "A to B", else the days.
func dayList(days []string) string {
	if len(days) == 0 {
		return ""
	}
	contiguous := true
	for i := 1; i < len(days); i++ {
		a, _ := time.Parse("2006-01-02", days[i-1])
		b, _ := time.Parse("2006-01-02", days[i])
		if b.Sub(a) != 24*time.Hour {
			contiguous = false
		}
	}
	if len(days) == 1 {
		return days[0]
	}
	if contiguous {
		return days[0] + " to " + days[len(days)-1]
	}
	if len(days) > 6 {
		return strings.Join(days[:6], ", ") + fmt.Sprintf(" and %d more", len(days)-6)
	}
	return andList(days)
}

// covered words the days the baseline covers: "the 4 days with logs in
// the 14 days before the window (2026-11-01 to 2026-11-04; the other 10
// days have no logs)".
func (b baselineFacts) covered() string {
	missing := len(b.days) - len(b.withLogs)
	tail := "; the other " + plural(int64(missing), "day has", "days have") + " no logs"
	if missing == 1 {
		tail = "; the other day has no logs"
	}
	if missing == 0 {
		tail = "; every one of them has logs"
	}
	return fmt.Sprintf("the %s with logs in the %s before the window (%s%s)",
		plural(int64(len(b.withLogs)), "day", "days"), plural(int64(len(b.days)), "day", "days"), dayList(b.withLogs), tail)
}

// sentence is the baseline clause for principal p, and how many reads a
// day the baseline holds (-1 if there is no baseline to compare with).
func (b baselineFacts) sentence(p string, buckets string) (string, float64) {
	if !b.ok {
		return "its baseline is not known (a baseline query failed)", -1
	}
	if len(b.withLogs) == 0 {
		return fmt.Sprintf("the baseline has no logs: none of the %s before the window (%s) has logs of object reads, so how usual this is cannot be said",
			plural(int64(len(b.days)), "day", "days"), dayList(b.days)), -1
	}
	n := b.objects[p]
	if n == 0 {
		return fmt.Sprintf("it read nothing from %s over %s", buckets, b.covered()), 0
	}
	rate := float64(n) / float64(len(b.withLogs))
	return fmt.Sprintf("its baseline is %s reads a day: %s over %s",
		strconv.FormatFloat(math.Round(rate*10)/10, 'f', -1, 64), plural(n, "read", "reads"), b.covered()), rate
}

func baselineOf(o ExfilOptions, runs []reports.QueryRun) baselineFacts {
	base := o.Baseline
	if base <= 0 {
		base = 14 * 24 * time.Hour
	}
	f := baselineFacts{since: o.Window.Since.Add(-base), objects: map[string]int64{}, activeDays: map[string]int64{}}
	f.nominal = int(math.Ceil(base.Hours() / 24))
	for d := f.since.UTC().Truncate(24 * time.Hour); d.Before(o.Window.Since); d = d.Add(24 * time.Hour) {
		f.days = append(f.days, d.Format("2006-01-02"))
	}
	b, bd := find(runs, "exfil/baseline"), find(runs, "exfil/baseline_days")
	if b == nil || bd == nil || b.Err != "" || bd.Err != "" {
		return f
	}
	f.ok = true
	rr := newRowReader(colNames(b.Columns))
	for _, row := range b.Rows {
		p := rr.str(row, "principal")
		f.objects[p] = int64(rr.num(row, "baseline_objects"))
		f.activeDays[p] = int64(rr.num(row, "baseline_active_days"))
	}
	rd := newRowReader(colNames(bd.Columns))
	for _, row := range bd.Rows {
		if d := rd.str(row, "day_utc"); d != "" && rd.num(row, "object_reads_logged") > 0 {
			f.withLogs = append(f.withLogs, d)
		}
	}
	sort.Strings(f.withLogs)
	return f
}

// scope says which filters a finding honours; "" when none is set.
func scope(o ExfilOptions, bucketWide bool) string {
	var on []string
	if o.Principal != "" {
		on = append(on, "--principal "+o.Principal)
	}
	if o.IP != "" {
		on = append(on, "--ip "+o.IP)
	}
	if o.KeyPrefix != "" && !bucketWide {
		on = append(on, "--key-prefix "+o.KeyPrefix)
	}
	s := ""
	if len(on) > 0 {
		what := "reads"
		if bucketWide {
			what = "changes"
		}
		s = " Only " + what + " matching " + andList(on) + " are counted."
	}
	if bucketWide && o.KeyPrefix != "" {
		s += " --key-prefix does not apply: these are changes to the whole bucket, so they are not filtered by key."
	}
	return s
}

func exfilFindings(o ExfilOptions, runs []reports.QueryRun) []reports.Finding {
	var fs []reports.Finding
	buckets := strings.Join(o.Buckets, ", ")
	windowDays := o.Window.Until.Sub(o.Window.Since).Hours() / 24
	sc := scope(o, false)
	bf := baselineOf(o, runs)

	outsiders := map[string]bool{}
	if or := find(runs, "exfil/outside_readers"); or != nil && or.Err == "" {
		rr := newRowReader(colNames(or.Columns))
		for _, row := range or.Rows {
			outsiders[rr.str(row, "principal")] = true
		}
	}
	outsideKnown := func() bool { or := find(runs, "exfil/outside_readers"); return or != nil && or.Err == "" }()

	if re := find(runs, "exfil/read_events"); re != nil && re.Err == "" {
		rows := readEvents(re)
		by, order := readsBy(rows)
		var reads, failed, readers int64
		var bytes float64
		keys := map[string]bool{}
		var ids []string
		var evs []reports.Event
		var first time.Time
		for _, r := range rows {
			ids = append(ids, r.id)
			evs = append(evs, r.event())
			if r.errCode != "" {
				failed++
				continue
			}
			reads++
			bytes += r.bytes
			keys[r.bucket+"/"+r.key] = true
			if first.IsZero() || r.at.Before(first) {
				first = r.at
			}
		}
		for _, p := range by {
			if p.reads > 0 {
				readers++
			}
		}
		fail := ""
		if failed > 0 {
			fail = fmt.Sprintf(" %s failed and took no data.", plural(failed, "more read", "more reads"))
		}
		if reads == 0 {
			fs = append(fs, reports.Finding{Severity: SeverityInfo, Query: "exfil/read_events", EventIDs: ids, Events: evs, Time: first,
				Text: fmt.Sprintf("No successful object reads (GetObject) of %s were logged between %s and %s.%s%s", buckets,
					when(o.Window.Since), when(o.Window.Until), fail, noReads(sc))})
		} else {
			fs = append(fs, reports.Finding{Severity: SeverityInfo, Query: "exfil/read_events", EventIDs: ids, Events: evs, Time: first,
				Text: fmt.Sprintf("Between %s and %s, %s made %s of %s (%s) from %s.%s%s",
					when(o.Window.Since), when(o.Window.Until), plural(readers, "principal", "principals"),
					plural(reads, "read", "reads"), plural(int64(len(keys)), "distinct object", "distinct objects"), exactBytes(bytes),
					buckets, fail, sc)})
		}
		// Every reader outside the organization gets its finding; inside
		// it, the ten biggest do and the rest are counted.
		listed, more := 0, 0
		for _, name := range order {
			outside := outsiders[name] || name == "anonymous"
			if !outside && listed == 10 {
				more++
				continue
			}
			if !outside {
				listed++
			}
			fs = append(fs, readerFinding(o, by[name], outsiders[name], outsideKnown, bf, buckets, windowDays, sc))
		}
		if more > 0 {
			fs = append(fs, moreListed(SeverityInfo, "exfil/top_readers", more, "principals inside the organization who read or tried to read"))
		}
	}

	if re := find(runs, "exfil/read_events"); re != nil && re.Err != "" {
		fs = append(fs, readersWithoutEvents(o, runs, buckets, sc)...)
	}
	if bc := find(runs, "exfil/bucket_changes"); bc != nil && bc.Err == "" {
		fs = append(fs, bucketChangeFindings(o, bc)...)
	}
	fs = append(fs, failedQueryFindings(runs)...)
	SortFindings(fs)
	return fs
}

func readerFinding(o ExfilOptions, p *principalReads, outsider, outsideKnown bool, bf baselineFacts, buckets string, windowDays float64, sc string) reports.Finding {
	who := "Principal " + p.principal
	query := "exfil/top_readers"
	switch {
	case p.principal == "anonymous":
		who, query = "An anonymous (unauthenticated) reader", "exfil/outside_readers"
	case outsider:
		who, query = fmt.Sprintf("Principal %s of account %s, outside the organization,", p.principal, p.account), "exfil/outside_readers"
	}
	f := reports.Finding{Query: query, EventIDs: p.ids, Events: p.events, Time: p.first}
	if p.reads == 0 {
		f.Severity = SeverityMedium
		if len(p.events) > 0 {
			f.Time = p.events[0].Time
		}
		f.Text = fmt.Sprintf("%s tried to read %s in the window and every attempt failed (%s).%s", who,
			plural(p.failed, "object", "objects")+" of "+buckets, failedCodes(p.events), sc)
		return f
	}
	failed := ""
	if p.failed > 0 {
		failed = fmt.Sprintf("; %s failed", plural(p.failed, "more read", "more reads"))
	}
	base, rate := bf.sentence(p.principal, buckets)
	windowRate := float64(p.reads) / math.Max(windowDays, 1.0/24)
	unusual := rate < 0 || windowRate > 10*rate
	switch {
	case p.principal == "anonymous" || outsider:
		f.Severity = SeverityHigh // data exposed outside the organization
	case p.extReads >= 100 && unusual:
		f.Severity = SeverityHigh // data copied out to the internet at an unusual volume
	case p.extReads > 0 || (unusual && p.reads >= 100):
		f.Severity = SeverityMedium
	default:
		f.Severity = SeverityLow
	}
	if !outsideKnown && p.principal != "anonymous" {
		base += "; whether its account is outside the organization could not be checked (exfil/outside_readers failed)"
	}
	f.Text = fmt.Sprintf("%s made %s of %s (%s) from %s between %s and %s, from %s%s; %s.%s",
		who, plural(p.reads, "read", "reads"), plural(int64(len(p.keys)), "distinct object", "distinct objects"),
		exactBytes(p.bytes), buckets, when(p.first), when(p.last), addressCounts(p.ips, p.kindReads), failed, base, sc)
	return f
}

// failedCodes words the error codes of failed reads with their counts.
func failedCodes(evs []reports.Event) string {
	n := map[string]int64{}
	for _, e := range evs {
		if e.Result != "succeeded" {
			n[e.Result]++
		}
	}
	var codes []string
	for c := range n {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s %s", c, plural(n[c], "time", "times")))
	}
	return strings.Join(parts, ", ")
}

func bucketChangeFindings(o ExfilOptions, bc *reports.QueryRun) []reports.Finding {
	var fs []reports.Finding
	rr := newRowReader(colNames(bc.Columns))
	sc := scope(o, true)
	for _, row := range bc.Rows {
		name, errCode := rr.str(row, "event_name"), rr.str(row, "error_code")
		org := OrgContext{Accounts: o.OrgAccounts, Account: rr.str(row, "account")}
		eff := Effect("s3.amazonaws.com", name, rr.str(row, "request_parameters"), "", errCode, org)
		sev := eff.Severity
		if sev == "" {
			sev = SeverityMedium
		}
		text := eff.Text
		if !eff.Known {
			text = "called " + name + " on bucket " + rr.str(row, "bucket")
		}
		at, id, ip := rr.time(row, "event_time"), rr.str(row, "event_id"), rr.str(row, "source_ip")
		principal := rr.str(row, "principal")
		result := "succeeded"
		if errCode != "" {
			result = errCode
		}
		note := ""
		switch {
		case eff.Remediation && !eff.Failed && !strings.Contains(text, "restrictive change"):
			note = " This is a restrictive change (remediation), not an attack."
		case eff.Routine && !eff.Failed:
			note = " This is an AWS service's own routine change."
		}
		fs = append(fs, reports.Finding{Severity: sev, Query: "exfil/bucket_changes", Time: at, EventIDs: []string{id},
			Events: []reports.Event{{Time: at, EventID: id, Actor: principal, SourceIP: ip, Action: text + " (" + name + ")",
				Target: rr.str(row, "bucket"), Result: result, Account: rr.str(row, "account"), Region: rr.str(row, "region")}},
			Text: fmt.Sprintf("At %s, %s %s (%s, from %s).%s%s", when(at), principal, text, name,
				addressWords(map[string]string{ip: addressKind(ip, "")}), note, sc)})
	}
	return fs
}

// noReads closes a "no reads" sentence: with a filter, the filter is why;
// without one, reads may simply not be logged.
func noReads(scope string) string {
	if scope != "" {
		return scope
	}
	return " If S3 data events are not enabled for the bucket, reads would not appear in CloudTrail at all."
}

// readersWithoutEvents states the totals from exfil/top_readers and
// exfil/top_keys when the per-event query failed: the figures hold, but
// no eventID can be given for them.
func readersWithoutEvents(o ExfilOptions, runs []reports.QueryRun, buckets, sc string) []reports.Finding {
	tr, tk := find(runs, "exfil/top_readers"), find(runs, "exfil/top_keys")
	if tr == nil || tr.Err != "" {
		return nil
	}
	rr := newRowReader(colNames(tr.Columns))
	var reads, failed int64
	var bytes float64
	principals := map[string]bool{}
	for _, row := range tr.Rows {
		n := int64(rr.num(row, "reads"))
		reads += n
		failed += int64(rr.num(row, "failed_reads"))
		bytes += rr.num(row, "bytes_out")
		if n > 0 {
			principals[rr.str(row, "principal")] = true
		}
	}
	objects := "an unknown number of distinct objects (exfil/top_keys failed)"
	if tk != nil && tk.Err == "" {
		kr := newRowReader(colNames(tk.Columns))
		var keys int64
		for _, row := range tk.Rows {
			if kr.num(row, "reads") > 0 {
				keys++
			}
		}
		objects = plural(keys, "distinct object", "distinct objects")
	}
	return []reports.Finding{{Severity: SeverityInfo, Query: "exfil/top_readers",
		Text: fmt.Sprintf("Between %s and %s, %s made %s of %s (%s) from %s, and %s failed. The query of the single events failed, so these figures carry no eventIDs and the per-principal findings are missing; the exfil/top_readers sheet has them.%s",
			when(o.Window.Since), when(o.Window.Until), plural(int64(len(principals)), "principal", "principals"), plural(reads, "read", "reads"),
			objects, exactBytes(bytes), buckets, plural(failed, "read", "reads"), sc)}}
}
