package reports

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// buckets are the buckets investigated: as the investigation counted them,
// or else named by the command's parameters with nothing counted.
func (w *writer) buckets() []BucketEvents {
	if len(w.b.Buckets) > 0 {
		return w.b.Buckets
	}
	var out []BucketEvents
	for _, p := range w.b.Params {
		if p.Name != "bucket" && p.Name != "buckets" {
			continue
		}
		for _, b := range strings.Split(p.Value, ",") {
			if b = strings.TrimSpace(b); b != "" {
				out = append(out, BucketEvents{Name: b})
			}
		}
	}
	return out
}

// writeLimitations says what the report cannot see.
func (w *writer) writeLimitations(f *excelize.File, st *styles) error {
	b := w.b
	c := b.Coverage
	g := w.newGrid(f, st, sheetLimitations, []float64{30, 86}, []bool{true, true})
	g.title("Limitations", "What this report cannot see, and how to read its figures. Each line applies to every finding unless it names one.")
	g.header("Topic", "What it means for this report")
	head := g.row
	item := func(topic, what string) { g.line(styled{topic, st.bold}, what) }
	status, _ := w.statusLine()
	item("Completeness", status)
	for _, bk := range w.buckets() {
		topic := "S3 data events: " + bk.Name
		switch {
		case !bk.Counted:
			item(topic, fmt.Sprintf("This report could not count the data events of bucket %s, so it cannot say whether S3 data event logging was enabled for it. "+
				"Without data events, reads of its objects are not in CloudTrail: the absence of reads here is not evidence that nothing was read.", bk.Name))
		case bk.DataEvents == 0:
			item(topic, fmt.Sprintf("No S3 data event for bucket %s appears in the window. Either data event logging was not enabled for this bucket (it is off by default) "+
				"or nothing touched it: the absence of reads here is not evidence that nothing was read.", bk.Name))
		default:
			how := ""
			if bk.How != "" {
				how = " (" + bk.How + ")"
			}
			item(topic, fmt.Sprintf("%s data %s for bucket %s appear in the window%s, so S3 data events appear enabled for it. "+
				"Data event logging can be limited to some operations or key prefixes by the trail's selectors; reads outside them would not appear.",
				groupThousands(bk.DataEvents), plural(int(min(bk.DataEvents, 2)), "event", "events"), bk.Name, how))
		}
	}
	item("Delivery delay", "CloudTrail delivers events to its bucket about 5 minutes after the call on average, and sometimes later. "+
		"Events from shortly before the logs were collected may be missing; the log folders are named by delivery day, so the queries also read the days either side of the window and then keep only events whose own time falls in it.")
	item("Times", "Every time in this report is UTC (Coordinated Universal Time), as CloudTrail records it; local time may differ by several hours, and the calendar day too.")
	item("Units", "1 KB = 1,000 bytes, 1 MB = 10^6 bytes, 1 GB = 10^9 bytes (decimal units). Bytes read are what S3 reports as sent (bytesTransferredOut), which can include retried or partial transfers.")
	dup := "CloudTrail sometimes delivers the same event twice. Counts and byte sums are over distinct event IDs: each event is counted once"
	if c.DuplicateEvents > 0 {
		dup += fmt.Sprintf(" (%s duplicate deliveries were found in these logs and removed from the figures)", groupThousands(c.DuplicateEvents))
	}
	item("Duplicates removed", dup+".")
	item("Not in CloudTrail", "CloudTrail records calls to AWS APIs. It does not record network traffic (VPC Flow Logs), requests logged only in S3 server access logs, "+
		"activity inside servers, containers or databases (commands run, files copied over SSH), sign-ins to applications, or data events that were not enabled. None of these were examined.")
	item("Accounts and regions", fmt.Sprintf("Only the logs of %d %s (%s) and %d %s (%s) were examined; activity in other accounts or regions, or in logs not collected, is not seen.",
		len(c.Accounts), plural(len(c.Accounts), "account", "accounts"), listOrNone(c.Accounts, 6), len(c.Regions), plural(len(c.Regions), "region", "regions"), listOrNone(c.Regions, 6)))
	if days := w.missingInWindow(); len(days) > 0 {
		n := len(days)
		item("Days with no logs", fmt.Sprintf("%d %s of the window %s no log file at all: %s. Activity on those days is not seen.", n, plural(n, "day", "days"), plural(n, "has", "have"), listOrNone(days, 10)))
	}
	if n, in := len(c.MissingDays), len(w.missingInWindow()); n > in {
		item("Days with no logs before the window", fmt.Sprintf("%d days read for comparison (the baseline before the window) have no log file; the baseline figures cover only the days with logs.", n-in))
	}
	if n := len(c.Skipped); n > 0 {
		item("Unreadable files", fmt.Sprintf("%s log %s could not be read; their events are not in the figures (each is named with the reason on the Coverage sheet).", groupThousands(int64(n)), plural(n, "file", "files")))
	}
	if c.EventsNotLoaded > 0 {
		item("Events not loaded", fmt.Sprintf("%s events in the window's files are of kinds this command's queries never read, so they were not loaded (the rule is on the Coverage sheet); they cannot change these findings.", groupThousands(c.EventsNotLoaded)))
	}
	if len(b.Integrity) == 0 {
		item("Log integrity", "log integrity not checked: no digest files were validated for this report. CloudTrail's digest files can show that log files were not changed or deleted after delivery; without that check this report cannot show it.")
	} else {
		for i, l := range b.Integrity {
			item(label(i, "Log integrity"), l)
		}
	}
	item("Findings are leads", "A finding says what the events show. Whether an act was authorised, and who was at the keyboard, are not in the logs: an access key or role session may have been used by someone other than its owner.")
	for i, l := range b.Limitations {
		item(label(i, "Also"), l)
	}
	for i, n := range b.Notes {
		item(label(i, "Notes from this run"), n)
	}
	return g.done("write limitations sheet", head, head)
}

