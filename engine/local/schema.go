package local

import (
	"fmt"
	"sort"
	"strings"
)

// field is one top-level CloudTrail record key and the DuckDB type it is read
// as. Names are spelled exactly as CloudTrail writes them because DuckDB's
// JSON reader matches object keys case-sensitively; the table then declares
// the same types in lower case and DuckDB's by-name struct cast (which is
// case-insensitive) renames every nested field on insert, so the view has
// Athena's lowercase names (useridentity.sessioncontext.sessionissuer.username).
type field struct {
	json string
	typ  string
}

// recordFields follows the columns of AWS's documented Athena CloudTrail
// table. requestParameters, responseElements, additionalEventData,
// serviceEventDetails and edgeDeviceDetails are VARCHAR: DuckDB renders a
// JSON object read into VARCHAR as its JSON text, which is what Athena's
// JsonSerDe exposes for a STRING column. readOnly is VARCHAR for the same
// reason ('true'/'false').
var recordFields = []field{
	{"eventVersion", "VARCHAR"},
	{"userIdentity", `STRUCT(
		type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR,
		invokedBy VARCHAR, accessKeyId VARCHAR, userName VARCHAR,
		onBehalfOf STRUCT(userId VARCHAR, identityStoreArn VARCHAR),
		sessionContext STRUCT(
			attributes STRUCT(mfaAuthenticated VARCHAR, creationDate VARCHAR),
			sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
			ec2RoleDelivery VARCHAR,
			webIdFederationData STRUCT(federatedProvider VARCHAR, attributes MAP(VARCHAR, VARCHAR)),
			sourceIdentity VARCHAR
		),
		credentialId VARCHAR,
		identityProvider VARCHAR
	)`},
	{"eventTime", "VARCHAR"},
	{"eventSource", "VARCHAR"},
	{"eventName", "VARCHAR"},
	{"awsRegion", "VARCHAR"},
	{"sourceIPAddress", "VARCHAR"},
	{"userAgent", "VARCHAR"},
	{"errorCode", "VARCHAR"},
	{"errorMessage", "VARCHAR"},
	{"requestParameters", "VARCHAR"},
	{"responseElements", "VARCHAR"},
	{"additionalEventData", "VARCHAR"},
	{"requestID", "VARCHAR"},
	{"eventID", "VARCHAR"},
	{"readOnly", "VARCHAR"},
	{"resources", "STRUCT(ARN VARCHAR, accountId VARCHAR, type VARCHAR)[]"},
	{"eventType", "VARCHAR"},
	{"apiVersion", "VARCHAR"},
	{"recipientAccountId", "VARCHAR"},
	{"serviceEventDetails", "VARCHAR"},
	{"sharedEventID", "VARCHAR"},
	{"vpcEndpointId", "VARCHAR"},
	{"vpcEndpointAccountId", "VARCHAR"},
	{"eventCategory", "VARCHAR"},
	{"addendum", "STRUCT(reason VARCHAR, updatedFields VARCHAR, originalRequestID VARCHAR, originalEventID VARCHAR)"},
	{"sessionCredentialFromConsole", "VARCHAR"},
	{"edgeDeviceDetails", "VARCHAR"},
	{"tlsDetails", "STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR)"},
}

// PartitionColumns are the columns the view adds after the record columns,
// like the Athena table's partition projection.
var PartitionColumns = []string{"account", "region", "day"}

// Columns lists the view's columns in order: Athena's CloudTrail columns,
// then the partition columns.
func Columns() []string {
	out := make([]string, 0, len(recordFields)+len(PartitionColumns))
	for _, f := range recordFields {
		out = append(out, strings.ToLower(f.json))
	}
	return append(out, PartitionColumns...)
}

// ColumnsIn lists the record columns (lower-case Athena names, in table
// order) that the SQL texts name, comments left out: what the loader loads
// for an investigation that runs exactly those queries (Narrow.Queries). A STRUCT
// column only ever named through its fields (useridentity.arn) is listed
// as those fields ("useridentity.arn"), so only they are loaded. A word
// that merely looks like a column (an alias, a string) only loads more.
func ColumnsIn(sqls ...string) []string {
	whole := map[string]bool{}
	paths := map[string]map[string]bool{}
	isCol := map[string]bool{}
	for _, f := range recordFields {
		isCol[strings.ToLower(f.json)] = true
	}
	for _, q := range sqls {
		for _, line := range strings.Split(strings.ToLower(q), "\n") {
			if i := strings.Index(line, "--"); i >= 0 {
				line = line[:i]
			}
			for _, w := range strings.FieldsFunc(line, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.')
			}) {
				parts := strings.Split(w, ".")
				for i, p := range parts {
					if !isCol[p] {
						continue
					}
					if i == len(parts)-1 {
						whole[p] = true
					} else {
						if paths[p] == nil {
							paths[p] = map[string]bool{}
						}
						paths[p][strings.Join(parts[i+1:], ".")] = true
					}
					break
				}
			}
		}
	}
	var out []string
	for _, f := range recordFields {
		c := strings.ToLower(f.json)
		switch {
		case whole[c] || len(paths[c]) > 0 && !strings.HasPrefix(f.typ, "STRUCT("):
			out = append(out, c)
		case len(paths[c]) > 0:
			ps := make([]string, 0, len(paths[c]))
			for p := range paths[c] {
				ps = append(ps, c+"."+p)
			}
			sort.Strings(ps)
			out = append(out, ps...)
		}
	}
	return out
}

