package athena

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parameters formats positional arguments as the Athena literals that
// ExecutionParameters expects: strings single-quoted with embedded quotes
// doubled, int64 as plain digits. Anything else is refused, since the
// catalog promises only those two types and a silent fmt.Sprint could turn a
// value into SQL Athena would read differently. A nil slice is returned for
// no arguments because Athena rejects an empty ExecutionParameters list.
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
	}
	return out, nil
}
