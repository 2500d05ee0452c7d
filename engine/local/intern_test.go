package local

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// box is where an interface value's data lives: equal boxes mean one
// allocation shared.
func box(v any) uintptr { return (*[2]uintptr)(unsafe.Pointer(&v))[1] }

// A column that repeats its values shares one box per value; a column of
// values that never repeat stops filling the table after its trial.
func TestInternerGivesUpOnUniqueColumns(t *testing.T) {
	in := newInterner(2)
	var first any
	for i := 0; i < 3*internTrial; i++ {
		in.newRow()
		in.value(0, fmt.Sprintf("event-%08d", i))
		v := in.value(1, fmt.Sprintf("region-%d", i%4))
		if i == 0 {
			first = v
		}
		if i%4 == 0 && box(v) != box(first) {
			t.Fatalf("row %d: a repeated value was boxed again", i)
		}
	}
	if in.tries[0] >= 0 {
		t.Errorf("the unique column is still looked up after %d values", 3*internTrial)
	}
	if in.tries[1] < 0 {
		t.Error("the repeating column stopped being interned")
	}
	// The unique column put at most its trial in the table, the other 4.
	if n := len(in.seen); n > internTrial+4 {
		t.Errorf("table holds %d values, want at most %d", n, internTrial+4)
	}
}

// A row's two equal times share a box; the next row boxes its own.
func TestInternerSharesARowsEqualTimes(t *testing.T) {
	in := newInterner(0)
	at := time.Date(2026, 10, 1, 0, 0, 3, 0, time.UTC)
	in.newRow()
	a, b := in.time(at), in.time(at)
	if box(a) != box(b) || a.(time.Time) != at {
		t.Fatalf("equal times in a row: boxes %x %x, value %v", box(a), box(b), a)
	}
	if c := in.time(at.Add(time.Second)); c.(time.Time) != at.Add(time.Second) {
		t.Fatalf("a later time came back as %v", c)
	}
	in.newRow()
	if d := in.time(at); box(d) == box(a) {
		t.Error("a new row reused the previous row's box")
	}
}
