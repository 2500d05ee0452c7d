package sigma

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pack is the catalog pack the translated rules belong to.
const Pack = "sigma"

// MaxSentLen is Athena's limit on one ExecutionParameter as sent: the
// value quoted, its quotes doubled, counted in UTF-16 code units.
const MaxSentLen = 1024

// Query is one rule translated into a catalog query file.
type Query struct {
	Rule *Rule
	// Name is the catalog name, "sigma/<slug>"; File its path in the
	// catalog, "sigma/<slug>.sql"; Text the whole file (header and SQL).
	Name, File, Text string
	// Values are the rule's values by parameter name: what the caller
	// passes when rendering, beside the window parameters.
	Values map[string]string
	// Severity is the rule's level on the report's scale: critical and
	// high are high, medium is medium, low is low, informational is info.
	Severity string
	// Attack are the ATT&CK ids of the rule's tags (TAxxxx, Txxxx.xxx).
	Attack []string
	// Summary is the query's one-line summary: title, id, level, author,
	// licence and source, for the Queries sheet.
	Summary string
}

// WindowParams are the parameters every Sigma query takes besides the
// rule's values, as every hunt query does.
var WindowParams = []string{"since", "until", "day_from", "day_to"}

// Severity maps a Sigma level to the report's severity. A rule without a
// level (the field is optional) is rated medium.
func Severity(level string) string {
	switch strings.ToLower(level) {
	case "critical", "high":
		return "high"
	case "low":
		return "low"
	case "informational":
		return "info"
	}
	return "medium"
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns a rule file's name into the name part of a catalog query.
func Slug(file string) string {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), path.Ext(file))
	s := strings.Trim(slugRe.ReplaceAllString(strings.ToLower(base), "_"), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "rule_" + s
	}
	if len(s) > 80 {
		s = strings.TrimRight(s[:80], "_")
	}
	return s
}

// Translate turns one rule into a catalog query named sigma/<slug>. The
// error says why a rule cannot be translated; it is meant to be listed.
func Translate(r *Rule, slug string) (*Query, error) {
	if r.Product != "aws" || r.Service != "cloudtrail" {
		return nil, fmt.Errorf("not an AWS CloudTrail rule (logsource product %q, service %q; want aws, cloudtrail)", r.Product, r.Service)
	}
	if r.Category != "" {
		return nil, fmt.Errorf("logsource category %q is not part of CloudTrail's log source", r.Category)
	}
	det := r.detection
	b := &builder{}
	idents := map[string]*yaml.Node{}
	var order []string
	var cond *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i].Value, det.Content[i+1]
		switch k {
		case "condition":
			cond = v
		case "timeframe":
			return nil, errors.New("timeframe (events counted over time) is not supported")
		default:
			idents[k] = v
			order = append(order, k)
		}
	}
	if cond == nil {
		return nil, errors.New("the detection has no condition")
	}
	var conds []string
	switch cond.Kind {
	case yaml.ScalarNode:
		conds = []string{cond.Value}
	case yaml.SequenceNode:
		for _, c := range cond.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errors.New("the condition list holds something other than text")
			}
			conds = append(conds, c.Value)
		}
	default:
		return nil, errors.New("the condition is not text")
	}
	compiled := map[string]string{}
	compile := func(name string) (string, error) {
		if s, ok := compiled[name]; ok {
			return s, nil
		}
		s, err := b.search(name, idents[name])
		if err != nil {
			return "", err
		}
		compiled[name] = s
		return s, nil
	}
	var parts []string
	for _, c := range conds {
		e, err := parseCondition(c, order)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", c, err)
		}
		s, err := e.sql(compile)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	where := strings.Join(parts, " OR ")
	if len(parts) > 1 {
		where = "(" + where + ")"
	}
	q := &Query{Rule: r, Name: Pack + "/" + slug, File: Pack + "/" + slug + ".sql", Values: map[string]string{},
		Severity: Severity(r.Level), Attack: attackIDs(r.Tags)}
	q.Summary = summary(r)
	var h strings.Builder
	fmt.Fprintf(&h, "-- name: %s\n-- summary: %s\n", q.Name, q.Summary)
	h.WriteString("-- param: since      timestamp  start of the window (inclusive)\n")
	h.WriteString("-- param: until      timestamp  end of the window (exclusive)\n")
	h.WriteString("-- param: day_from   day        first partition day (window start less one day)\n")
	h.WriteString("-- param: day_to     day        last partition day (window end plus one day)\n")
	for _, p := range b.params {
		fmt.Fprintf(&h, "-- param: %s text optional value from the rule for %s\n", p.name, p.field)
		q.Values[p.name] = p.value
	}
	h.WriteString("-- table: management\n")
	if len(q.Attack) > 0 {
		fmt.Fprintf(&h, "-- attack: %s\n", strings.Join(q.Attack, " "))
	}
	// Two scans (see MaxRows): the first keeps only each matching event's
	// id and first time and lists the earliest MaxRows; the second reads
	// the columns of those events alone. One scan grouping every match with
	// all its columns held them all: SigmaHQ's aws_sts_assumerole_misuse
	// (202,641 matches on the 30-day benchmark tree) did not fit DuckDB's
	// 160 MB, which then stayed raised to 320 MB for the rest of the hunt;
	// the sigma pack's peak RSS went from 452 to 358 MiB, that rule from
	// 1.76 s to 0.56 s, with the same CSVs byte for byte.
	h.WriteString(`WITH matched AS (
  SELECT eventid, from_iso8601_timestamp(min(eventtime)) AS first_time
  FROM {{management}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND `)
	h.WriteString(where)
	fmt.Fprintf(&h, `
  GROUP BY eventid
), listed AS (
  SELECT eventid AS listed_id, count(*) OVER () AS matched_events
  FROM matched
  ORDER BY first_time, eventid
  LIMIT %d
)
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.roleName'),
                      json_extract_scalar(requestparameters, '$.bucketName'), json_extract_scalar(requestparameters, '$.name'),
                      json_extract_scalar(requestparameters, '$.functionName'), json_extract_scalar(requestparameters, '$.instanceId'),
                      json_extract_scalar(requestparameters, '$.groupId'), json_extract_scalar(requestparameters, '$.snapshotId'),
                      json_extract_scalar(requestparameters, '$.dBInstanceIdentifier'), json_extract_scalar(requestparameters, '$.keyId'))) AS target,
  min(requestparameters) AS request_parameters,
  eventid AS event_id,
  min(matched_events) AS matched_events
FROM {{management}} JOIN listed ON eventid = listed_id
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND `, MaxRows)
	h.WriteString(where)
	fmt.Fprintf(&h, "\nGROUP BY eventid\nORDER BY event_time, event_id\nLIMIT %d\n", MaxRows)
	q.Text = h.String()
	return q, nil
}