// glossary defines the terms the report uses; the severities follow the
// model the findings are rated by (investigate/severity.go).
var glossary = [][2]string{
	{"Principal", "The identity that made a call: an IAM user, an IAM role session, an AWS service, the account's root user, or \"anonymous\" (no credentials at all)."},
	{"ARN", "Amazon Resource Name: the unique name of an identity or resource, such as arn:aws:iam::111122223333:user/alice (user alice in account 111122223333)."},
	{"Account", "An AWS account, named by its 12-digit id. An organization groups several accounts; a reader from an account outside it is an outsider."},
	{"Access key", "A credential that signs API calls. Ids starting AKIA are long-term keys of an IAM user; ids starting ASIA are temporary keys of a session."},
	{"Session", "Temporary credentials obtained by assuming a role or calling GetSessionToken; the session's ARN names the role and the session name (often the person or program)."},
	{"Management event", "A call that reads or changes the configuration of AWS resources (create a user, change a bucket policy). CloudTrail records these by default."},
	{"Data event", "A call on the data inside a resource, such as reading or writing an S3 object. CloudTrail records data events only where the trail was configured to."},
	{"Event ID", "CloudTrail's unique id of one recorded call (eventID). Every finding lists the event IDs it rests on; the Timeline shows each one."},
	{"Source IP address", "The address the call came from, as AWS saw it; an AWS service acting for a user shows its own name instead."},
	{"User agent", "The client software that made the call, as the caller reported it (the caller can set it to anything)."},
	{"Baseline", "The same principal's activity in the days before the window, to show how unusual the window's activity is."},
	{"Severity: high", "Data exposed or copied out, privilege granted, logging or detection impaired, persistence for an outside or unknown actor, or a resource shared outside the organization."},
	{"Severity: medium", "Activity that is unusual for the principal or that could prepare an attack, but that by itself neither exposes data nor grants access."},
	{"Severity: low", "Routine activity worth knowing about, rare for the principal."},
	{"Severity: info", "Context: totals and facts that help read the other findings. A restrictive change (remediation) is never rated as an attack."},
	{"ATT&CK", "MITRE ATT&CK, a public catalog of attacker behaviour: tactics (TA0001 ...) say why, techniques (T1530 ...) say how. Ids come from the TrailDiscover catalog."},
	{"UTC", "Coordinated Universal Time; every time in this report."},
	{"SHA-256", "A fingerprint of a file's bytes. The same file always gives the same value; any change to the file gives a different one."},
	{"Evidence bundle", "This report with the raw results (CSV), the exact queries (SQL), the manifest and SHA256SUMS; `ctathena verify` checks every hash."},
}

func (w *writer) writeGlossary(f *excelize.File, st *styles) error {
	g := w.newGrid(f, st, sheetGlossary, []float64{24, 90}, []bool{true, true})
	g.title("Glossary", "The terms this report uses, and the severity model its findings are rated by.")
	g.header("Term", "Meaning")
	head := g.row
	for _, e := range glossary {
		g.line(styled{e[0], st.bold}, e[1])
	}
	return g.done("write glossary sheet", head, head)
}
