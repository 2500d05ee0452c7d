// Package enginetest is the conformance suite every engine.Engine passes:
// the local DuckDB engine always, the Athena engine against an emulator.
// Each case's SQL computes its own answer from literals and arguments, so a
// real engine is checked for binding, typing, quoting and cancellation; an
// emulated engine that only replays canned results is told the expected
// answer through Harness.Prime and is then checked for faithful transport
// (CSV quoting, types, paging) of that answer.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctathena/ctathena/engine"
)

// Harness gives the suite an engine to test.
type Harness interface {
	// Engine returns a ready engine; the harness closes it (t.Cleanup).
	Engine(t *testing.T) engine.Engine
	// Prime tells an emulated engine what the next query returns. A real
	// engine ignores it and must compute exactly that answer from the SQL.
	Prime(t *testing.T, cols []engine.Column, rows [][]any)
}

// Options tune the suite for engines that cannot do everything quickly.
type Options struct {
	// SkipCancel skips the cancellation case (for emulators whose queries
	// complete instantly, so there is nothing running to cancel).
	SkipCancel bool
	// SkipInvalidSQL skips the invalid-SQL case (for emulators that never
	// parse SQL, such as moto's Athena).
	SkipInvalidSQL bool
	// ManyRows is the row count of the large result case (0 = 10000).
	ManyRows int
}

// Run runs every case against h.
func Run(t *testing.T, h Harness) { RunWith(t, h, Options{}) }

type tc struct {
	name string
	sql  string
	args []any
	cols []engine.Column
	rows [][]any
}

func col(name string, typ engine.Type) engine.Column { return engine.Column{Name: name, Type: typ} }

// cases are the single-query cases: SQL, arguments and the exact answer.
func cases() []tc {
	tricky := []string{
		`it's "quoted"`,
		"a,b,c",
		"line1\nline2\r\nline3\rend",
		"tab\there",
		" leading and trailing ",
		`back\slash`,
	}
	var out []tc
	for i, s := range tricky {
		out = append(out, tc{
			name: fmt.Sprintf("string_%d", i),
			sql:  "SELECT ? AS s",
			args: []any{s},
			cols: []engine.Column{col("s", engine.String)},
			rows: [][]any{{s}},
		})
	}
	out = append(out,
		tc{
			name: "empty_vs_null",
			sql:  "SELECT ? AS empty, CAST(NULL AS VARCHAR) AS nothing",
			args: []any{""},
			cols: []engine.Column{col("empty", engine.String), col("nothing", engine.String)},
			rows: [][]any{{"", nil}},
		},
		tc{
			name: "unicode",
			sql:  "SELECT ? AS s, length(?) AS n",
			args: []any{"Zoë 東京 🛡️ \u202etxt.exe", "東京"},
			cols: []engine.Column{col("s", engine.String), col("n", engine.Integer)},
			rows: [][]any{{"Zoë 東京 🛡️ \u202etxt.exe", int64(2)}},
		},
		tc{
			name: "hostile_arg_is_bound",
			sql:  "SELECT ? AS s, CAST(count(*) AS BIGINT) AS n FROM (SELECT 'a' AS v) t WHERE v = ?",
			args: []any{"x' OR '1'='1", "x' OR '1'='1"},
			cols: []engine.Column{col("s", engine.String), col("n", engine.Integer)},
			rows: [][]any{{"x' OR '1'='1", int64(0)}},
		},
		tc{
			name: "big_int64",
			sql:  "SELECT CAST(? AS BIGINT) AS big, CAST(? AS BIGINT) AS small, ? AS raw",
			args: []any{int64(math.MaxInt64), int64(math.MinInt64 + 1), int64(1234567890123)},
			cols: []engine.Column{col("big", engine.Integer), col("small", engine.Integer), col("raw", engine.Integer)},
			rows: [][]any{{int64(math.MaxInt64), int64(math.MinInt64 + 1), int64(1234567890123)}},
		},
		tc{
			name: "count_is_integer",
			sql:  "SELECT count(*) AS n, sum(x) AS total FROM (VALUES (1), (2), (3)) AS t(x)",
			cols: []engine.Column{col("n", engine.Integer), col("total", engine.Integer)},
			rows: [][]any{{int64(3), int64(6)}},
		},
		tc{
			name: "float",
			sql:  "SELECT CAST(1.5 AS DOUBLE) AS f, CAST(? AS DOUBLE) / 4 AS q",
			args: []any{int64(1)},
			cols: []engine.Column{col("f", engine.Float), col("q", engine.Float)},
			rows: [][]any{{1.5, 0.25}},
		},
		tc{
			name: "boolean",
			sql:  "SELECT ? = 'a' AS yes, 1 = 2 AS no",
			args: []any{"a"},
			cols: []engine.Column{col("yes", engine.Boolean), col("no", engine.Boolean)},
			rows: [][]any{{true, false}},
		},
		tc{
			name: "timestamp_utc",
			sql:  "SELECT from_iso8601_timestamp(?) AS t",
			args: []any{"2026-11-03T04:05:06Z"},
			cols: []engine.Column{col("t", engine.Timestamp)},
			rows: [][]any{{time.Date(2026, 11, 3, 4, 5, 6, 0, time.UTC)}},
		},
		tc{
			name: "zero_rows",
			sql:  "SELECT ? AS s FROM (SELECT 1 AS x) t WHERE x = 2",
			args: []any{"never"},
			cols: []engine.Column{col("s", engine.String)},
			rows: [][]any{},
		},
		tc{
			name: "string_compare_like_eventtime",
			sql:  "SELECT count(*) AS n FROM (VALUES ('2026-11-01T00:00:00Z'), ('2026-11-01T23:59:59Z'), ('2026-11-02T00:00:00Z')) AS t(eventtime) WHERE eventtime >= ? AND eventtime < ?",
			args: []any{"2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"},
			cols: []engine.Column{col("n", engine.Integer)},
			rows: [][]any{{int64(2)}},
		},
	)
	return out
}

