package reports

import (
	"strings"

	"github.com/ctathena/ctathena/engine"
)

// Query sheets show human column headings; the CSV keeps the engine's
// column names, and the Queries sheet maps one to the other.
var headings = map[string]string{
	"principal":                "Principal (who)",
	"principals":               "Principals",
	"actor":                    "Principal (who)",
	"source_ip":                "Source IP address",
	"source_ips":               "Source IP addresses",
	"ip":                       "IP address",
	"sourceipaddress":          "Source IP address",
	"user_agent":               "User agent (client software)",
	"useragent":                "User agent (client software)",
	"objects":                  "Objects read (reads)",
	"reads":                    "Reads",
	"readers":                  "Readers",
	"distinct_keys":            "Distinct objects",
	"bytes_out":                "Bytes out (downloaded)",
	"bytes_in":                 "Bytes in (uploaded)",
	"failed_reads":             "Failed reads",
	"first_seen":               "First seen (UTC)",
	"last_seen":                "Last seen (UTC)",
	"window_bytes":             "Bytes read in the window",
	"window_objects":           "Objects read in the window",
	"baseline_bytes":           "Bytes read in the baseline",
	"baseline_objects":         "Objects read in the baseline",
	"baseline_objects_per_day": "Baseline objects a day",
	"baseline_bytes_per_day":   "Baseline bytes a day",
	"baseline_active_days":     "Baseline days with reads",
	"event_time":               "Time (UTC)",
	"eventtime":                "Time (UTC)",
	"hour":                     "Hour (UTC)",
	"hour_utc":                 "Hour (UTC)",
	"day":                      "Day (UTC)",
	"event_name":               "Action (API call)",
	"eventname":                "Action (API call)",
	"event_source":             "AWS service",
	"eventsource":              "AWS service",
	"event_id":                 "Event ID",
	"eventid":                  "Event ID",
	"event_ids":                "Event IDs",
	"events":                   "Events",
	"mutating":                 "Changing calls",
	"errors":                   "Failed calls",
	"error_code":               "Error code",
	"errorcode":                "Error code",
	"error_message":            "Error message",
	"errormessage":             "Error message",
	"account":                  "Account",
	"account_id":               "Account",
	"recipientaccountid":       "Account",
	"region":                   "Region",
	"awsregion":                "Region",
	"bucket":                   "Bucket",
	"object_key":               "Object key",
	"key":                      "Object key",
	"request_parameters":       "Request parameters",
	"requestparameters":        "Request parameters",
	"response_elements":        "Response",
	"access_key":               "Access key ID",
	"access_key_id":            "Access key ID",
	"read_only":                "Read-only call",
	"kind":                     "Kind",
	"attack":                   "ATT&CK",
	"tactic":                   "ATT&CK tactic",
	"technique":                "ATT&CK technique",
	"country":                  "Country",
	"city":                     "City",
	"asn":                      "Network (ASN)",
	"as_org":                   "Network owner",
	"pack":                     "Detection pack",
	"hits":                     "Hits",
	"rule":                     "Rule",
}

// heading is a column's human heading.
func heading(c engine.Column) string {
	name := strings.ToLower(c.Name)
	if h, ok := headings[name]; ok {
		return h
	}
	// Geo columns are named after the address column they describe.
	for _, suf := range []string{"_country", "_city", "_asn", "_as_org"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			return headings[strings.TrimPrefix(suf, "_")] + " of " + strings.ToLower(heading(engine.Column{Name: base}))
		}
	}
	h := strings.TrimSpace(strings.ReplaceAll(c.Name, "_", " "))
	if h == "" {
		return c.Name
	}
	h = strings.ToUpper(h[:1]) + h[1:]
	if c.Type == engine.Timestamp && !strings.Contains(strings.ToLower(h), "utc") {
		h += " (UTC)"
	}
	return h
}

// queryTitle names a query sheet: "Exfil: top readers".
func queryTitle(name string) string {
	pack, rest, ok := strings.Cut(name, "/")
	if !ok {
		rest, pack = name, ""
	}
	rest = strings.ReplaceAll(rest, "_", " ")
	if pack == "" {
		return rest
	}
	return strings.ToUpper(pack[:1]) + pack[1:] + ": " + rest
}
