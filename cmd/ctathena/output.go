package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/ctathena/ctathena/investigate"
	"github.com/ctathena/ctathena/reports"
)

// printResults writes the command's results to stdout: the findings and the
// primary query's rows as a table, CSV (primary rows only), or JSON (every
// query). incomplete is why the answer is not complete (empty: it is); the
// JSON carries it, so a script reading stdout cannot take a partial answer
// for a clean one.
func (g *globals) printResults(r run, out *investigate.Outcome, incomplete []string) error {
	switch g.format {
	case "json":
		return g.printJSON(r, out, incomplete)
	case "csv":
		q := primary(r, out)
		if q == nil {
			return nil
		}
		w := csv.NewWriter(g.stdout)
		var head []string
		for _, c := range q.Columns {
			head = append(head, c.Name)
		}
		_ = w.Write(head)
		for _, row := range q.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cell(v)
			}
			_ = w.Write(rec)
		}
		w.Flush()
		return w.Error()
	}
	for _, f := range out.Findings {
		fmt.Fprintf(g.stdout, "[%s] %s\n", f.Severity, printable(f.Text))
	}
	q := primary(r, out)
	if q == nil || len(q.Rows) == 0 {
		return nil
	}
	fmt.Fprintf(g.stdout, "\n%s (%d rows; all rows in the bundle)\n", q.Name, len(q.Rows))
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	var head []string
	for _, c := range q.Columns {
		head = append(head, strings.ToUpper(c.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i, row := range q.Rows {
		if i == 20 {
			break
		}
		var rec []string
		for _, v := range row {
			rec = append(rec, clip(printable(cell(v)), 60))
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t"))
	}
	return tw.Flush()
}

// printJSON writes every query's rows as JSON, one row at a time: building
// the whole document first held a copy of every row (76 MiB for hunt over
// 500,000 events) beside the results at the end of the run.
func (g *globals) printJSON(r run, out *investigate.Outcome, incomplete []string) error {
	w := bufio.NewWriterSize(g.stdout, 64<<10)
	var err error
	put := func(s string) {
		if err == nil {
			_, err = w.WriteString(s)
		}
	}
	val := func(v any, indent string) string {
		b, e := json.MarshalIndent(v, indent, "  ")
		if e != nil && err == nil {
			err = e
		}
		return string(b)
	}
	// list lays out n items as MarshalIndent lays out a list at indent
	// (items one level in), writing item i with item(i).
	list := func(n int, indent string, item func(i int)) {
		put("[")
		for i := range n {
			if i > 0 {
				put(",")
			}
			put("\n" + indent + "  ")
			item(i)
		}
		if n > 0 {
			put("\n" + indent)
		}
		put("]")
	}
	if incomplete == nil {
		incomplete = []string{}
	}
	put("{\n  \"command\": " + val(r.command, "") + ",\n  \"since\": " + val(investigate.Stamp(r.window.Since), "") +
		",\n  \"until\": " + val(investigate.Stamp(r.window.Until), "") +
		",\n  \"complete\": " + val(len(incomplete) == 0, "") + ",\n  \"incomplete\": " + val(incomplete, "  ") +
		",\n  \"findings\": ")
	// One finding at a time too: the whole list at once held 45 MB of Go
	// heap for hunt over the 500k tree (its findings' events), the peak of
	// the run's report phase.
	list(len(out.Findings), "  ", func(i int) { put(val(out.Findings[i], "    ")) })
	put(",\n  \"queries\": ")
	list(len(out.Queries), "  ", func(qi int) {
		q := &out.Queries[qi]
		put("{\n      \"name\": " + val(q.Name, "") + ",\n      \"state\": " + val(q.Stats.State, ""))
		if q.Err != "" {
			put(",\n      \"error\": " + val(q.Err, ""))
		}
		cols := make([]string, 0, len(q.Columns))
		for _, c := range q.Columns {
			cols = append(cols, c.Name)
		}
		put(",\n      \"columns\": " + val(cols, "      ") + ",\n      \"rows\": ")
		m := make(map[string]any, len(q.Columns))
		list(len(q.Rows), "      ", func(ri int) {
			for i, c := range q.Columns {
				v := q.Rows[ri][i]
				if t, ok := v.(time.Time); ok {
					v = t.UTC().Format(time.RFC3339Nano)
				}
				m[c.Name] = v
			}
			put(val(m, "        "))
		})
		put("\n    }")
	})
	put("\n}\n")
	if err != nil {
		return err
	}
	return w.Flush()
}

func primary(r run, out *investigate.Outcome) *reports.QueryRun {
	for i := range out.Queries {
		if out.Queries[i].Name == r.primary {
			return &out.Queries[i]
		}
	}
	if len(out.Queries) > 0 {
		return &out.Queries[0]
	}
	return nil
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// printable keeps attacker-controlled text from driving the terminal:
// control characters are shown escaped.
func printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// printJSON writes items as an indented JSON array after mapping each.
func printJSONList[T any](g *globals, items []T, f func(T) any) error {
	out := make([]any, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
