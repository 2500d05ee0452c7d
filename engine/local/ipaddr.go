package local

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Athena tests an address against a CIDR range with
// contains(network, TRY_CAST(address AS IPADDRESS)). DuckDB has no
// IPADDRESS type without the inet extension (and the engine never
// downloads one), so:
//
//   - IPADDRESS is a DuckDB alias of VARCHAR: the cast keeps the text;
//   - contains is a macro: with a VARCHAR network (the only form Trino has
//     for a string first argument) it calls _ct_ip_contains, a Go function
//     that parses both as Trino does; with a list it is DuckDB's own
//     list contains, which Trino's contains(array, element) means.
//
// _ct_ip_contains follows Trino's contains and its VARCHAR-to-IPADDRESS cast
// (Guava's InetAddresses.forString): IPv4 dotted quads without leading
// zeros; IPv6 in any case, compressed or not, with an IPv4 tail; an
// IPv4-mapped address (::ffff:198.51.100.7) is the IPv4 address; an IPv6
// zone (%eth0) is ignored. A value that is not an address (s3.amazonaws.com,
// AWS Internal, 035.1.2.3) is NULL, so it matches no range and fails no
// query. An IPv4 network holds only IPv4 addresses and an IPv6 network
// only IPv6 ones, as in Trino. A malformed network is NULL too: Athena would
// fail the query, but the catalog only passes ranges the cidr type checked.
var typeStatements = []string{"CREATE TYPE IF NOT EXISTS IPADDRESS AS VARCHAR"}

const ipContainsMacro = `(n, a) AS CASE WHEN typeof(n) = 'VARCHAR' THEN _ct_ip_contains(CAST(n AS VARCHAR), CAST(a AS VARCHAR)) ELSE system.main.contains(n, a) END`

type ipContains struct{}

func (ipContains) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	b, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v, v}, ResultTypeInfo: b}
}

func (ipContains) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(vals []driver.Value) (any, error) {
		network, _ := vals[0].(string)
		address, _ := vals[1].(string)
		in, ok := IPContains(network, address)
		if !ok {
			return nil, nil
		}
		return in, nil
	}}
}

// IPContains is Trino's contains(network, CAST(address AS IPADDRESS)) on
// text; ok is false where Athena's TRY_CAST would give NULL (or its
// contains fail on a malformed network).
func IPContains(network, address string) (in, ok bool) {
	base, bits, ok := parseNetwork(network)
	if !ok {
		return false, false
	}
	a, ok := parseTrinoAddr(address)
	if !ok {
		return false, false
	}
	if a.Is4() != base.Is4() {
		return false, true
	}
	return netip.PrefixFrom(a, bits).Masked().Addr() == base, true
}

// parseTrinoAddr parses as Guava's InetAddresses.forString does and
// unmaps an IPv4-mapped address, as Java's InetAddress.getByAddress does.
func parseTrinoAddr(s string) (netip.Addr, bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if !strings.Contains(s[:i], ":") || i == len(s)-1 {
			return netip.Addr{}, false
		}
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseNetwork reads a CIDR as Trino's contains does: the base is parsed
// like an address (an IPv4-mapped base is IPv4) and must have no host bits
// set when it is IPv4.
func parseNetwork(s string) (netip.Addr, int, bool) {
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return netip.Addr{}, 0, false
	}
	base, ok := parseTrinoAddr(s[:slash])
	if !ok {
		return netip.Addr{}, 0, false
	}
	bits, err := strconv.Atoi(s[slash+1:])
	if err != nil || bits < 0 || bits > base.BitLen() {
		return netip.Addr{}, 0, false
	}
	masked := netip.PrefixFrom(base, bits).Masked().Addr()
	if base.Is4() && masked != base {
		return netip.Addr{}, 0, false
	}
	return masked, bits, true
}

// registerFunctions adds the Go functions the macros call; they belong to
// the database, so one connection registers them for all.
func registerFunctions(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open a connection to register functions: %w", err)
	}
	defer conn.Close()
	if err := duckdb.RegisterScalarUDF(conn, "_ct_ip_contains", ipContains{}); err != nil {
		return fmt.Errorf("register _ct_ip_contains: %w", err)
	}
	return nil
}
