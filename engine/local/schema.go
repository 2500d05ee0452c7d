package local

import (
	"fmt"
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
// order) that the SQL texts name, comments left out: what Options.Columns
// needs for an investigation that runs exactly those queries. A word that
// merely looks like a column (an alias, a string) only loads one more.
func ColumnsIn(sqls ...string) []string {
	seen := map[string]bool{}
	for _, q := range sqls {
		for _, line := range strings.Split(strings.ToLower(q), "\n") {
			if i := strings.Index(line, "--"); i >= 0 {
				line = line[:i]
			}
			for _, w := range strings.FieldsFunc(line, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
			}) {
				seen[w] = true
			}
		}
	}
	var out []string
	for _, f := range recordFields {
		if c := strings.ToLower(f.json); seen[c] {
			out = append(out, c)
		}
	}
	return out
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
	for _, c := range cols {
		want[strings.ToLower(c)] = true
	}
	var out []field
	for _, f := range recordFields {
		if want[strings.ToLower(f.json)] {
			out = append(out, f)
			delete(want, strings.ToLower(f.json))
		}
	}
	for c := range want {
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
