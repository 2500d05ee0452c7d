package investigate

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The request parameters below are shaped as CloudTrail logs them: the
// bundled sample (internal/trailgen), the Stratus Red Team detonations,
// TrailDiscover's samples and Panther's rule tests (see NOTICE), plus
// CloudTrail's documented log-bucket policy.
func TestEffect(t *testing.T) {
	org := OrgContext{Accounts: []string{"111122223333", "444455556666", "777788889999"}, Account: "111122223333"}
	cases := []struct {
		name, source, event, req, resp, errCode string
		sev                                     string
		want                                    []string
		remedy, routine, public                 bool
		outside                                 []string
	}{
		{name: "sample policy grants an outside account", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			// the sample logs Statement as the JSON text of the array
			req:  `{"bucketName":"payroll-exports","bucketPolicy":{"Version":"2012-10-17","Statement":"[{\"Sid\":\"sync\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::payroll-exports\",\"arn:aws:s3:::payroll-exports/*\"]}]"},"policy":""}`,
			sev:  SeverityHigh,
			want: []string{"changed the bucket policy of payroll-exports", "account 999988887777 (outside the organization) may s3:GetObject and s3:ListBucket"}, outside: []string{"999988887777"}},
		{name: "deny-only policy is restrictive", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			req: `{"bucketName":"payroll-exports","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::payroll-exports/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}}`,
			sev: SeverityLow, remedy: true, want: []string{"only restricts access", "denies s3:* when aws:SecureTransport says so"}},
		{name: "CloudTrail's own log-bucket policy is routine", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			req: `{"bucketName":"org-cloudtrail","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::org-cloudtrail"},{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::org-cloudtrail/AWSLogs/111122223333/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]},"Host":"org-cloudtrail.s3.us-east-1.amazonaws.com","policy":""}`,
			sev: SeverityLow, routine: true, want: []string{"routine policy for CloudTrail's log delivery", "the AWS service cloudtrail.amazonaws.com may s3:GetBucketAcl"}},
		{name: "Panther public policy", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			req: `{"bucketName":"example-bucket","bucketPolicy":{"Statement":[{"Action":"s3:GetBucketAcl","Effect":"Allow","Principal":{"AWS":"*"},"Resource":"arn:aws:s3:::example-bucket","Sid":"Public Access"}],"Version":"2012-10-17"},"host":["s3.us-west-2.amazonaws.com"],"policy":[""]}`,
			sev: SeverityHigh, public: true, want: []string{"everyone (any principal, anonymous included) may s3:GetBucketAcl"}, outside: []string{"everyone (public)"}},
		{name: "public but only inside the organization", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			req: `{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}}`,
			sev: SeverityMedium, public: true, want: []string{"only when aws:PrincipalOrgID match"}, outside: []string{"everyone (public)"}},
		{name: "policy that is not JSON", source: "s3.amazonaws.com", event: "PutBucketPolicy",
			req: `{"bucketPolicy": "invalid-json-policy"}`, sev: SeverityMedium, want: []string{"(not logged)", "not in the log"}},
		{name: "null parameters", source: "s3.amazonaws.com", event: "PutBucketPolicy", req: `null`, sev: SeverityMedium, want: []string{"not in the log"}},
		{name: "sample public-read ACL", source: "s3.amazonaws.com", event: "PutBucketAcl",
			req: `{"bucketName":"payroll-exports","acl":"","x-amz-acl":["public-read"]}`,
			sev: SeverityHigh, public: true, want: []string{"set the ACL of bucket payroll-exports to public-read: everyone on the internet may list its objects"}},
		{name: "private ACL", source: "s3.amazonaws.com", event: "PutBucketAcl",
			req: `{"host":["bucket.s3.us-west-2.amazonaws.com"],"bucketName":"bucket","acl":[""],"x-amz-acl":["private"]}`, sev: SeverityLow, remedy: true},
		{name: "ACL grant list to AllUsers", source: "s3.amazonaws.com", event: "PutBucketAcl",
			req: `{"bucketName":"b","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"CanonicalUser","ID":"abc"},"Permission":"FULL_CONTROL"},{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]},"Owner":{"ID":"abc"}}}`,
			sev: SeverityHigh, public: true, want: []string{"everyone on the internet is granted READ"}},
		{name: "ACL grant header to another canonical user", source: "s3.amazonaws.com", event: "PutBucketAcl",
			req: `{"bucketName":"b","x-amz-grant-read":["id=79a59df900b949e55d96a1e698fbaced"]}`, sev: SeverityMedium,
			want: []string{"canonical user 79a59df900b949e55d96a1e698fbaced (another account) is granted READ"}},
		{name: "sample replication to an outside bucket", source: "s3.amazonaws.com", event: "PutBucketReplication",
			req: `{"bucketName":"payroll-exports","replication":"","ReplicationConfiguration":{"Role":"arn:aws:iam::111122223333:role/s3-replication","Rule":{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::exfil-drop-999988887777","Account":"999988887777"}}}}`,
			sev: SeverityHigh, want: []string{"set replication on bucket payroll-exports to bucket exfil-drop-999988887777 of account 999988887777, outside the organization: every object written to the bucket from then on is copied there"}, outside: []string{"999988887777"}},
		{name: "replication inside the organization", source: "s3.amazonaws.com", event: "PutBucketReplication",
			req: `{"bucketName":"b","ReplicationConfiguration":{"Rule":[{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::dr-copy","Account":"444455556666"}}]}}`,
			sev: SeverityMedium, want: []string{"dr-copy of account 444455556666 (inside the organization)"}},
		{name: "sample one-day expiry", source: "s3.amazonaws.com", event: "PutBucketLifecycle",
			req: `{"bucketName":"payroll-exports","lifecycle":"","LifecycleConfiguration":{"Rule":{"ID":"cleanup","Status":"Enabled","Expiration":{"Days":1},"Filter":{"Prefix":""}}}}`,
			sev: SeverityHigh, want: []string{`every object is deleted 1 day after it is created (rule "cleanup")`}},
		{name: "sample archive transition", source: "s3.amazonaws.com", event: "PutBucketLifecycle",
			req: `{"bucketName":"payroll-exports","lifecycle":"","LifecycleConfiguration":{"Rule":{"ID":"archive","Status":"Enabled","Transition":{"Days":90,"StorageClass":"GLACIER"}}}}`,
			sev: SeverityLow, want: []string{"every object moves to storage class GLACIER after 90 days"}},
		{name: "Panther disabled lifecycle", source: "s3.amazonaws.com", event: "PutBucketLifecycle",
			req: `{"Host":"sample-cloudtrail-bucket-name.s3.us-west-2.amazonaws.com","LifecycleConfiguration":{"Rule":{"Expiration":{"Days":1},"Filter":{"Prefix":"*"},"ID":"nuke-cloudtrail-logs-after-1-day","Status":"Disabled"},"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"},"bucketName":"sample-cloudtrail-bucket-name","lifecycle":""}`,
			sev: SeverityLow, want: []string{"all disabled"}},
		{name: "Panther 730-day lifecycle", source: "s3.amazonaws.com", event: "PutBucketLifecycle",
			req: `{"Host":"s3.us-west-2.amazonaws.com","LifecycleConfiguration":{"Rule":{"Expiration":{"Days":730},"Filter":"","ID":"nuke","NoncurrentVersionExpiration":{"NoncurrentDays":730},"Status":"Enabled"}},"bucketName":"b","lifecycle":""}`,
			sev: SeverityMedium, want: []string{"every object is deleted 730 days after it is created"}},
		{name: "sample responder's public access block", source: "s3.amazonaws.com", event: "PutBucketPublicAccessBlock",
			req: `{"bucketName":"payroll-exports","publicAccessBlock":"","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`,
			sev: SeverityLow, remedy: true, want: []string{"turned on the public access block of bucket payroll-exports"}},
		{name: "public access block turned off", source: "s3.amazonaws.com", event: "PutBucketPublicAccessBlock",
			req: `{"bucketName":"b","PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}}`,
			sev: SeverityHigh, want: []string{"turned off every public access block setting"}},
		{name: "Panther public access block deleted", source: "s3.amazonaws.com", event: "DeleteBucketPublicAccessBlock",
			req: `{"bucketName":"corporate-documents","host":"sample-bucket-sweet-kepler.s3.amazonaws.com","publicAccessBlock":""}`,
			sev: SeverityHigh, want: []string{"removed the public access block of bucket corporate-documents"}},
		{name: "failed public access block deletion", source: "s3.amazonaws.com", event: "DeleteBucketPublicAccessBlock",
			req: `{"bucketName":"corporate-documents"}`, errCode: "AccessDenied",
			sev: SeverityMedium, want: []string{"tried to remove the public access block of bucket corporate-documents", "it failed (AccessDenied)"}},
		{name: "Stratus AdministratorAccess", source: "iam.amazonaws.com", event: "AttachUserPolicy",
			req: `{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","userName":"malicious-iam-user"}`,
			sev: SeverityHigh, want: []string{"attached the AWS managed policy AdministratorAccess (full control of the account) to user malicious-iam-user"}},
		{name: "Panther read-only role policy", source: "iam.amazonaws.com", event: "AttachRolePolicy",
			req: `{"policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess","roleName":"new-role"}`, sev: SeverityMedium, want: []string{"ReadOnlyAccess to role new-role"}},
		{name: "Panther quarantine", source: "iam.amazonaws.com", event: "AttachUserPolicy",
			req: `{"userName":"test-user","policyArn":"arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"}`, sev: SeverityLow, remedy: true},
		{name: "Panther deny-all inline policy", source: "iam.amazonaws.com", event: "PutUserPolicy",
			req: `{"userName":"test-user","policyName":"TestUserDenyAll","policyDocument":"{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Sid\": \"TestUserDenyAll\",\n\t\t\t\"Effect\": \"Deny\",\n\t\t\t\"Action\": [\"*\"],\n\t\t\t\"Resource\": [\"*\"]\n\t\t}\n\t]\n}"}`,
			sev: SeverityLow, remedy: true, want: []string{"only denies *"}},
		{name: "inline admin policy", source: "iam.amazonaws.com", event: "PutRolePolicy",
			req: `{"roleName":"r","policyName":"p","policyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}`,
			sev: SeverityHigh, want: []string{"full administrator rights"}},
		{name: "Stratus backdoor trust", source: "iam.amazonaws.com", event: "UpdateAssumeRolePolicy",
			req: `{"policyDocument":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    },\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::193672423079:root\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}","roleName":"stratus-red-team-backdoor-r-role"}`,
			sev: SeverityHigh, want: []string{"account 193672423079 (outside the organization) may now assume it"}, outside: []string{"193672423079"}},
		{name: "sample snapshot share", source: "ec2.amazonaws.com", event: "ModifySnapshotAttribute",
			req: `{"snapshotId":"snap-0c0ffee0123456789","attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}`,
			sev: SeverityHigh, want: []string{"shared snapshot snap-0c0ffee0123456789 with account 999988887777, outside the organization"}, outside: []string{"999988887777"}},
		{name: "TrailDiscover snapshot unshare", source: "ec2.amazonaws.com", event: "ModifySnapshotAttribute",
			req: `{"attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{"remove":{"items":[{"userId":"123456789012"}]}},"snapshotId":"snap-046281ab24d756c50"}`,
			sev: SeverityLow, remedy: true, want: []string{"stopped sharing snapshot snap-046281ab24d756c50 with 123456789012"}},
		{name: "Panther public AMI", source: "ec2.amazonaws.com", event: "ModifyImageAttribute",
			req: `{"attributeType":"launchPermission","imageId":"ami-1111","launchPermission":{"add":{"items":[{"group":"all"}]}}}`,
			sev: SeverityHigh, public: true, want: []string{"shared machine image (AMI) ami-1111 with everyone (public)"}},
		{name: "Stratus RDS snapshot share", source: "rds.amazonaws.com", event: "ModifyDBSnapshotAttribute",
			req: `{"attributeName":"restore","dBSnapshotIdentifier":"exfiltration","valuesToAdd":["503161813013"]}`,
			sev: SeverityHigh, want: []string{"shared database snapshot exfiltration with account 503161813013, outside the organization"}},
		{name: "sample ingress 0.0.0.0/0 port 22", source: "ec2.amazonaws.com", event: "AuthorizeSecurityGroupIngress",
			req: `{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`,
			sev: SeverityHigh, public: true, want: []string{"opened security group sg-0123456789abcdef0: TCP port 22 to 0.0.0.0/0 (the whole internet)"}},
		{name: "Stratus flat ingress", source: "ec2.amazonaws.com", event: "AuthorizeSecurityGroupIngress",
			req: `{"cidrIp":"208.236.235.254/0","fromPort":22,"groupId":"sg-003dc7f1f1c686164","ipPermissions":{},"ipProtocol":"tcp","toPort":22}`,
			sev: SeverityHigh, want: []string{"TCP port 22 to 208.236.235.254/0 (the whole internet)"}},
		{name: "Panther ingress from one host", source: "ec2.amazonaws.com", event: "AuthorizeSecurityGroupIngress",
			req: `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"127.0.0.1/32","description":"SSH for me"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
			sev: SeverityLow, want: []string{"TCP port 22 to 127.0.0.1/32"}},
		{name: "sample secret", source: "secretsmanager.amazonaws.com", event: "GetSecretValue",
			req: `{"secretId":"arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/payroll/db-AbCdEf"}`,
			sev: SeverityMedium, want: []string{"read the value of secret prod/payroll/db (arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/payroll/db-AbCdEf)"}},
		{name: "Stratus batch secrets", source: "secretsmanager.amazonaws.com", event: "BatchGetSecretValue",
			req: `{"filters":[{"key":"tag-key","values":["StratusRedTeam"]}]}`, sev: SeverityMedium, want: []string{"every secret matching tag-key StratusRedTeam"}},
		{name: "sample access key", source: "iam.amazonaws.com", event: "CreateAccessKey",
			req: `{"userName":"backdoor"}`, resp: `{"accessKey":{"userName":"backdoor","accessKeyId":"AKIAEXAMPLE0000000000","status":"Active"}}`,
			sev: SeverityMedium, want: []string{"created access key AKIAEXAMPLE0000000000 for user backdoor"}},
		{name: "Stratus user", source: "iam.amazonaws.com", event: "CreateUser",
			req:  `{"tags":[{"key":"StratusRedTeam","value":"true"}],"userName":"malicious-iam-user"}`,
			resp: `{"user":{"arn":"arn:aws:iam::229654561268:user/malicious-iam-user","path":"/"}}`,
			sev:  SeverityMedium, want: []string{"created IAM user malicious-iam-user (arn:aws:iam::229654561268:user/malicious-iam-user)"}},
		{name: "sample StopLogging", source: "cloudtrail.amazonaws.com", event: "StopLogging",
			req: `{"name":"arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail"}`, sev: SeverityHigh, want: []string{"stopped logging of trail arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail"}},
		{name: "sample failed StopLogging", source: "cloudtrail.amazonaws.com", event: "StopLogging",
			req: `{"name":"org-trail"}`, errCode: "AccessDenied", sev: SeverityMedium, want: []string{"tried to stop logging of trail org-trail, and it failed (AccessDenied)"}},
		{name: "unknown call", source: "s3.amazonaws.com", event: "GetObject", req: `{}`, sev: "", want: []string{"called GetObject"}},
		{name: "hostile parameters", source: "s3.amazonaws.com", event: "PutBucketAcl", req: `{"bucketName":{"x":1},"x-amz-acl":[1,2,{"a":null}],"AccessControlPolicy":"=cmd|' /C calc'!A0"}`,
			sev: SeverityMedium, want: []string{"not in the log"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Effect(c.source, c.event, c.req, c.resp, c.errCode, org)
			if r.Severity != c.sev {
				t.Errorf("severity %q, want %q (%s)", r.Severity, c.sev, r.Text)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("text %q lacks %q", r.Text, w)
				}
			}
			if r.Remediation != c.remedy || r.Routine != c.routine {
				t.Errorf("remediation %v routine %v, want %v %v (%s)", r.Remediation, r.Routine, c.remedy, c.routine, r.Text)
			}
			if c.public && !r.Public {
				t.Errorf("not public: %s", r.Text)
			}
			if c.outside != nil && strings.Join(r.Outside, ",") != strings.Join(c.outside, ",") {
				t.Errorf("outside %v, want %v", r.Outside, c.outside)
			}
			persist := map[string]bool{"CreateAccessKey": true, "CreateUser": true, "UpdateAssumeRolePolicy": true}[c.event]
			if persist != r.Persistence {
				t.Errorf("persistence %v", r.Persistence)
			}
			if r.Remediation && SeverityRank(r.Severity) < SeverityRank(SeverityLow) {
				t.Errorf("a remediation rated %s", r.Severity)
			}
		})
	}
}

// With the organization's accounts unknown, another account is never
// called inside: a grant to it is rated as one to an unknown actor.
func TestEffectUnknownOrganization(t *testing.T) {
	r := Effect("ec2.amazonaws.com", "ModifySnapshotAttribute",
		`{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}`, "", "", OrgContext{Account: "111122223333"})
	if r.Severity != SeverityHigh || !strings.Contains(r.Text, "whether it belongs to the organization is not known") {
		t.Errorf("%+v", r)
	}
	r = Effect("ec2.amazonaws.com", "ModifySnapshotAttribute",
		`{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"111122223333"}]}}}`, "", "", OrgContext{Account: "111122223333"})
	if r.Severity != SeverityLow || !strings.Contains(r.Text, "inside the organization") {
		t.Errorf("%+v", r)
	}
}

func TestSeverityModelOneLinePerLevel(t *testing.T) {
	lines := strings.Split(SeverityModel, "\n")
	levels := []string{SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}
	if len(lines) != len(levels) {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, levels[i]+": ") {
			t.Errorf("line %d: %q", i, l)
		}
		if SeverityRank(levels[i]) != i {
			t.Errorf("rank of %s", levels[i])
		}
	}
}

// TestEffectOverRealEvents states the effect of every call Effect knows
// in the Stratus Red Team logs and the Panther rule tests: it never
// fails, always words the call, rates it on the model, and rates
// Stratus's attacks as the model says.
func TestEffectOverRealEvents(t *testing.T) {
	type rec struct {
		EventSource, EventName, ErrorCode, RecipientAccountID string
		RequestParameters, ResponseElements                   json.RawMessage
		name                                                  string
	}
	var recs []rec
	files, _ := filepath.Glob("../testdata/stratus/*.json.gz")
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []rec }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fh.Close()
		for _, r := range doc.Records {
			r.name = "stratus " + filepath.Base(f)
			recs = append(recs, r)
		}
	}
	b, err := os.ReadFile("../testdata/panther/rule_tests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var x struct {
			TestName string `json:"test_name"`
			Log      rec    `json:"log"`
		}
		if json.Unmarshal([]byte(line), &x) == nil {
			x.Log.name = "panther " + x.TestName
			recs = append(recs, x.Log)
		}
	}
	if len(files) == 0 || len(recs) < 500 {
		t.Fatalf("%d files, %d records: the test data is missing", len(files), len(recs))
	}
	known := 0
	stratusHigh := map[string]bool{"AttachUserPolicy": true, "AttachRolePolicy": true, "ModifySnapshotAttribute": true, "ModifyImageAttribute": true,
		"ModifyDBSnapshotAttribute": true, "AuthorizeSecurityGroupIngress": true, "StopLogging": true, "DeleteTrail": true, "UpdateAssumeRolePolicy": true,
		"DeleteFlowLogs": true, "LeaveOrganization": true, "PutEventSelectors": true}
	for _, r := range recs {
		res := Effect(r.EventSource, r.EventName, string(r.RequestParameters), string(r.ResponseElements), r.ErrorCode,
			OrgContext{Account: r.RecipientAccountID})
		if !res.Known {
			continue
		}
		known++
		if os.Getenv("EFFECT_PRINT") != "" {
			t.Logf("[%s] %s: %s", res.Severity, r.EventName, res.Text)
		}
		if res.Text == "" || SeverityRank(res.Severity) > 3 || strings.Contains(res.Text, "%!") {
			t.Errorf("%s %s: %+v", r.name, r.EventName, res)
		}
		if strings.HasPrefix(r.name, "stratus") && r.ErrorCode == "" && stratusHigh[r.EventName] && res.Severity != SeverityHigh {
			t.Errorf("%s %s rated %s: %s", r.name, r.EventName, res.Severity, res.Text)
		}
	}
	t.Logf("%d of %d records are calls Effect states", known, len(recs))
	if known < 50 {
		t.Errorf("only %d known calls", known)
	}
}

func TestEffectCalls(t *testing.T) {
	n := 0
	for src, names := range EffectCalls() {
		for _, name := range names {
			n++
			if !KnownEffect(src, name) {
				t.Errorf("%s %s listed but not known", src, name)
			}
		}
	}
	if n != len(effects) || KnownEffect("s3.amazonaws.com", "GetObject") {
		t.Errorf("%d calls listed of %d", n, len(effects))
	}
}

// A policy of thousands of statements is worded in a bounded sentence.
func TestEffectHugePolicyIsBounded(t *testing.T) {
	var sts []string
	for i := 0; i < 5000; i++ {
		sts = append(sts, fmt.Sprintf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%012d:root"},"Action":"s3:GetObject","Resource":"*"}`, 100000000000+i))
	}
	r := Effect("s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b","bucketPolicy":{"Statement":[`+strings.Join(sts, ",")+`]}}`, "", "",
		OrgContext{Accounts: []string{"111122223333"}})
	if r.Severity != SeverityHigh || len(r.Text) > 3000 || !strings.Contains(r.Text, "4990 more") || len(r.Outside) != 5000 {
		t.Errorf("%s (%d chars, %d outside)", r.Severity, len(r.Text), len(r.Outside))
	}
}
