package athena

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Athena's limits on StartQueryExecution (API reference): each member of
// ExecutionParameters is 1 to 1,024 characters, and QueryString at most
// 262,144 bytes. The catalog renders every query within them (sql.Render
// splits long values and gives each list element its own placeholder); the
// engine checks again, so a query that is over is refused here with a clear
// error instead of by Athena.
const (
	MaxParameterLen = 1024
	MaxQueryBytes   = 262144
)

// Parameters formats positional arguments as the Athena literals that
// ExecutionParameters expects: strings single-quoted with embedded quotes
// doubled, int64 as plain digits. Anything else is refused, since the
// catalog promises only those two types and a silent fmt.Sprint could turn a
// value into SQL Athena would read differently. So is a literal longer than
// MaxParameterLen characters, counted as a Java service counts them (UTF-16
// code units). A nil slice is returned for no arguments because Athena
// rejects an empty ExecutionParameters list.
func Parameters(args []any) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if !utf8.ValidString(v) {
				return nil, fmt.Errorf("argument %d is not valid UTF-8", i+1)
			}
			if strings.ContainsRune(v, 0) {
				return nil, fmt.Errorf("argument %d contains a NUL character", i+1)
			}
			out[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case int64:
			out[i] = strconv.FormatInt(v, 10)
		default:
			return nil, fmt.Errorf("argument %d has type %T; only string and int64 are allowed", i+1, a)
		}
		if n := sentLen(out[i]); n > MaxParameterLen {
			return nil, fmt.Errorf("argument %d is %d characters as sent; Athena takes at most %d", i+1, n, MaxParameterLen)
		}
	}
	return out, nil
}

// CheckQuery refuses query text Athena would refuse for its length.
func CheckQuery(sql string) error {
	if len(sql) > MaxQueryBytes {
		return fmt.Errorf("query text is %d bytes; Athena takes at most %d", len(sql), MaxQueryBytes)
	}
	return nil
}

func sentLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
