package geoip

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB builds a small MaxMind-format database: each CIDR maps to a record.
func writeDB(t *testing.T, dbType string, recs map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en)}}
}

func cityDB(t *testing.T) string {
	return writeDB(t, "Test-City", map[string]mmdbtype.Map{
		"198.51.100.0/24": {
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("NL"), "names": mmdbtype.Map{"en": mmdbtype.String("Netherlands")}},
			"city":    names("Amsterdam"),
		},
		"35.249.0.0/16": {
			"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": mmdbtype.Map{"en": mmdbtype.String("United States")}},
		},
		"2001:db8::/32": {
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("DE"), "names": mmdbtype.Map{"en": mmdbtype.String("Germany")}},
		},
	})
}

func asnDB(t *testing.T) string {
	return writeDB(t, "Test-ASN", map[string]mmdbtype.Map{
		"198.51.100.0/25": {"autonomous_system_number": mmdbtype.Uint32(64500), "autonomous_system_organization": mmdbtype.String("Example Hosting B.V.")},
	})
}

func TestLookupMergesCityAndASN(t *testing.T) {
	db, err := Open(cityDB(t), asnDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		ip   string
		want Info
		ok   bool
	}{
		{"198.51.100.23", Info{CountryCode: "NL", CountryName: "Netherlands", City: "Amsterdam", ASN: 64500, ASOrg: "Example Hosting B.V."}, true},
		{"198.51.100.200", Info{CountryCode: "NL", CountryName: "Netherlands", City: "Amsterdam"}, true},
		{"035.249.253.232", Info{CountryCode: "US", CountryName: "United States"}, true},
		{"2001:db8::1", Info{CountryCode: "DE", CountryName: "Germany"}, true},
		{"203.0.113.9", Info{}, false},
		{"AWS Internal", Info{}, false},
		{"s3.amazonaws.com", Info{}, false},
		{`=HYPERLINK("http://x")`, Info{}, false},
		{"1.2.3.256", Info{}, false},
		{"", Info{}, false},
	}
	for _, c := range cases {
		got, ok := db.Lookup(c.ip)
		if ok != c.ok || got != c.want {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", c.ip, got, ok, c.want, c.ok)
		}
	}
	d := db.Describe()
	if len(d) != 2 || !strings.Contains(d[0], "Test-City") || !strings.Contains(d[1], "Test-ASN") {
		t.Errorf("Describe() = %q", d)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	p := filepath.Join(t.TempDir(), "not.mmdb")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v, want an error naming %s", err, p)
	}
	if _, err := Open(); err == nil {
		t.Error("Open() with no file succeeded")
	}
}
