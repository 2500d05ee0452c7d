package local

import (
	"path/filepath"
	"testing"
)

// TestIPContains runs Athena's range test, contains(cidr, TRY_CAST(x AS
// IPADDRESS)), on DuckDB for the forms CloudTrail and responders write. The
// answers are Trino's (its contains and its cast through Guava's
// InetAddresses): nil where Athena's TRY_CAST gives NULL.
func TestIPContains(t *testing.T) {
	e := open(t, Options{Dir: filepath.Join(fixtures, "plain")})
	cases := []struct {
		network, source string
		want            any
	}{
		{"198.51.100.0/24", "198.51.100.7", true},
		{"198.51.100.0/24", "198.51.101.7", false},
		{"198.51.100.0/24", "::ffff:198.51.100.7", true}, // IPv4-mapped
		{"198.51.100.0/24", "::FFFF:C633:6407", true},    // mapped, in hex, upper case
		{"198.51.100.0/24", "0:0:0:0:0:ffff:c633:6407", true},
		{"2001:db8::/32", "2001:DB8:0:0:0:0:0:1", true}, // upper case, not compressed
		{"2001:db8::/32", "2001:0db8::abcd", true},      // leading zeros in a group
		{"2001:db8::/32", "2001:Db8::", true},           // mixed case, ends in ::
		{"2001:db8::/32", "2001:db9::1", false},
		{"2001:db8::/32", "198.51.100.7", false}, // an IPv6 range holds no IPv4
		{"::/0", "198.51.100.7", false},          // as in Trino
		{"::/0", "::1", true},
		{"0.0.0.0/0", "2001:db8::1", false},
		{"0.0.0.0/0", "::ffff:10.0.0.1", true},
		{"2001:db8:abcd:12::/64", "2001:db8:abcd:12:ffff:ffff:ffff:ffff", true},
		{"2001:db8:abcd:12::/64", "2001:db8:abcd:13::", false},
		{"2001:db8:abcd:12::/63", "2001:db8:abcd:13::5", true},
		{"64:ff9b::/96", "64:ff9b::198.51.100.7", true}, // IPv4 tail
		{"fe80::/10", "fe80::1%eth0", true},             // the zone is ignored
		{"2001:db8::/128", "2001:db8::", true},
		{"198.51.100.7/32", "198.51.100.7", true},
		// Not addresses: NULL, never an error.
		{"198.51.100.0/24", "s3.amazonaws.com", nil},
		{"198.51.100.0/24", "AWS Internal", nil},
		{"198.51.100.0/24", "035.51.100.7", nil}, // leading zeros: the numeric test takes these
		{"198.51.100.0/24", "198.51.100.256", nil},
		{"198.51.100.0/24", "198.51.100", nil},
		{"198.51.100.0/24", " 198.51.100.7", nil},
		{"198.51.100.0/24", "", nil},
		{"2001:db8::/32", "2001:db8::1::1", nil},
		{"2001:db8::/32", "2001:db8:12345::1", nil},
		{"2001:db8::/32", "2001:db8::g", nil},
		{"2001:db8::/32", "1.2.3.4%eth0", nil},
		// A malformed network (the catalog never passes one) is NULL too.
		{"198.51.100.7/24", "198.51.100.7", nil},
		{"198.51.100.0", "198.51.100.7", nil},
	}
	for _, c := range cases {
		got := one(t, e, "SELECT contains(?, TRY_CAST(? AS IPADDRESS))", c.network, c.source)
		if got != c.want {
			t.Errorf("contains(%q, %q) = %#v, want %#v", c.network, c.source, got, c.want)
		}
	}
	// No range: the queries pass nullif('', ''), which matches nothing.
	if got := one(t, e, "SELECT contains(nullif(?, ''), TRY_CAST('198.51.100.7' AS IPADDRESS))", ""); got != nil {
		t.Errorf("no range: %#v", got)
	}
	// contains on arrays is still DuckDB's own.
	if got := one(t, e, "SELECT contains(split('a,b', ','), 'b')"); got != true {
		t.Errorf("list contains: %#v", got)
	}
}
