package investigate

import (
	"fmt"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/reports"
)

// GeoInfo is where an address is, as the lookup knows it; empty fields are
// unknown.
type GeoInfo struct {
	CountryCode string
	CountryName string
	City        string
	ASN         uint32
	ASOrg       string
}

// geoColumns are the result columns holding a source address.
var geoColumns = map[string]bool{"source_ip": true, "ip": true}

// Enrich adds <col>_country, <col>_city and <col>_asn right after every
// column named source_ip or ip, in every run. Values that are not
// addresses ("AWS Internal", service names, hostnames, attacker text) and
// addresses the lookup does not know get empty cells. The engine's own
// columns are left as they were. Running it twice adds nothing the second
// time.
func Enrich(runs []reports.QueryRun, lookup func(ip string) (GeoInfo, bool)) {
	cache := map[string][3]string{}
	geo := func(ip string) [3]string {
		if c, ok := cache[ip]; ok {
			return c
		}
		var c [3]string
		if g, ok := lookup(ip); ok {
			switch {
			case g.CountryCode != "" && g.CountryName != "":
				c[0] = g.CountryCode + " " + g.CountryName
			default:
				c[0] = g.CountryCode + g.CountryName
			}
			c[1] = g.City
			switch {
			case g.ASN != 0 && g.ASOrg != "":
				c[2] = fmt.Sprintf("AS%d %s", g.ASN, g.ASOrg)
			case g.ASN != 0:
				c[2] = fmt.Sprintf("AS%d", g.ASN)
			default:
				c[2] = g.ASOrg
			}
		}
		cache[ip] = c
		return c
	}
	for i := range runs {
		r := &runs[i]
		var at []int
		for j, c := range r.Columns {
			if geoColumns[c.Name] && !(j+1 < len(r.Columns) && r.Columns[j+1].Name == c.Name+"_country") {
				at = append(at, j)
			}
		}
		if len(at) == 0 {
			continue
		}
		var cols []engine.Column
		k := 0
		for j, c := range r.Columns {
			cols = append(cols, c)
			if k < len(at) && at[k] == j {
				for _, s := range []string{"_country", "_city", "_asn"} {
					cols = append(cols, engine.Column{Name: c.Name + s, Type: engine.String, EngineType: "geoip"})
				}
				k++
			}
		}
		rows := make([][]any, len(r.Rows))
		for n, row := range r.Rows {
			out := make([]any, 0, len(cols))
			k := 0
			for j, v := range row {
				out = append(out, v)
				if k < len(at) && at[k] == j {
					s, _ := v.(string)
					var g [3]string
					if s != "" {
						g = geo(s)
					}
					out = append(out, g[0], g[1], g[2])
					k++
				}
			}
			rows[n] = out
		}
		r.Columns, r.Rows = cols, rows
	}
}