// MaxRows is how many matching events one rule's query lists, earliest
// first. A rule that matches a large share of all events (SigmaHQ's
// aws_sts_assumerole_misuse matched 202,641 of 514,243 events of the 30-day
// benchmark trail) would otherwise hold every match in memory and on its
// sheet; matched_events still counts every match, so the report says how
// many were not listed.
const MaxRows = 10000

// summary is one line: it sits in a `-- summary:` header, so any line
// break or control character of the rule's text becomes a space.
func summary(r *Rule) string {
	lic := r.License
	if lic == "" && r.Bundled {
		lic = BundledLicense
	}
	if lic == "" {
		lic = "not stated in the rule"
	}
	author := r.Author
	if author == "" {
		author = "not stated in the rule"
	}
	s := fmt.Sprintf("Sigma rule %q (id %s, level %s; author %s; licence %s; source %s)",
		r.Title, orDash(r.ID), orDash(r.Level), author, lic, Source(r))
	return strings.Join(strings.FieldsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }), " ")
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// tacticIDs are the ATT&CK tactics by the names Sigma tags use.
var tacticIDs = map[string]string{
	"initial-access": "TA0001", "execution": "TA0002", "persistence": "TA0003",
	"privilege-escalation": "TA0004", "defense-evasion": "TA0005", "credential-access": "TA0006",
	"discovery": "TA0007", "lateral-movement": "TA0008", "collection": "TA0009",
	"exfiltration": "TA0010", "command-and-control": "TA0011", "impact": "TA0040",
	"resource-development": "TA0042", "reconnaissance": "TA0043",
}

var techniqueTagRe = regexp.MustCompile(`^attack\.(t\d{4}(\.\d{3})?)$`)

// attackIDs keeps the ATT&CK ids of a rule's tags that the catalog's
// attack header accepts; other tags (groups, software, tactics this table
// does not name) stay in Rule.Tags.
func attackIDs(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		id := ""
		if m := techniqueTagRe.FindStringSubmatch(t); m != nil {
			id = strings.ToUpper(m[1])
		} else if n, ok := strings.CutPrefix(t, "attack."); ok {
			id = tacticIDs[n]
		}
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
