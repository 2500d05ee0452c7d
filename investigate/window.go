package investigate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is the half-open time range [Since, Until) an investigation looks at.
type Window struct {
	Since, Until time.Time
}

// ParseWindow reads --since and --until as PRODUCT.md defines them: RFC 3339,
// YYYY-MM-DD (UTC midnight) or a duration back from now (72h, 14d). Until
// defaults to now; since to 7 days before until. now is passed in so that
// only cmd/ reads the clock.
func ParseWindow(since, until string, now time.Time) (Window, error) {
	now = now.UTC().Truncate(time.Second)
	w := Window{Until: now}
	if until != "" {
		t, err := ParseTime(until, now)
		if err != nil {
			return w, fmt.Errorf("--until: %w", err)
		}
		w.Until = t
	}
	w.Since = w.Until.Add(-7 * 24 * time.Hour)
	if since != "" {
		t, err := ParseTime(since, now)
		if err != nil {
			return w, fmt.Errorf("--since: %w", err)
		}
		w.Since = t
	}
	if !w.Since.Before(w.Until) {
		return w, fmt.Errorf("the window is empty: --since %s is not before --until %s", w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339))
	}
	return w, nil
}

// ParseTime reads one time value: RFC 3339, YYYY-MM-DD, or a duration back
// from now with units s, m, h or d.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if d, err := ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-11-01T08:00:00Z), a day (2026-11-01) or a duration back from now (72h, 14d)", s)
}

// ParseDuration accepts Go durations plus a day unit ("14d").
func ParseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("%q is not a number of days such as 14d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 72h or 14d", s)
	}
	return d, nil
}

// Days returns the partition day range that covers [from, to): folder dates
// are delivery dates, so the range is padded by a day on each side.
func Days(from, to time.Time) (string, string) {
	const layout = "2006/01/02"
	return from.UTC().AddDate(0, 0, -1).Format(layout), to.UTC().AddDate(0, 0, 1).Format(layout)
}

// Stamp formats a time the way CloudTrail writes eventTime.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
