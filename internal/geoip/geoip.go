// Package geoip looks up where an IP address is: country, city and
// autonomous system, from MaxMind-format databases (.mmdb) the user
// supplies with --geoip. City and ASN data often come as separate files
// (GeoLite2-City and GeoLite2-ASN, or any compatible vendor's), so several
// databases can be opened together and each lookup merges what they know.
// The package only reads files it is given; it never downloads anything.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Info is what the databases know about one address. Empty fields are
// unknown.
type Info struct {
	CountryCode string
	CountryName string
	City        string
	ASN         uint32
	ASOrg       string
}

// record holds the fields of the GeoIP2/GeoLite2 City, Country and ASN
// layouts this tool reads; other fields in a record are ignored.
type record struct {
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"registered_country"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	ASN   uint32 `maxminddb:"autonomous_system_number"`
	ASOrg string `maxminddb:"autonomous_system_organization"`
}

// DB is one or more opened databases.
type DB struct {
	readers []*maxminddb.Reader
	paths   []string
}

// Open opens every database in paths. A file that is not a MaxMind-format
// database is an error naming it.
func Open(paths ...string) (*DB, error) {
	if len(paths) == 0 {
		return nil, errors.New("open geoip database: no file given")
	}
	d := &DB{}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("open geoip database %s: %w", p, err)
		}
		d.readers = append(d.readers, r)
		d.paths = append(d.paths, p)
	}
	return d, nil
}

// Close releases every database.
func (d *DB) Close() error {
	var errs []error
	for _, r := range d.readers {
		errs = append(errs, r.Close())
	}
	d.readers = nil
	return errors.Join(errs...)
}

// Describe names each database with its type and build date, for the
// report's cover: the answer depends on the edition used.
func (d *DB) Describe() []string {
	var out []string
	for i, r := range d.readers {
		m := r.Metadata
		out = append(out, fmt.Sprintf("%s (%s, built %s)", d.paths[i], m.DatabaseType,
			time.Unix(int64(m.BuildEpoch), 0).UTC().Format("2006-01-02")))
	}
	return out
}

// ParseIP reads an address as CloudTrail writes it, including the leading
// zeros some anonymised logs carry (035.249.253.232). Anything else (AWS
// service names, "AWS Internal", hostnames) is not an address.
func ParseIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return netip.Addr{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 || p[0] == '+' || p[0] == '-' {
			return netip.Addr{}, false
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b), true
}

// Lookup returns what the databases know about ip; false when ip is not an
// address or no database has it.
func (d *DB) Lookup(ip string) (Info, bool) {
	a, ok := ParseIP(ip)
	if !ok {
		return Info{}, false
	}
	var info Info
	found := false
	for _, r := range d.readers {
		res := r.Lookup(a)
		if !res.Found() {
			continue
		}
		var rec record
		if err := res.Decode(&rec); err != nil {
			continue
		}
		found = true
		if info.CountryCode == "" {
			c := rec.Country
			if c.ISOCode == "" {
				c = rec.RegisteredCountry
			}
			info.CountryCode, info.CountryName = c.ISOCode, c.Names["en"]
		}
		if info.City == "" {
			info.City = rec.City.Names["en"]
		}
		if info.ASN == 0 {
			info.ASN, info.ASOrg = rec.ASN, rec.ASOrg
		}
	}
	return info, found
}
