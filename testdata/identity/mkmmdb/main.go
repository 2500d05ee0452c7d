// Command mkmmdb writes testdata/identity/geoip-test.mmdb: a tiny
// MaxMind-format database over documentation and sample addresses, so the
// CLI scripts can exercise --geoip without a licensed GeoLite2 file. Its
// places are made up. Run from the repository root:
//
//	go run ./testdata/identity/mkmmdb
package main

import (
	"log"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func main() {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "ctathena-test-City-ASN", IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		log.Fatal(err)
	}
	place := func(iso, country, city string, asn uint32, org string) mmdbtype.Map {
		m := mmdbtype.Map{
			"country":                        mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": mmdbtype.Map{"en": mmdbtype.String(country)}},
			"autonomous_system_number":       mmdbtype.Uint32(asn),
			"autonomous_system_organization": mmdbtype.String(org),
		}
		if city != "" {
			m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}}
		}
		return m
	}
	for cidr, rec := range map[string]mmdbtype.Map{
		"198.51.100.0/24": place("NL", "Netherlands", "Amsterdam", 64500, "Example Hosting B.V."),
		"192.0.2.0/24":    place("SG", "Singapore", "Singapore", 64501, "Example VPS Pte"),
		"203.0.113.0/24":  place("BR", "Brazil", "São Paulo", 64502, "Exemplo Telecom"),
		"10.0.0.0/8":      place("US", "United States", "", 64503, "Private network (test)"),
	} {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			log.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			log.Fatal(err)
		}
	}
	f, err := os.Create("testdata/identity/geoip-test.mmdb")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
