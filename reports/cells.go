package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxCellChars is Excel's limit on the text of one cell, in UTF-16 units.
const maxCellChars = 32767

// needsEscape reports whether s holds anything XML 1.0 cannot carry: control
// characters other than tab, LF and CR, U+FFFE, U+FFFF, or bytes that are not
// UTF-8 (which includes encoded lone surrogates). The loop is the fast path
// for the millions of plain ASCII cells.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x80 || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c < 0x20 {
			return true
		}
		// Non-ASCII: fall back to the full check.
		for _, r := range s[i:] {
			if r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
				return true
			}
		}
		return !utf8.ValidString(s[i:])
	}
	return false
}

// escapeXMLUnsafe shows every character XML 1.0 forbids as a visible escape
// instead of letting the XML encoder replace it with U+FFFD: a control
// character becomes \x07, U+FFFE becomes \uFFFE, and each byte of invalid
// UTF-8 becomes \xNN. The CSV keeps the original bytes.
func escapeXMLUnsafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&sb, `\x%02X`, s[i])
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			fmt.Fprintf(&sb, `\x%02X`, r)
		case r == 0xFFFE || r == 0xFFFF:
			fmt.Fprintf(&sb, `\u%04X`, r)
		default:
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// utf16Len counts s in UTF-16 units, the unit of Excel's cell limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cellText makes s safe for a cell: escaped as above and, when still over
// Excel's limit, clipped with a visible marker saying how long the value
// was and where the whole of it is kept.
func cellText(s string, where func() string) string {
	s2 := escapeXMLUnsafe(s)
	if len(s2) <= maxCellChars || utf16Len(s2) <= maxCellChars {
		return s2
	}
	marker := "…[clipped: " + groupThousands(int64(utf8.RuneCountInString(s))) + " chars; full value in " + where() + "]"
	room := maxCellChars - utf16Len(marker)
	n := 0
	cut := 0
	for i, r := range s2 {
		w := utf16.RuneLen(r)
		if n+w > room {
			cut = i
			break
		}
		n += w
	}
	return s2[:cut] + marker
}

// groupThousands writes n with comma thousands separators.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// maxExactInt is the largest integer an Excel number (a float64) holds
// exactly; larger integers go in as text so no digit is lost.
const maxExactInt = 1 << 53

// excelDateMin and excelDateMax bound what Excel can show as a date; other
// times go in as RFC 3339 text.
var (
	excelDateMin = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)
	excelDateMax = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// csvValue is the text of one value in a results CSV. ok is false for NULL.
func csvValue(v any) (s string, ok bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case []byte:
		return string(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), true
	case bool:
		return strconv.FormatBool(v), true
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), true
	default:
		return fmt.Sprint(v), true
	}
}

// isFinite reports whether f can be stored as an Excel number.
func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
