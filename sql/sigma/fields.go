package sigma

import (
	"fmt"
	"regexp"
	"strings"
)

// The CloudTrail record as both tables expose it (tables.Columns on Athena,
// engine/local's view): plain string columns, struct columns reached by
// their dotted fields, and columns that hold a JSON object as text.
var stringColumns = map[string]bool{
	"eventversion": true, "eventtime": true, "eventsource": true, "eventname": true,
	"awsregion": true, "sourceipaddress": true, "useragent": true, "errorcode": true,
	"errormessage": true, "requestid": true, "eventid": true, "readonly": true,
	"eventtype": true, "apiversion": true, "recipientaccountid": true, "sharedeventid": true,
	"vpcendpointid": true, "vpcendpointaccountid": true, "eventcategory": true,
	"sessioncredentialfromconsole": true,
}

// structFields are the string leaves of the struct columns, lower-case
// dotted, that both engines' tables declare.
var structFields = map[string]bool{}

func init() {
	for _, f := range []string{"type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username",
		"onbehalfof.userid", "onbehalfof.identitystorearn",
		"sessioncontext.attributes.mfaauthenticated", "sessioncontext.attributes.creationdate",
		"sessioncontext.sessionissuer.type", "sessioncontext.sessionissuer.principalid",
		"sessioncontext.sessionissuer.arn", "sessioncontext.sessionissuer.accountid",
		"sessioncontext.sessionissuer.username", "sessioncontext.ec2roledelivery",
		"sessioncontext.webidfederationdata.federatedprovider"} {
		structFields["useridentity."+f] = true
	}
	for _, f := range []string{"tlsversion", "ciphersuite", "clientprovidedhostheader"} {
		structFields["tlsdetails."+f] = true
	}
	for _, f := range []string{"reason", "updatedfields", "originalrequestid", "originaleventid"} {
		structFields["addendum."+f] = true
	}
}

var jsonColumns = map[string]bool{
	"requestparameters": true, "responseelements": true, "additionaleventdata": true,
	"serviceeventdetails": true, "edgedevicedetails": true,
}

// jsonKeyRe is what a key inside a JSON path may be: it is written into the
// SQL text as part of a constant path ('$.a.b'), so nothing else is allowed.
var jsonKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

type fieldKind int

const (
	kindString fieldKind = iota // a string column or struct leaf
	kindObject                  // a whole JSON column, matched as its text
	kindPath                    // a value inside a JSON column
)

// field is a Sigma field name resolved to the table.
type field struct {
	name string // as the rule writes it
	kind fieldKind
	col  string // the column (or dotted struct leaf) in SQL
	path string // for kindPath: the JSON path, '$.a.b' (validated keys only)
	top  string // for kindPath: the path of the first key, '$.a'
}

// resolve maps a Sigma CloudTrail field name to the table. Top-level names
// match case-insensitively (SQL identifiers do); keys inside a JSON object
// keep their case, as JSON paths are case-sensitive on both engines.
func resolve(name string) (field, error) {
	parts := strings.Split(name, ".")
	head := strings.ToLower(parts[0])
	switch {
	case len(parts) == 1 && stringColumns[head]:
		return field{name: name, kind: kindString, col: head}, nil
	case len(parts) == 1 && jsonColumns[head]:
		return field{name: name, kind: kindObject, col: head}, nil
	case jsonColumns[head]:
		for _, k := range parts[1:] {
			if !jsonKeyRe.MatchString(k) {
				return field{}, fmt.Errorf("field %q: the key %q inside %s is not a plain name (letters, digits, _)", name, k, parts[0])
			}
		}
		return field{name: name, kind: kindPath, col: head,
			path: "$." + strings.Join(parts[1:], "."), top: "$." + parts[1]}, nil
	}
	low := strings.ToLower(name)
	if structFields[low] {
		return field{name: name, kind: kindString, col: low}, nil
	}
	switch head {
	case "useridentity", "tlsdetails", "addendum":
		return field{}, fmt.Errorf("field %q is not one of the %s fields both engines' tables hold", name, parts[0])
	case "resources":
		return field{}, fmt.Errorf("field %q: matching inside the resources list is not supported", name)
	}
	return field{}, fmt.Errorf("field %q is not a field of a CloudTrail record", name)
}

// text is the SQL expression for the field's value as text, NULL when the
// event does not have it. A JSON boolean or number comes out as its JSON
// text ('true', '42'), which is how Sigma compares them.
func (f field) text() string {
	switch f.kind {
	case kindPath:
		return fmt.Sprintf("json_extract_scalar(%s, '%s')", f.col, f.path)
	default:
		return f.col
	}
}

// present is the SQL condition that the event has the field, whatever its
// value (a JSON path may hold a list or an object).
func (f field) present() string {
	switch f.kind {
	case kindPath:
		return fmt.Sprintf("json_extract(%s, '%s') IS NOT NULL", f.col, f.path)
	default:
		return f.col + " IS NOT NULL"
	}
}
