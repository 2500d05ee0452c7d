package investigate

import (
	"fmt"
	"sort"

	"github.com/ctathena/ctathena/reports"
)

// The one severity model every pack uses. A finding's severity follows
// from what the events it rests on *did*, never from the API name alone:
// the same PutBucketPolicy is high when it grants an outside account
// s3:GetObject and low when it is CloudTrail's own log-delivery policy.
// The README's "Severity" section and the report's Glossary print
// SeverityModel; keep the three in step.
const (
	// SeverityHigh: data exposed, copied out or set to be destroyed;
	// privilege granted; logging or detection impaired; a persistent
	// identity, key or trust created for an outside or unknown actor; a
	// resource shared outside the organization (or with everyone); a query
	// whose part of the report is missing.
	SeverityHigh = "high"
	// SeverityMedium: a change that weakens security or adds access inside
	// the organization without any of the above being shown (a new user or
	// key, a policy attached that is not administrator); a secret read; an
	// attempt at a high act that failed (it shows intent, but nothing
	// changed); reads far above the principal's own baseline that stay
	// inside the organization; a call that is rare for its principal.
	SeverityMedium = "medium"
	// SeverityLow: a change with no harm shown: a restrictive change
	// (remediation, such as enabling a public access block or removing a
	// share), an AWS service's own routine change (CloudTrail's log-bucket
	// policy), a call at the principal's usual rate.
	SeverityLow = "low"
	// SeverityInfo: context: totals, coverage, what was looked for and not
	// found in logs that cover the question.
	SeverityInfo = "info"
)

// SeverityModel is the model in plain words, one line per level, for the
// report's Glossary and the README.
const SeverityModel = `high: data exposed, copied out or set to be destroyed; privilege granted; logging or detection impaired; a persistent identity, key or trust created for an outside or unknown actor; a resource shared outside the organization or made public; a query that failed, so part of the report is missing.
medium: a change that weakens security or adds access inside the organization without any of the above being shown (a new user or access key, a policy that is not administrator); a secret read; a failed attempt at a high act (intent, but nothing changed); reads far above the principal's own baseline that stay inside the organization; a call that is rare for its principal.
low: a change with no harm shown: a restrictive change (remediation, such as enabling a public access block or removing a share) is never rated as an attack; an AWS service's own routine change (such as CloudTrail's policy on its log bucket); a call at the principal's usual rate.
info: context: totals, coverage, and what was looked for and not found in days that have logs.`

// SeverityRank orders severities worst first: high 0, medium 1, low 2,
// info 3, anything else 4.
func SeverityRank(s string) int {
	switch s {
	case SeverityHigh:
		return 0
	case SeverityMedium:
		return 1
	case SeverityLow:
		return 2
	case SeverityInfo:
		return 3
	}
	return 4
}

// loudness is SeverityRank turned round for comparisons that read "louder
// than": high 4, medium 3, low 2, info 1, anything else 0.
func loudness(s string) int { return 4 - SeverityRank(s) }

// lowerSeverity is one level below s (a failed attempt at s), never below
// low.
func lowerSeverity(s string) string {
	switch s {
	case SeverityHigh:
		return SeverityMedium
	case SeverityMedium, SeverityLow:
		return SeverityLow
	}
	return s
}

// SortFindings orders findings worst first: by severity, then by the time
// of the act (findings without a time after those with one), keeping the
// packs' own order among equals.
func SortFindings(fs []reports.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Time.IsZero() != b.Time.IsZero() {
			return !a.Time.IsZero()
		}
		return a.Time.Before(b.Time)
	})
}

// failedQueryFindings states each failed query as a high finding: its part
// of the report is missing, which is never an absence of findings.
func failedQueryFindings(runs []reports.QueryRun) []reports.Finding {
	var fs []reports.Finding
	for _, r := range runs {
		if r.Err != "" {
			fs = append(fs, reports.Finding{Severity: SeverityHigh, Query: r.Name,
				Text: fmt.Sprintf("Query %s failed, so its part of this report is missing: %s", r.Name, r.Err)})
		}
	}
	return fs
}
