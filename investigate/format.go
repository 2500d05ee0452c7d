package investigate

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ctathena/ctathena/reports"
)

// HumanBytes renders a byte count in decimal units, as storage bills do.
func HumanBytes(b float64) string {
	units := []string{"bytes", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return Comma(int64(b)) + " bytes"
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// Comma renders an integer with thousands separators.
func Comma(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// plural picks a singular or plural noun for n.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Comma(n) + " " + many
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Column access on engine rows by name; the investigation knows its queries'
// column names, and a missing column is a programming error caught by tests.
type rowReader struct {
	idx map[string]int
}

func newRowReader(cols []string) rowReader {
	r := rowReader{idx: map[string]int{}}
	for i, c := range cols {
		r.idx[c] = i
	}
	return r
}

func (r rowReader) str(row []any, col string) string {
	i, ok := r.idx[col]
	if !ok || row[i] == nil {
		return ""
	}
	switch v := row[i].(type) {
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func (r rowReader) num(row []any, col string) float64 {
	i, ok := r.idx[col]
	if !ok {
		return 0
	}
	switch v := row[i].(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

func (r rowReader) time(row []any, col string) time.Time {
	i, ok := r.idx[col]
	if !ok {
		return time.Time{}
	}
	if t, ok := row[i].(time.Time); ok {
		return t.UTC()
	}
	return time.Time{}
}

// moreListed is the finding that closes a capped list: how many more of
// what the query's sheet lists than the findings repeat.
func moreListed(severity, query string, n int, what string) reports.Finding {
	return reports.Finding{Severity: severity, Query: query,
		Text: fmt.Sprintf("%d more %s are listed in the %s sheet.", n, what, query)}
}