// RunWith runs every case against h with options.
func RunWith(t *testing.T, h Harness, o Options) {
	e := h.Engine(t)
	ctx := context.Background()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			h.Prime(t, c.cols, c.rows)
			res, err := e.Run(ctx, engine.Query{Name: "enginetest/" + c.name, SQL: c.sql, Args: c.args})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			check(t, res, c.cols, c.rows)
		})
	}

	t.Run("many_rows", func(t *testing.T) {
		n := o.ManyRows
		if n == 0 {
			n = 10000
		}
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{int64(i + 1)}
		}
		cols := []engine.Column{col("x", engine.Integer)}
		h.Prime(t, cols, rows)
		res, err := e.Run(ctx, engine.Query{
			Name: "enginetest/many_rows",
			SQL:  "SELECT CAST(x AS BIGINT) AS x FROM UNNEST(sequence(1, ?)) AS t(x) ORDER BY x",
			Args: []any{int64(n)},
		})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		check(t, res, cols, rows)
	})

	t.Run("stats", func(t *testing.T) {
		cols := []engine.Column{col("one", engine.Integer)}
		h.Prime(t, cols, [][]any{{int64(1)}})
		res, err := e.Run(ctx, engine.Query{Name: "enginetest/stats", SQL: "SELECT 1 AS one"})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		s := res.Stats
		if s.ExecutionID == "" || s.State != "SUCCEEDED" {
			t.Errorf("stats = %+v, want an execution id and state SUCCEEDED", s)
		}
		if s.Submitted.IsZero() || s.Completed.Before(s.Submitted) {
			t.Errorf("stats times = %v .. %v, want submitted <= completed", s.Submitted, s.Completed)
		}
		if v := e.Version(ctx); v == "" {
			t.Errorf("Version() is empty")
		}
		if e.Name() != "local" && e.Name() != "athena" {
			t.Errorf("Name() = %q, want local or athena", e.Name())
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		// Priming is per query and the order of concurrent queries is not
		// known, so every goroutine asks for the same shape of answer and
		// checks only that its own argument came back where the engine
		// computes it; an emulator sees only the primed value.
		const workers = 8
		cols := []engine.Column{col("s", engine.String), col("n", engine.Integer)}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for i := range workers {
			want := fmt.Sprintf("worker-%d", i)
			mu.Lock()
			h.Prime(t, cols, [][]any{{want, int64(i)}})
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.Run(ctx, engine.Query{
					Name: "enginetest/concurrent",
					SQL:  "SELECT ? AS s, CAST(? AS BIGINT) AS n",
					Args: []any{want, int64(i)},
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", i, err)
					return
				}
				if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
					errs <- fmt.Errorf("worker %d: rows = %v, want one row of two", i, res.Rows)
					return
				}
				// A real engine returns its own arguments; an emulator
				// returns one of the primed rows. Either way the row must be
				// internally consistent.
				s, _ := res.Rows[0][0].(string)
				n, _ := res.Rows[0][1].(int64)
				if s != fmt.Sprintf("worker-%d", n) {
					errs <- fmt.Errorf("worker %d: row = %#v, want (worker-N, N)", i, res.Rows[0])
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("invalid_sql_names_query", func(t *testing.T) {
		if o.SkipInvalidSQL {
			t.Skip("this engine does not parse SQL (emulator); covered by its own fake")
		}
		_, err := e.Run(ctx, engine.Query{Name: "enginetest/broken_query", SQL: "SELEC nonsense FROM"})
		if err == nil {
			t.Fatal("invalid SQL returned no error")
		}
		if !strings.Contains(err.Error(), "enginetest/broken_query") {
			t.Errorf("error %q does not name the query", err)
		}
	})

	if !o.SkipCancel {
		t.Run("cancel", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(200*time.Millisecond, cancel)
			start := time.Now()
			// A cross join large enough to run for minutes if not stopped.
			_, err := e.Run(cctx, engine.Query{
				Name: "enginetest/cancel",
				SQL:  "SELECT count(*) AS n FROM UNNEST(sequence(1, 200000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y) WHERE (x * y) % 7 = 3",
			})
			took := time.Since(start)
			if err == nil {
				t.Fatal("cancelled query returned no error")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %q does not wrap context.Canceled", err)
			}
			if took > 10*time.Second {
				t.Errorf("cancel took %v, want prompt", took)
			}
			// The engine stays usable after a cancel.
			cols := []engine.Column{col("ok", engine.Integer)}
			h.Prime(t, cols, [][]any{{int64(1)}})
			res, err := e.Run(ctx, engine.Query{Name: "enginetest/after_cancel", SQL: "SELECT 1 AS ok"})
			if err != nil {
				t.Fatalf("query after cancel: %v", err)
			}
			check(t, res, cols, [][]any{{int64(1)}})
		})
	}
}

// check compares a result to the expected columns (name and logical type)
// and rows, value by value with exact types.
func check(t *testing.T, res *engine.Result, cols []engine.Column, rows [][]any) {
	t.Helper()
	if res == nil {
		t.Fatal("nil result")
	}
	if len(res.Columns) != len(cols) {
		t.Fatalf("columns = %v, want %v", res.Columns, cols)
	}
	for i, c := range cols {
		got := res.Columns[i]
		if !strings.EqualFold(got.Name, c.Name) || got.Type != c.Type {
			t.Errorf("column %d = %s %s, want %s %s", i, got.Name, got.Type, c.Name, c.Type)
		}
	}
	if len(res.Rows) != len(rows) {
		t.Fatalf("got %d rows, want %d", len(res.Rows), len(rows))
	}
	bad := 0
	for i, want := range rows {
		got := res.Rows[i]
		if len(got) != len(want) {
			t.Fatalf("row %d has %d values, want %d", i, len(got), len(want))
		}
		for j := range want {
			if !same(got[j], want[j]) {
				t.Errorf("row %d column %s = %#v (%T), want %#v (%T)", i, cols[j].Name, got[j], got[j], want[j], want[j])
				if bad++; bad > 10 {
					t.FailNow()
				}
			}
		}
	}
}

func same(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	return got == want
}
