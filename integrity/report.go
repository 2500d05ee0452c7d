package integrity

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Counts are the report's figures.
type Counts struct {
	Files, Verified, HashOK, Changed, Extra, NotCoveredYet, NotCovered, BadDigest int
	Digests, DigestsVerified                                                      int
	ByKind                                                                        map[Kind]int
}

// Count tallies the report.
func (r *Report) Count() Counts {
	c := Counts{Files: len(r.Files), Digests: len(r.Digests), ByKind: map[Kind]int{}}
	for _, f := range r.Files {
		switch f.Status {
		case StatusVerified:
			c.Verified++
		case StatusHashOK:
			c.HashOK++
		case StatusChanged:
			c.Changed++
		case StatusExtra:
			c.Extra++
		case StatusNotCoveredYet:
			c.NotCoveredYet++
		case StatusNotCovered:
			c.NotCovered++
		case StatusBadDigest:
			c.BadDigest++
		}
	}
	for _, d := range r.Digests {
		if strings.HasPrefix(d.Signature, "verified") {
			c.DigestsVerified++
		}
	}
	for _, f := range r.Findings {
		c.ByKind[f.Kind]++
	}
	return c
}

func n(i int) string {
	s := fmt.Sprint(i)
	if i < 0 {
		return s
	}
	var b strings.Builder
	for j, ch := range s {
		if j > 0 && (len(s)-j)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Lines are the plain sentences the report's Cover and Coverage print.
// scope names the files ("log files these findings rest on").
func (r *Report) Lines(scope string) []string {
	c := r.Count()
	var out []string
	status := "PASSED"
	if !r.OK() {
		status = "FAILED"
	}
	days := fmt.Sprintf("delivered %s to %s", day(r.FirstDay), day(r.LastDay))
	if r.SignaturesChecked {
		out = append(out, fmt.Sprintf("Log integrity %s: %s of %s %s (%s) are in a CloudTrail digest whose signature verifies.", status, n(c.Verified), n(c.Files), scope, days))
		if c.HashOK > 0 {
			out = append(out, fmt.Sprintf("%s more match their digest's hash, but that digest's signature could not be checked: %s.", n(c.HashOK), r.SignatureNote))
		}
	} else {
		out = append(out, fmt.Sprintf("Log integrity %s (hashes and chain only): %s of %s %s (%s) match the SHA-256 their CloudTrail digest lists. Signatures were NOT checked: %s.", status, n(c.HashOK+c.Verified), n(c.Files), scope, days, r.SignatureNote))
	}
	if c.NotCoveredYet > 0 {
		out = append(out, fmt.Sprintf("%s delivered in the last two hours are not yet covered: CloudTrail delivers each hour's digest later.", n(c.NotCoveredYet)))
	}
	var probs []string
	kinds := []Kind{Changed, Missing, Extra, NotCovered, ChainBreak, BadSignature, UnknownKey}
	for _, k := range kinds {
		if c.ByKind[k] > 0 {
			probs = append(probs, fmt.Sprintf("%s %s", n(c.ByKind[k]), k))
		}
	}
	if len(probs) > 0 {
		out = append(out, "Problems found: "+strings.Join(probs, ", ")+" (each is listed with its file).")
	}
	if len(r.Chains) > 0 {
		broken := 0
		from, to := r.Chains[0].From, r.Chains[0].To
		for _, ch := range r.Chains {
			if ch.Broken {
				broken++
			}
			if ch.From.Before(from) {
				from = ch.From
			}
			if ch.To.After(to) {
				to = ch.To
			}
		}
		if broken == 0 {
			out = append(out, fmt.Sprintf("Digest chain unbroken %s to %s in all %d account/region chains (%s digests).", from.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04 UTC"), len(r.Chains), n(c.Digests)))
		} else {
			out = append(out, fmt.Sprintf("Digest chain broken in %d of %d account/region chains (%s to %s).", broken, len(r.Chains), from.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04 UTC")))
		}
	} else {
		out = append(out, "No CloudTrail digest files were found for these days: log file validation may be off for the trail, or the digests were not copied.")
	}
	if c.ByKind[Gap] > 0 {
		out = append(out, fmt.Sprintf("CloudTrail restarted a digest chain %d time(s): logging or log file validation was off for a while (see the gaps listed).", c.ByKind[Gap]))
	}
	if len(r.Keys) > 1 {
		var ks []string
		for _, k := range r.Keys {
			ks = append(ks, fmt.Sprintf("%s for digests ending %s to %s", k.Fingerprint, k.First.UTC().Format("2006-01-02 15:04"), k.Last.UTC().Format("2006-01-02 15:04")))
		}
		out = append(out, "CloudTrail rotated its signing key in the window: "+strings.Join(ks, "; ")+".")
	}
	return out
}

// FindingLines are one line per finding, failing ones first.
func (r *Report) FindingLines() []string {
	fs := append([]Finding(nil), r.Findings...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Kind.Fails() && !fs[j].Kind.Fails() })
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s: %s: %s", strings.ToUpper(string(f.Kind)), f.Path, f.Detail))
	}
	return out
}
