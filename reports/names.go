package reports

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// fileBase maps a query name to a file name stem: "exfil/top_readers"
// becomes "exfil__top_readers". Anything but ASCII letters, digits, '-' and '_'
// becomes '_', so a name can never climb out of its folder. Names are
// made unique in order of appearance (the same catalog query can run several
// times, e.g. one identity pivot per round) by appending "__2", "__3", ...
func fileBases(names []string) []string {
	out := make([]string, len(names))
	used := map[string]bool{}
	for i, n := range names {
		var sb strings.Builder
		for _, r := range n {
			switch {
			case r == '/':
				sb.WriteString("__")
			case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'):
				sb.WriteRune(r)
			default:
				sb.WriteByte('_')
			}
		}
		base := sb.String()
		if base == "" {
			base = "query"
		}
		cand := base
		for k := 2; used[strings.ToLower(cand)]; k++ {
			cand = base + "__" + strconv.Itoa(k)
		}
		used[strings.ToLower(cand)] = true
		out[i] = cand
	}
	return out
}

// maxSheetName is Excel's limit on a sheet name, in characters.
const maxSheetName = 31

// sheetNamer hands out sheet names Excel accepts: at most 31 characters, none
// of []:*?/\, no apostrophe (Excel forbids one at either end and formulas
// quoting gets harder), unique ignoring case, and not one of the fixed sheets.
type sheetNamer struct{ used map[string]bool }

func newSheetNamer(reserved ...string) *sheetNamer {
	n := &sheetNamer{used: map[string]bool{"history": true}}
	for _, r := range reserved {
		n.used[strings.ToLower(r)] = true
	}
	return n
}

func cleanSheetName(name string) string {
	var sb strings.Builder
	for _, r := range name {
		switch {
		case r == '/':
			sb.WriteByte('.')
		case strings.ContainsRune(`[]:*?\'`, r), r < 0x20, r == 0x7f, r == utf8.RuneError, r >= 0xFFFE:
			sb.WriteByte('_')
		default:
			sb.WriteRune(r)
		}
	}
	s := strings.TrimSpace(sb.String())
	if s == "" {
		s = "query"
	}
	return s
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// name returns the sheet name for part (1-based) of a query's sheets.
func (n *sheetNamer) name(query string, part int) string {
	base := cleanSheetName(query)
	suffix := ""
	if part > 1 {
		suffix = " (" + strconv.Itoa(part) + ")"
	}
	cand := truncRunes(base, maxSheetName-len(suffix)) + suffix
	for k := 2; n.used[strings.ToLower(cand)]; k++ {
		tail := suffix + "~" + strconv.Itoa(k)
		cand = truncRunes(base, maxSheetName-len(tail)) + tail
	}
	n.used[strings.ToLower(cand)] = true
	return cand
}
