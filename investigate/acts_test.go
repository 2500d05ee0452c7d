package investigate

import (
	"strings"
	"testing"
)

// TestClassifyStatesTheEffect checks, call by call, that the classifier
// reads what the request did and rates it by the severity model: exposure,
// privilege, logging impaired and sharing out are high; a restrictive change
// and an AWS service's own policy are low (never an attack); a failed attempt is one step
// below the act.
func TestClassifyStatesTheEffect(t *testing.T) {
	org := newOrgView([]string{"111122223333", "444455556666"})
	for _, tc := range []struct {
		name     string
		c        call
		sev      string
		contains []string
	}{
		{"policy to outside account", call{Source: "s3.amazonaws.com", Name: "PutBucketPolicy", Account: "111122223333",
			Request: `{"bucketName":"payroll","bucketPolicy":{"Statement":"[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":[\"s3:GetObject\"],\"Resource\":\"arn:aws:s3:::payroll/*\"}]"}}`},
			sevHigh, []string{"999988887777 (outside the organization)", "s3:GetObject", "payroll"}},
		{"policy to org account", call{Source: "s3.amazonaws.com", Name: "PutBucketPolicy", Account: "111122223333",
			Request: `{"bucketName":"shared","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/reader"},"Action":"s3:GetObject"}]}}`},
			sevLow, []string{"only principals of the bucket's own account or organization"}},
		{"cloudtrail's own policy", call{Source: "s3.amazonaws.com", Name: "PutBucketPolicy", Account: "111122223333",
			Request: `{"bucketName":"trail-logs","bucketPolicy":{"Statement":[{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl"},{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject"}]}}`},
			sevLow, []string{"only AWS services in: cloudtrail.amazonaws.com", "routine"}},
		{"public policy", call{Source: "s3.amazonaws.com", Name: "PutBucketPolicy", Account: "111122223333",
			Request: `{"bucketName":"web","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}}`},
			sevHigh, []string{"anyone (*) s3:GetObject"}},
		{"public acl", call{Source: "s3.amazonaws.com", Name: "PutBucketAcl", Request: `{"bucketName":"payroll","x-amz-acl":["public-read"]}`},
			sevHigh, []string{"made bucket payroll public", "public-read"}},
		{"replication out", call{Source: "s3.amazonaws.com", Name: "PutBucketReplication", Account: "111122223333",
			Request: `{"bucketName":"payroll","ReplicationConfiguration":{"Rule":{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::exfil-drop","Account":"999988887777"}}}}`},
			sevHigh, []string{"bucket exfil-drop in account 999988887777 (outside the organization)"}},
		{"replication inside", call{Source: "s3.amazonaws.com", Name: "PutBucketReplication", Account: "111122223333",
			Request: `{"bucketName":"payroll","ReplicationConfiguration":{"Rule":[{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::dr-copy","Account":"444455556666"}}]}}`},
			sevMedium, []string{"bucket dr-copy in account 444455556666"}},
		{"public access block on", call{Source: "s3.amazonaws.com", Name: "PutBucketPublicAccessBlock",
			Request: `{"bucketName":"payroll","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`},
			sevLow, []string{"turned on all four", "restrictive"}},
		{"public access block partly off", call{Source: "s3.amazonaws.com", Name: "PutBucketPublicAccessBlock",
			Request: `{"bucketName":"payroll","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}}`},
			sevMedium, []string{"BlockPublicPolicy off"}},
		{"public access block removed", call{Source: "s3.amazonaws.com", Name: "DeleteBucketPublicAccessBlock", Request: `{"bucketName":"payroll"}`},
			sevHigh, []string{"removed the public access block of bucket payroll"}},
		{"lifecycle one day", call{Source: "s3.amazonaws.com", Name: "PutBucketLifecycle",
			Request: `{"bucketName":"payroll","LifecycleConfiguration":{"Rule":{"Status":"Enabled","Expiration":{"Days":1},"Filter":{"Prefix":""}}}}`},
			sevHigh, []string{"every object deleted 1 day after creation"}},
		{"lifecycle disabled", call{Source: "s3.amazonaws.com", Name: "PutBucketLifecycle",
			Request: `{"bucketName":"payroll","LifecycleConfiguration":{"Rule":{"Status":"Disabled","Expiration":{"Days":1}}}}`},
			sevLow, []string{"no enabled expiration"}},
		{"snapshot share", call{Source: "ec2.amazonaws.com", Name: "ModifySnapshotAttribute", Account: "111122223333",
			Request: `{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}`},
			sevHigh, []string{"shared snapshot snap-1 with account 999988887777 (outside the organization)"}},
		{"snapshot unshare", call{Source: "ec2.amazonaws.com", Name: "ModifySnapshotAttribute", Account: "111122223333",
			Request: `{"snapshotId":"snap-1","createVolumePermission":{"remove":{"items":[{"userId":"999988887777"}]}}}`},
			sevLow, []string{"stopped sharing snapshot snap-1", "undo"}},
		{"ami public", call{Source: "ec2.amazonaws.com", Name: "ModifyImageAttribute",
			Request: `{"imageId":"ami-1","launchPermission":{"add":{"items":[{"group":"all"}]}}}`},
			sevHigh, []string{"everyone (public)"}},
		{"ingress 22 open", call{Source: "ec2.amazonaws.com", Name: "AuthorizeSecurityGroupIngress",
			Request: `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`},
			sevHigh, []string{"tcp port 22 to any address (0.0.0.0/0) in security group sg-1"}},
		{"ingress narrow", call{Source: "ec2.amazonaws.com", Name: "AuthorizeSecurityGroupIngress",
			Request: `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}}`},
			sevMedium, []string{"tcp port 443 to 10.0.0.0/8"}},
		{"admin attached", call{Source: "iam.amazonaws.com", Name: "AttachUserPolicy",
			Request: `{"userName":"backdoor","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`},
			sevHigh, []string{"granted AdministratorAccess", "user backdoor"}},
		{"inline star policy", call{Source: "iam.amazonaws.com", Name: "PutRolePolicy",
			Request: `{"roleName":"r","policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}`},
			sevHigh, []string{"every action on every resource", "role r"}},
		{"key for another user", call{Source: "iam.amazonaws.com", Name: "CreateAccessKey", Principal: "arn:aws:sts::1:assumed-role/ops/x",
			Request: `{"userName":"backdoor"}`, Response: `{"accessKey":{"accessKeyId":"AKIAEXAMPLE"}}`},
			sevHigh, []string{"access key AKIAEXAMPLE", "another identity, user backdoor"}},
		{"key for self", call{Source: "iam.amazonaws.com", Name: "CreateAccessKey", Principal: "arn:aws:iam::1:user/alice", Request: `{"userName":"alice"}`},
			sevMedium, []string{"for itself"}},
		{"stop logging denied", call{Source: "cloudtrail.amazonaws.com", Name: "StopLogging", ErrorCode: "AccessDenied", Request: `{"name":"org-trail"}`},
			sevMedium, []string{"tried to stop CloudTrail logging for trail org-trail"}},
		{"secret read", call{Source: "secretsmanager.amazonaws.com", Name: "GetSecretValue",
			Request: `{"secretId":"arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbC"}`},
			sevMedium, []string{"read the value of secret prod/db-AbC"}},
		{"kms deletion", call{Source: "kms.amazonaws.com", Name: "ScheduleKeyDeletion", Request: `{"keyId":"k1","pendingWindowInDays":7}`},
			sevHigh, []string{"scheduled KMS key k1 for deletion in 7 days"}},
		{"kms disabled", call{Source: "kms.amazonaws.com", Name: "DisableKey", Request: `{"keyId":"k1"}`}, sevHigh, []string{"disabled KMS key k1"}},
		{"mfa removed", call{Source: "iam.amazonaws.com", Name: "DeactivateMFADevice", Request: `{"userName":"alice","serialNumber":"arn:aws:iam::1:mfa/alice"}`},
			sevHigh, []string{"removed multi-factor authentication", "user alice"}},
		{"log group deleted", call{Source: "logs.amazonaws.com", Name: "DeleteLogGroup", Request: `{"logGroupName":"/aws/lambda/x"}`},
			sevHigh, []string{"deleted CloudWatch log group /aws/lambda/x"}},
		{"public function url", call{Source: "lambda.amazonaws.com", Name: "CreateFunctionUrlConfig20211031", Request: `{"functionName":"f","authType":"NONE"}`},
			sevHigh, []string{"public URL anyone can call"}},
		{"invoke for anyone", call{Source: "lambda.amazonaws.com", Name: "AddPermission20150331v2", Request: `{"functionName":"f","principal":"*"}`},
			sevHigh, []string{"allowed anyone (*) to invoke"}},
		{"sse-c write", call{Source: "s3.amazonaws.com", Name: "CopyObject", Request: `{"bucketName":"b","key":"k","x-amz-server-side-encryption-customer-algorithm":"AES256"}`},
			sevHigh, []string{"SSE-C", "cannot read it"}},
		{"role trusting outside", call{Source: "iam.amazonaws.com", Name: "UpdateAssumeRolePolicy", Account: "111122223333",
			Request: `{"roleName":"r","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"}`},
			sevHigh, []string{"trusts account 999988887777 (outside the organization)"}},
		{"org left", call{Source: "organizations.amazonaws.com", Name: "LeaveOrganization", Account: "111122223333"}, sevHigh, []string{"out of the organization"}},
	} {
		a, ok := classify(tc.c, org)
		if !ok {
			t.Errorf("%s: not classified", tc.name)
			continue
		}
		sev, text := a.severityOf(tc.c), a.phrase(tc.c)
		if sev != tc.sev {
			t.Errorf("%s: severity %s, want %s (%s)", tc.name, sev, tc.sev, text)
		}
		for _, want := range tc.contains {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q lacks %q", tc.name, text, want)
			}
		}
		if len(a.Attack) == 0 {
			t.Errorf("%s: no ATT&CK ids", tc.name)
		}
	}
	// Not an act: ordinary reads stay on the sheets.
	for _, c := range []call{{Source: "s3.amazonaws.com", Name: "GetObject"}, {Source: "s3.amazonaws.com", Name: "PutObject", Request: `{"bucketName":"b"}`},
		{Source: "ec2.amazonaws.com", Name: "DescribeInstances"}, {Source: "sts.amazonaws.com", Name: "AssumeRole", Principal: "arn:aws:iam::111122223333:user/a",
			Request: `{"roleArn":"arn:aws:iam::111122223333:role/r"}`}} {
		if a, ok := classify(c, org); ok {
			t.Errorf("%s classified as an act: %q", c.Name, a.Did)
		}
	}
	// Unknown organization: another account is named as such, not as outside.
	a, _ := classify(call{Source: "ec2.amazonaws.com", Name: "ModifySnapshotAttribute", Account: "111122223333",
		Request: `{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"444455556666"}]}}}`}, orgView{})
	if !strings.Contains(a.Did, "another account; the organization's accounts are not known") || a.Severity != sevHigh {
		t.Errorf("share with an unknown organization: %s %q", a.Severity, a.Did)
	}
	// Hostile request parameters never panic and never become an act with
	// an invented effect.
	for _, req := range []string{"", "null", "[]", `{"bucketPolicy":"invalid-json-policy"}`, `{"bucketPolicy":{"Statement":7}}`, `{"ipPermissions":"x"}`} {
		for _, n := range []string{"PutBucketPolicy", "PutBucketAcl", "PutBucketReplication", "PutBucketLifecycle", "AuthorizeSecurityGroupIngress"} {
			src := "s3.amazonaws.com"
			if n == "AuthorizeSecurityGroupIngress" {
				src = "ec2.amazonaws.com"
			}
			a, ok := classify(call{Source: src, Name: n, Request: req}, org)
			if ok && a.Severity == sevHigh {
				t.Errorf("%s with request %q rated high: %q", n, req, a.Did)
			}
		}
	}
}
