package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEcho is how much of a value an error message repeats.
const maxEcho = 80

// checkArgs refuses any argument holding a control character before
// anything parses it: a newline in --bucket would otherwise be cut by the
// comma-list parser and the rest of the value silently dropped. The error
// names the flag the value belongs to.
func checkArgs(args []string) error {
	for i, a := range args {
		name, value := "", a
		if strings.HasPrefix(a, "--") {
			if k, v, ok := strings.Cut(a, "="); ok {
				name, value = k, v
			} else {
				continue // a flag name alone; its value is the next argument
			}
		} else if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") {
			name = args[i-1]
		}
		at := strings.IndexFunc(value, unicode.IsControl)
		if at < 0 {
			continue
		}
		r, _ := utf8.DecodeRuneInString(value[at:])
		what := "argument " + echo(value)
		if name != "" {
			what = name + " " + echo(value)
		}
		return fmt.Errorf("%s: the value holds a control character (%U at byte %d); values are taken exactly, so remove it and run again", what, r, at+1)
	}
	return nil
}

// echo quotes a value for an error message, clipped to maxEcho characters.
func echo(v string) string {
	return fmt.Sprintf("%q", clipValue(v))
}

func clipValue(v string) string {
	if utf8.RuneCountInString(v) <= maxEcho {
		return v
	}
	r := []rune(v)
	return string(r[:maxEcho]) + fmt.Sprintf("… (%d characters in all)", len(r))
}

// capValues clips every long argument value an error message repeats,
// whoever wrote the message, so a 100,000-character value is not echoed
// back whole.
func capValues(msg string, args []string) string {
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			a = v
		}
		if utf8.RuneCountInString(a) <= maxEcho {
			continue
		}
		short := clipValue(a)
		msg = strings.ReplaceAll(msg, fmt.Sprintf("%q", a), fmt.Sprintf("%q", short))
		msg = strings.ReplaceAll(msg, a, short)
	}
	return msg
}

// interruptMessage is what Ctrl-C prints: how far the run got, and that
// no bundle was written.
func interruptMessage(g *globals) string {
	planned, done := g.tally.Planned.Load(), g.tally.Finished.Load()
	if planned == 0 {
		return "interrupted before any query ran; nothing was written"
	}
	return fmt.Sprintf("interrupted: %d of %d queries had finished; nothing was written (run the command again for the report)", done, planned)
}
