package tables

import (
	"strings"
	"testing"
)

func TestColumnsDocumentedAndLowercase(t *testing.T) {
	want := []string{"eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion",
		"sourceipaddress", "useragent", "errorcode", "errormessage", "requestparameters", "responseelements",
		"additionaleventdata", "requestid", "eventid", "readonly", "resources", "eventtype", "apiversion",
		"recipientaccountid", "serviceeventdetails", "sharedeventid", "vpcendpointid", "vpcendpointaccountid",
		"eventcategory", "addendum", "sessioncredentialfromconsole", "edgedevicedetails", "tlsdetails"}
	cols := Columns()
	if len(cols) != len(want) {
		t.Fatalf("got %d columns, want %d", len(cols), len(want))
	}
	for i, c := range cols {
		if c.Name != want[i] {
			t.Errorf("column %d = %q, want %q", i, c.Name, want[i])
		}
		if c.HiveType != strings.ToLower(c.HiveType) || strings.Contains(c.HiveType, " ") {
			t.Errorf("column %s type %q is not Glue's lowercase spelling", c.Name, c.HiveType)
		}
		if strings.Count(c.HiveType, "<") != strings.Count(c.HiveType, ">") {
			t.Errorf("column %s type %q has unbalanced brackets", c.Name, c.HiveType)
		}
	}
	ui := cols[1].HiveType
	for _, f := range []string{"onbehalfof:struct<userid:string,identitystorearn:string>", "sessionissuer:struct<",
		"ec2roledelivery:string", "webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>"} {
		if !strings.Contains(ui, f) {
			t.Errorf("useridentity lacks %s", f)
		}
	}
	if cols[16].Top() != "array" || cols[1].Top() != "struct" || cols[0].Top() != "string" {
		t.Errorf("Top() wrong: %s %s %s", cols[16].Top(), cols[1].Top(), cols[0].Top())
	}
}

func testSpec() Spec {
	return Spec{Database: "ctathena", Name: "management", Bucket: "org-trail", Prefix: "logs",
		OrgID: "o-abcdef1234", Accounts: []string{"222222222222", "111111111111", "111111111111"},
		Regions: []string{"us-east-1", "eu-west-1"}, Start: "2024-01-15"}
}

func TestParametersProjection(t *testing.T) {
	p := testSpec().Parameters()
	checks := map[string]string{
		"projection.enabled":           "true",
		"projection.account.type":      "injected",
		"projection.account.values":    "",
		"projection.region.values":     "eu-west-1,us-east-1",
		"projection.day.type":          "date",
		"projection.day.format":        "yyyy/MM/dd",
		"projection.day.range":         "2024/01/15,NOW",
		"projection.day.interval":      "1",
		"projection.day.interval.unit": "DAYS",
		"storage.location.template":    "s3://org-trail/logs/AWSLogs/o-abcdef1234/${account}/CloudTrail/${region}/${day}",
		ParamManaged:                   "true",
		ParamVersion:                   SchemaVersion,
	}
	for k, v := range checks {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	single := testSpec()
	single.OrgID, single.Prefix = "", ""
	if got := single.LocationTemplate(); got != "s3://org-trail/AWSLogs/${account}/CloudTrail/${region}/${day}" {
		t.Errorf("single-account template = %q", got)
	}
}

func TestDDL(t *testing.T) {
	d := DDL(testSpec())
	for _, want := range []string{
		"CREATE EXTERNAL TABLE IF NOT EXISTS `ctathena`.`management` (\n  `eventversion` string,\n",
		"  `tlsdetails` struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>\n)",
		"PARTITIONED BY (`account` string, `region` string, `day` string)",
		"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
		"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
		"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
		"LOCATION 's3://org-trail/logs/AWSLogs/o-abcdef1234/'",
		"'projection.day.range'='2024/01/15,NOW',",
		"'storage.location.template'='s3://org-trail/logs/AWSLogs/o-abcdef1234/${account}/CloudTrail/${region}/${day}'",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("DDL lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "'EXTERNAL'") {
		t.Error("DDL repeats EXTERNAL as a property")
	}
}

func TestSpecValidate(t *testing.T) {
	if err := testSpec().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Spec){
		func(s *Spec) { s.Database = "Bad-Name" },
		func(s *Spec) { s.Prefix = "logs/" },
		func(s *Spec) { s.Prefix = "x'y" },
		func(s *Spec) { s.Accounts = []string{"12345"} },
		func(s *Spec) { s.Regions = nil },
		func(s *Spec) { s.Regions = []string{"us-east-1'"} },
		func(s *Spec) { s.OrgID = "org" },
		func(s *Spec) { s.Start = "15/01/2024" },
		func(s *Spec) { s.Bucket = "Bad_Bucket" },
	}
	for i, mut := range bad {
		s := testSpec()
		mut(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("case %d: invalid spec accepted: %+v", i, s)
		}
	}
}