// structField is one field of a STRUCT type text.
type structField struct{ name, typ string }

// splitStruct splits "STRUCT(a T, b STRUCT(...), ...)" into its fields;
// ok is false for any other type.
func splitStruct(typ string) ([]structField, bool) {
	typ = compact(typ)
	if !strings.HasPrefix(typ, "STRUCT(") || !strings.HasSuffix(typ, ")") {
		return nil, false
	}
	body := typ[len("STRUCT(") : len(typ)-1]
	var out []structField
	depth, start := 0, 0
	for i := 0; i <= len(body); i++ {
		if i < len(body) {
			switch body[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		part := strings.TrimSpace(body[start:i])
		start = i + 1
		name, t, found := strings.Cut(part, " ")
		if !found {
			return nil, false
		}
		out = append(out, structField{name, strings.TrimSpace(t)})
	}
	return out, true
}

// pruneStruct keeps of the STRUCT type typ only the fields on the given
// paths (lower-case, dotted; a path ending at a field keeps all of it).
func pruneStruct(typ string, paths []string) (string, error) {
	fields, ok := splitStruct(typ)
	if !ok {
		return "", fmt.Errorf("not a STRUCT")
	}
	sub := map[string][]string{}
	all := map[string]bool{}
	for _, p := range paths {
		head, rest, more := strings.Cut(p, ".")
		if more {
			sub[head] = append(sub[head], rest)
		} else {
			all[head] = true
		}
	}
	var kept []string
	for _, f := range fields {
		n := strings.ToLower(f.name)
		switch {
		case all[n]:
			kept = append(kept, f.name+" "+f.typ)
		case len(sub[n]) > 0:
			t, err := pruneStruct(f.typ, sub[n])
			if err != nil {
				return "", fmt.Errorf("%s.%w", n, err)
			}
			kept = append(kept, f.name+" "+t)
		}
		delete(all, n)
		delete(sub, n)
	}
	for n := range all {
		return "", fmt.Errorf("no field %s", n)
	}
	for n := range sub {
		return "", fmt.Errorf("no field %s", n)
	}
	return "STRUCT(" + strings.Join(kept, ", ") + ")", nil
}

// compact folds the multi-line type text onto one line so generated SQL
// stays readable in error messages.
func compact(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// loaderColumns are loaded whatever the caller chose: the loader filters,
// partitions and counts with them.
var loaderColumns = []string{"eventtime", "eventsource", "eventname", "awsregion", "recipientaccountid", "eventid"}

// selectFields returns the record fields named in cols (lower-case column
// names) and loaderColumns, in table order; nil cols is every field.
func selectFields(cols []string) ([]field, error) {
	if cols == nil {
		return recordFields, nil
	}
	want := map[string]bool{}
	for _, c := range loaderColumns {
		want[c] = true
	}
	paths := map[string][]string{}
	for _, c := range cols {
		c = strings.ToLower(c)
		if head, rest, ok := strings.Cut(c, "."); ok {
			paths[head] = append(paths[head], rest)
		} else {
			want[c] = true
		}
	}
	var out []field
	for _, f := range recordFields {
		n := strings.ToLower(f.json)
		switch {
		case want[n]:
			out = append(out, f)
		case len(paths[n]) > 0:
			t, err := pruneStruct(f.typ, paths[n])
			if err != nil {
				return nil, fmt.Errorf("load columns: %s: %v (see local.Columns)", n, err)
			}
			out = append(out, field{json: f.json, typ: t})
		}
		delete(want, n)
		delete(paths, n)
	}
	for c := range want {
		return nil, fmt.Errorf("load columns: %q is not a CloudTrail column (see local.Columns)", c)
	}
	for c := range paths {
		return nil, fmt.Errorf("load columns: %q is not a CloudTrail column (see local.Columns)", c)
	}
	return out, nil
}

// recordType is the DuckDB type of one element of "Records" with the
// given fields, with CloudTrail's key spelling.
func recordType(fields []field) string {
	var b strings.Builder
	b.WriteString("STRUCT(")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + f.json + `" ` + compact(f.typ))
	}
	b.WriteString(")")
	return b.String()
}

// tableDDL creates the table events are loaded into. src is the file an
// event came from (its sourceFile.id; hidden by the view); norecords marks
// the placeholder row a directly read (big) file without a "Records" array
// produces, so such a file is reported instead of vanishing; marker is
// unused since streamed files are accounted for by their row counts (see
// loader.account). Placeholder rows are deleted after loading.
func tableDDL(name string, fields []field) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + name + " (")
	for _, f := range fields {
		b.WriteString(strings.ToLower(f.json) + " " + strings.ToLower(compact(f.typ)) + ", ")
	}
	b.WriteString("account VARCHAR, region VARCHAR, day VARCHAR, src INTEGER, norecords BOOLEAN, marker BOOLEAN)")
	return b.String()
}

// viewDDL exposes the loaded Athena columns (all of them unless the
// caller chose, see Options.Columns) plus partitions.
func viewDDL(view, table string, fields []field) string {
	cols := make([]string, 0, len(fields)+len(PartitionColumns))
	for _, f := range fields {
		cols = append(cols, strings.ToLower(f.json))
	}
	cols = append(cols, PartitionColumns...)
	return "CREATE VIEW " + view + " AS SELECT " + strings.Join(cols, ", ") + " FROM " + table
}
