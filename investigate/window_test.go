package investigate

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 11, 29, 6, 15, 30, 0, time.UTC)
	w, err := ParseWindow("", "", now)
	if err != nil || !w.Until.Equal(now) || !w.Since.Equal(now.Add(-7*24*time.Hour)) {
		t.Fatalf("defaults: %v %v", w, err)
	}
	w, err = ParseWindow("2026-11-01", "2026-11-05T12:00:00+01:00", now)
	if err != nil || Stamp(w.Since) != "2026-11-01T00:00:00Z" || Stamp(w.Until) != "2026-11-05T11:00:00Z" {
		t.Fatalf("explicit: %v %v", w, err)
	}
	w, err = ParseWindow("14d", "72h", now)
	if err != nil || !w.Since.Equal(now.Add(-14*24*time.Hour)) || !w.Until.Equal(now.Add(-72*time.Hour)) {
		t.Fatalf("durations: %v %v", w, err)
	}
	for _, bad := range [][2]string{{"yesterday", ""}, {"2026-11-05", "2026-11-01"}, {"", "-3d"}} {
		if _, err := ParseWindow(bad[0], bad[1], now); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestDaysPadByOne(t *testing.T) {
	from, to := Days(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 23, 0, 0, 0, time.UTC))
	if from != "2026/10/31" || to != "2026/11/04" {
		t.Fatalf("got %s %s", from, to)
	}
}

func TestIPFilter(t *testing.T) {
	ip, r, err := ipFilter("198.51.100.0/24")
	if err != nil || ip != "" || r.cidr != "198.51.100.0/24" || r.lo != 198<<24|51<<16|100<<8 || r.hi != r.lo+255 {
		t.Fatalf("cidr: %q %+v %v", ip, r, err)
	}
	ip, r, err = ipFilter("035.249.253.232")
	if err != nil || ip != "035.249.253.232" || r != noRange {
		t.Fatalf("single: %q %+v %v", ip, r, err)
	}
	for in, want := range map[string]ipRange{
		"2001:DB8::/32":           {cidr: "2001:db8::/32", lo: -1, hi: -1},
		"2001:db8:0:0:1::/80":     {cidr: "2001:db8:0:0:1::/80", lo: -1, hi: -1},
		"2001:db8::ff/64":         {cidr: "2001:db8::/64", lo: -1, hi: -1}, // host bits dropped
		"::ffff:198.51.100.0/120": {cidr: "198.51.100.0/24", lo: 198<<24 | 51<<16 | 100<<8, hi: 198<<24 | 51<<16 | 100<<8 | 255},
		"::/0":                    {cidr: "::/0", lo: -1, hi: -1},
	} {
		ip, r, err := ipFilter(in)
		if err != nil || ip != "" || r != want {
			t.Errorf("%s: %q %+v %v, want %+v", in, ip, r, err, want)
		}
	}
	if ip, r, err := ipFilter("2001:DB8::1/128"); err != nil || ip != "" || r.cidr != "2001:db8::1/128" {
		t.Errorf("/128: %q %+v %v", ip, r, err)
	}
	for _, bad := range []string{"1.2.3.4/33", "2001:db8::/129", "fe80::/10%eth0", "fe80::%eth0/10", "2001:db8::/x", "x' OR '1'='1"} {
		if _, _, err := ipFilter(bad); !IsUsage(err) || !strings.Contains(err.Error(), "--ip") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestFormat(t *testing.T) {
	if Comma(48213) != "48,213" || Comma(-1234567) != "-1,234,567" || Comma(12) != "12" {
		t.Fatal(Comma(48213), Comma(-1234567))
	}
	if HumanBytes(3.2e9) != "3.2 GB" || HumanBytes(999) != "999 bytes" {
		t.Fatal(HumanBytes(3.2e9), HumanBytes(999))
	}
}

func TestPlanExfilRefusesHostileBucket(t *testing.T) {
	_, err := PlanExfil(ExfilOptions{Buckets: []string{"x' OR '1'='1"}})
	if !IsUsage(err) {
		t.Fatalf("got %v", err)
	}
}
