// Package tables defines the Glue/Athena tables ctathena queries — the
// CloudTrail columns as AWS documents them, the org and single-account S3
// layouts, partition projection — and the setup that converges a Glue
// database, those tables and an Athena workgroup towards that definition.
// The schema half (this file, layout.go, ddl.go) uses no AWS SDK type so the
// local engine and the CLI can use it cheaply; setup.go holds the SDK calls
// behind narrow interfaces.
package tables

import "strings"

// SchemaVersion is bumped whenever Columns, the SerDe or the projection
// parameters change, so setup can tell an outdated table it made from a
// current one. Version 2 projects the account column as injected (it was
// an enum of every account).
const SchemaVersion = "2"

// Storage classes of a CloudTrail table, as Athena's CloudTrail
// documentation prescribes.
const (
	SerDe        = "org.apache.hive.hcatalog.data.JsonSerDe"
	InputFormat  = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
	OutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
)

// Table parameters that mark a table as made by ctathena.
const (
	ParamManaged = "ctathena.managed"
	ParamVersion = "ctathena.version"
)

// Column is one table column with its Hive type as Glue stores it
// (lowercase, no spaces: "struct<arn:string,type:string>").
type Column struct {
	Name     string
	HiveType string
}

// Top reports the outermost kind of the column's type: "string", "struct",
// "array" or "map". Cross-checks against other engines compare this, since
// nested type spellings differ between engines.
func (c Column) Top() string {
	if i := strings.IndexByte(c.HiveType, '<'); i >= 0 {
		return c.HiveType[:i]
	}
	return c.HiveType
}

const str = "string"

func structOf(fields ...string) string { return "struct<" + strings.Join(fields, ",") + ">" }
func field(name, typ string) string    { return name + ":" + typ }

// Columns returns the CloudTrail record columns in the order of AWS's
// documented CREATE TABLE, without the partition columns. Every scalar is a
// string, as AWS documents it: CloudTrail's JSON is not typed reliably enough
// for anything else (readonly is "true"/"false", eventtime is ISO 8601 text).
func Columns() []Column {
	sessionIssuer := structOf(
		field("type", str), field("principalid", str), field("arn", str),
		field("accountid", str), field("username", str))
	sessionContext := structOf(
		field("attributes", structOf(field("mfaauthenticated", str), field("creationdate", str))),
		field("sessionissuer", sessionIssuer),
		field("ec2roledelivery", str),
		field("webidfederationdata", structOf(field("federatedprovider", str), field("attributes", "map<string,string>"))),
	)
	userIdentity := structOf(
		field("type", str), field("principalid", str), field("arn", str),
		field("accountid", str), field("invokedby", str), field("accesskeyid", str),
		field("username", str),
		field("onbehalfof", structOf(field("userid", str), field("identitystorearn", str))),
		field("sessioncontext", sessionContext),
	)
	return []Column{
		{"eventversion", str},
		{"useridentity", userIdentity},
		{"eventtime", str},
		{"eventsource", str},
		{"eventname", str},
		{"awsregion", str},
		{"sourceipaddress", str},
		{"useragent", str},
		{"errorcode", str},
		{"errormessage", str},
		{"requestparameters", str},
		{"responseelements", str},
		{"additionaleventdata", str},
		{"requestid", str},
		{"eventid", str},
		{"readonly", str},
		{"resources", "array<" + structOf(field("arn", str), field("accountid", str), field("type", str)) + ">"},
		{"eventtype", str},
		{"apiversion", str},
		{"recipientaccountid", str},
		{"serviceeventdetails", str},
		{"sharedeventid", str},
		{"vpcendpointid", str},
		{"vpcendpointaccountid", str},
		{"eventcategory", str},
		{"addendum", structOf(field("reason", str), field("updatedfields", str), field("originalrequestid", str), field("originaleventid", str))},
		{"sessioncredentialfromconsole", str},
		{"edgedevicedetails", str},
		{"tlsdetails", structOf(field("tlsversion", str), field("ciphersuite", str), field("clientprovidedhostheader", str))},
	}
}

// PartitionColumns are the projected partition keys, in template order. day
// is the delivery folder date formatted yyyy/MM/dd.
func PartitionColumns() []Column {
	return []Column{{"account", str}, {"region", str}, {"day", str}}
}
