package athena

import (
	"regexp"
	"strings"
)

// Scan is one constrained scan of a table in a query's text, as the
// catalog renders a scoped table reference (sql.RenderScoped):
//
//	SELECT * FROM "db"."t" WHERE account IN (?, …) AND region IN (?, …) AND day BETWEEN ? AND ?
//
// with its values read from the query's arguments. What it projects is
// the product of its accounts, regions and days.
type Scan struct {
	Table             string
	Accounts, Regions []string
	DayFrom, DayTo    string
}

// Partitions is how many partitions the scan projects.
func (s Scan) Partitions() int64 {
	return int64(len(s.Accounts)) * int64(len(s.Regions)) * int64(len(daysBetween(s.DayFrom, s.DayTo)))
}

var scanRe = regexp.MustCompile(`SELECT \* FROM ("[^"]+"(?:\."[^"]+")*) WHERE account IN \(([?, ]+)\) AND region IN \(([?, ]+)\) AND day BETWEEN \? AND \?`)

// ParseScans finds the constrained scans in a query's text and binds them
// to its arguments: the i-th `?` of the text (outside literals, quoted
// identifiers and comments) is args[i]. A query whose tables are read
// whole has none.
func ParseScans(sql string, args []any) []Scan {
	marks := placeholders(sql)
	at := func(off int) int { // index of the first placeholder at or after off
		lo, hi := 0, len(marks)
		for lo < hi {
			m := (lo + hi) / 2
			if marks[m] < off {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	}
	str := func(i int) string {
		if i < len(args) {
			if s, ok := args[i].(string); ok {
				return s
			}
		}
		return ""
	}
	var out []Scan
	for _, m := range scanRe.FindAllStringSubmatchIndex(sql, -1) {
		i := at(m[0])
		na := strings.Count(sql[m[4]:m[5]], "?")
		nr := strings.Count(sql[m[6]:m[7]], "?")
		if i+na+nr+2 > len(args) {
			continue
		}
		s := Scan{Table: sql[m[2]:m[3]]}
		for k := 0; k < na; k++ {
			s.Accounts = append(s.Accounts, str(i+k))
		}
		for k := 0; k < nr; k++ {
			s.Regions = append(s.Regions, str(i+na+k))
		}
		s.DayFrom, s.DayTo = str(i+na+nr), str(i+na+nr+1)
		out = append(out, s)
	}
	return out
}

// placeholders are the byte offsets of the `?` placeholders in sql.
func placeholders(sql string) []int {
	var out []int
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 3
		case c == '?':
			out = append(out, i)
		}
	}
	return out
}
