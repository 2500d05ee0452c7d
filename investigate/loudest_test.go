package investigate

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

// loudest keeps what sorting every statement by loudness and keeping the
// first maxFindingsPerQuery keeps, in the same order, and counts the rest.
func TestLoudestSameAsSortingAll(t *testing.T) {
	sevs := []string{sevInfo, sevLow, sevMedium, sevHigh}
	r := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 24, 25, 26, 99, 100, 101, 1000, 4321} {
		for trial := 0; trial < 5; trial++ {
			all := make([]hit, n)
			for i := range all {
				// Mostly quiet, now and then loud, as hunt rows are.
				s := sevInfo
				if r.Intn(10) == 0 {
					s = sevs[r.Intn(len(sevs))]
				}
				all[i] = hit{severity: s, text: fmt.Sprint(i)}
			}
			var l loudest
			for _, h := range all {
				l.add(h)
			}
			got := l.done()
			want := append([]hit(nil), all...)
			wantDropped, wantSev := 0, ""
			if len(want) > maxFindingsPerQuery {
				sort.SliceStable(want, func(i, j int) bool { return loudness(want[i].severity) > loudness(want[j].severity) })
				wantDropped, wantSev = len(want)-maxFindingsPerQuery, want[maxFindingsPerQuery].severity
				want = want[:maxFindingsPerQuery]
			}
			if len(got) != len(want) || l.dropped != wantDropped || l.dropped > 0 && l.sev != wantSev {
				t.Fatalf("n=%d: kept %d dropped %d (%s), want %d dropped %d (%s)", n, len(got), l.dropped, l.sev, len(want), wantDropped, wantSev)
			}
			for i := range want {
				if got[i].text != want[i].text {
					t.Fatalf("n=%d: statement %d is %s, want %s", n, i, got[i].text, want[i].text)
				}
			}
		}
	}
}
