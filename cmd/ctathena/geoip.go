package main

import (
	"strings"

	"github.com/ctathena/ctathena/internal/geoip"
	"github.com/ctathena/ctathena/investigate"
)

// enrich adds country, city and ASN columns after every source address in
// out when --geoip names one or more MaxMind-format databases (comma-
// separated, e.g. a City and an ASN edition). Without --geoip it does
// nothing. An unreadable database is a usage error: the user asked for the
// columns and would otherwise get a report without them. Enrich is
// idempotent, so calling this twice (a command and finish) is harmless.
func (g *globals) enrich(out *investigate.Outcome) error {
	if g.geoip == "" || out == nil {
		return nil
	}
	db, err := g.openGeoIP()
	if err != nil {
		return err
	}
	defer db.Close()
	investigate.Enrich(out.Queries, func(ip string) (investigate.GeoInfo, bool) {
		i, ok := db.Lookup(ip)
		return investigate.GeoInfo(i), ok
	})
	for _, d := range db.Describe() {
		if !hasNote(out.Notes, d) {
			out.Notes = append(out.Notes, "IP locations and networks from "+d)
		}
	}
	return nil
}

func hasNote(notes []string, d string) bool {
	for _, n := range notes {
		if strings.HasSuffix(n, d) {
			return true
		}
	}
	return false
}

// openGeoIP opens the databases --geoip names (comma-separated).
func (g *globals) openGeoIP() (*geoip.DB, error) {
	var paths []string
	for _, p := range strings.Split(g.geoip, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	db, err := geoip.Open(paths...)
	if err != nil {
		return nil, usageErr("--geoip: %v", err)
	}
	return db, nil
}
