package investigate

// acts.go says what one CloudTrail call did, in plain words, and how grave
// that is: the classifier identity and hunt share, so the same event reads
// the same in both reports. The effect of a call is read from its request
// parameters (which principals a bucket policy lets in, where replication
// copies to, which port a security group opens); the severity follows from
// the effect, not from the API name alone.
//
// The severity names and the parameter readers here are local until the
// shared severity model (severity.go) and effect readers (effects.go) land;
// they are small on purpose so they can be switched over.

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctathena/ctathena/reports"
)

// Severities: the one model of severity.go (SeverityModel). Remediation
// and AWS services' own routine changes are low there, never an attack.
const (
	sevHigh   = SeverityHigh
	sevMedium = SeverityMedium
	sevLow    = SeverityLow
	sevInfo   = SeverityInfo
)

// lower is one step down the scale: a failed attempt at an act is rated
// below the act itself (it is evidence of intent, not of the effect).
func lower(sev string) string {
	switch sev {
	case sevHigh:
		return sevMedium
	case sevMedium:
		return sevLow
	}
	return sevInfo
}

// call is one CloudTrail event as the classifier reads it.
type call struct {
	Time                    time.Time
	EventID                 string
	Source, Name            string
	Principal, SourceIP     string
	Account, Region         string
	ErrorCode, ErrorMessage string
	Request, Response       string
	// Target is what the query named as the call's object, if anything.
	Target string
}

func (c call) failed() bool { return c.ErrorCode != "" }

// act is what a call did.
type act struct {
	// Severity if the call succeeded.
	Severity string
	// Did is the effect, past tense ("stopped CloudTrail logging for trail
	// org-trail"); Try is the same in the infinitive, for a failed call
	// ("stop CloudTrail logging for trail org-trail").
	Did, Try string
	Target   string
	// Kind groups acts of one sort (what was attempted).
	Kind   string
	Attack []string
	// Remediation marks a restrictive change (never rated as an attack);
	// Service marks an AWS service's own routine change; Routine marks a
	// call that is routine for some principals, ranked by rarity against
	// the principal's own baseline.
	Remediation, Service, Routine bool
}

// severityOf is the act's severity for this call.
func (a act) severityOf(c call) string {
	switch {
	case a.Remediation || a.Service:
		return sevLow
	case c.failed():
		return lower(a.Severity)
	}
	return a.Severity
}

// phrase is the act as it happened: "stopped ..." or "tried to stop ...".
func (a act) phrase(c call) string {
	if c.failed() {
		return "tried to " + a.Try
	}
	return a.Did
}

// orgView knows which accounts belong to the organization.
type orgView struct{ accounts map[string]bool }

func newOrgView(accounts []string) orgView {
	o := orgView{accounts: map[string]bool{}}
	for _, a := range accounts {
		o.accounts[a] = true
	}
	return o
}

// outsider describes an account another than the call's own: outside the
// organization when its accounts are known, "another account" otherwise.
// It returns "" for the call's own account or one of the organization's.
func (o orgView) outsider(acct, own string) string {
	switch {
	case acct == "" || acct == own:
		return ""
	case len(o.accounts) > 0 && o.accounts[acct]:
		return ""
	case len(o.accounts) > 0:
		return "account " + acct + " (outside the organization)"
	}
	return "account " + acct + " (another account; the organization's accounts are not known)"
}

func v(did, try string) (string, string) { return did, try }

// callerUser is the IAM user name of the caller; for a role session, its
// session name (SSO and federated sessions are named after the person);
// "" for other principals.
func callerUser(principal string) string {
	if i := strings.Index(principal, ":assumed-role/"); i >= 0 {
		parts := strings.Split(principal[i+1:], "/")
		if len(parts) >= 3 {
			return parts[len(parts)-1]
		}
	}
	if i := strings.Index(principal, ":user/"); i >= 0 {
		n := principal[i+len(":user/"):]
		if j := strings.LastIndex(n, "/"); j >= 0 {
			n = n[j+1:]
		}
		return n
	}
	return ""
}

// classify says what the call did, or false if it is not one of the acts
// the reports state (reads of objects, inventory calls, and the long tail of
// ordinary API use stay on the sheets).
func classify(c call, org orgView) (act, bool) {
	req := jsonObj(c.Request)
	p := func(keys ...string) string { return str(path(req, keys...)) }
	name := normName(c.Name)
	mk := func(sev, kind string, did, try, target string, attack ...string) act {
		return act{Severity: sev, Kind: kind, Did: did, Try: try, Target: target, Attack: attack}
	}
	switch c.Source + " " + name {
	// Logging and detection.
	case "cloudtrail.amazonaws.com StopLogging":
		t := orDefault(p("name"), c.Target)
		return mk(sevHigh, "impair-logging", "stopped CloudTrail logging for trail "+t, "stop CloudTrail logging for trail "+t, t, "TA0005", "T1562.008"), true
	case "cloudtrail.amazonaws.com DeleteTrail":
		t := orDefault(p("name"), c.Target)
		return mk(sevHigh, "impair-logging", "deleted CloudTrail trail "+t, "delete CloudTrail trail "+t, t, "TA0005", "T1562.008"), true
	case "cloudtrail.amazonaws.com UpdateTrail":
		t := orDefault(p("name"), c.Target)
		did, try := v("changed CloudTrail trail "+t, "change CloudTrail trail "+t)
		if b := p("s3BucketName"); b != "" {
			did += " so that it delivers logs to bucket " + b
			try += " to deliver logs to bucket " + b
		}
		return mk(sevMedium, "impair-logging", did, try, t, "TA0005", "T1562.008"), true
	case "cloudtrail.amazonaws.com PutEventSelectors":
		t := orDefault(p("trailName"), c.Target)
		sel := path(req, "eventSelectors")
		mgmtOff, writeOff := false, false
		for _, s := range list(sel) {
			if str(path(s, "includeManagementEvents")) == "false" {
				mgmtOff = true
			}
			if str(path(s, "readWriteType")) == "ReadOnly" {
				writeOff = true
			}
		}
		switch {
		case mgmtOff:
			return mk(sevHigh, "impair-logging", "stopped trail "+t+" from logging management events", "stop trail "+t+" from logging management events", t, "TA0005", "T1562.008"), true
		case writeOff:
			return mk(sevHigh, "impair-logging", "stopped trail "+t+" from logging write events", "stop trail "+t+" from logging write events", t, "TA0005", "T1562.008"), true
		}
		return mk(sevMedium, "impair-logging", "changed which events trail "+t+" logs", "change which events trail "+t+" logs", t, "TA0005", "T1562.008"), true
	case "ec2.amazonaws.com DeleteFlowLogs":
		var ids []string
		for _, f := range list(path(req, "DeleteFlowLogsRequest", "FlowLogId")) {
			if c := str(path(f, "content")); c != "" {
				ids = append(ids, c)
			} else if s, ok := f.(string); ok {
				ids = append(ids, s)
			}
		}
		t := strings.Join(ids, ", ")
		return mk(sevHigh, "impair-logging", "deleted VPC flow logs "+t, "delete VPC flow logs "+t, t, "TA0005", "T1562.008"), true
	case "logs.amazonaws.com DeleteLogGroup":
		t := p("logGroupName")
		return mk(sevHigh, "impair-logging", "deleted CloudWatch log group "+t+" and every log in it", "delete CloudWatch log group "+t, t, "TA0005", "T1562.008", "T1485"), true
	case "logs.amazonaws.com DeleteLogStream":
		t := p("logGroupName") + "/" + p("logStreamName")
		return mk(sevMedium, "impair-logging", "deleted CloudWatch log stream "+t, "delete CloudWatch log stream "+t, t, "TA0005", "T1562.008"), true
	case "route53resolver.amazonaws.com DeleteResolverQueryLogConfig", "route53resolver.amazonaws.com DisassociateResolverQueryLogConfig":
		t := p("resolverQueryLogConfigId")
		return mk(sevHigh, "impair-logging", "ended DNS query logging ("+t+")", "end DNS query logging ("+t+")", t, "TA0005", "T1562.008"), true
	case "guardduty.amazonaws.com DeleteDetector", "guardduty.amazonaws.com DisassociateFromMasterAccount", "guardduty.amazonaws.com DisassociateFromAdministratorAccount",
		"guardduty.amazonaws.com DeleteMembers", "guardduty.amazonaws.com DisassociateMembers", "guardduty.amazonaws.com StopMonitoringMembers",
		"guardduty.amazonaws.com DeletePublishingDestination":
		t := p("detectorId")
		return mk(sevHigh, "impair-detection", "switched GuardDuty threat detection off or narrowed it ("+name+", detector "+t+")", "switch GuardDuty threat detection off ("+name+", detector "+t+")", t, "TA0005", "T1562.001"), true
	case "guardduty.amazonaws.com UpdateDetector":
		t := p("detectorId")
		if p("enable") == "false" {
			return mk(sevHigh, "impair-detection", "disabled GuardDuty detector "+t, "disable GuardDuty detector "+t, t, "TA0005", "T1562.001"), true
		}
		return mk(sevLow, "impair-detection", "changed GuardDuty detector "+t, "change GuardDuty detector "+t, t, "TA0005", "T1562.001"), true
	case "securityhub.amazonaws.com DisableSecurityHub", "securityhub.amazonaws.com BatchDisableStandards", "securityhub.amazonaws.com DisableOrganizationAdminAccount":
		return mk(sevHigh, "impair-detection", "switched Security Hub off or removed its standards ("+name+")", "switch Security Hub off ("+name+")", "", "TA0005", "T1562.001"), true
	case "config.amazonaws.com StopConfigurationRecorder", "config.amazonaws.com DeleteConfigurationRecorder", "config.amazonaws.com DeleteDeliveryChannel":
		t := p("configurationRecorderName") + p("deliveryChannelName")
		return mk(sevHigh, "impair-detection", "stopped AWS Config recording ("+name+" "+t+")", "stop AWS Config recording ("+name+" "+t+")", t, "TA0005", "T1562.001"), true
	case "access-analyzer.amazonaws.com DeleteAnalyzer":
		t := p("analyzerName")
		return mk(sevHigh, "impair-detection", "deleted IAM Access Analyzer "+t, "delete IAM Access Analyzer "+t, t, "TA0005", "T1562.001"), true
	case "monitoring.amazonaws.com DeleteAlarms", "monitoring.amazonaws.com DisableAlarmActions":
		t := strings.Join(strs(path(req, "alarmNames")), ", ")
		return mk(sevMedium, "impair-detection", "silenced CloudWatch alarms "+t+" ("+name+")", "silence CloudWatch alarms "+t, t, "TA0005", "T1562.001"), true
	case "iam.amazonaws.com DeactivateMFADevice", "iam.amazonaws.com DeleteVirtualMFADevice":
		u := p("userName")
		t := p("serialNumber")
		who := "user " + u
		if u == "" {
			who = "device " + t
		}
		return mk(sevHigh, "weaken-mfa", "removed multi-factor authentication ("+name+") from "+who, "remove multi-factor authentication from "+who, orDefault(u, t), "TA0005", "TA0006", "T1556.006"), true
	case "organizations.amazonaws.com LeaveOrganization":
		return mk(sevHigh, "organization", "took account "+c.Account+" out of the organization (and its guard rails)", "take account "+c.Account+" out of the organization", c.Account, "TA0005", "T1666"), true
	case "organizations.amazonaws.com RemoveAccountFromOrganization", "organizations.amazonaws.com DeleteOrganization":
		t := p("accountId")
		return mk(sevHigh, "organization", "removed accounts from the organization ("+name+" "+t+")", "remove accounts from the organization ("+name+" "+t+")", t, "TA0005", "T1666"), true
	case "organizations.amazonaws.com CreateAccount", "organizations.amazonaws.com InviteAccountToOrganization":
		t := orDefault(p("accountName"), p("target", "id"))
		return mk(sevMedium, "organization", "added an account to the organization ("+name+" "+t+")", "add an account to the organization ("+name+" "+t+")", t, "TA0003", "T1666"), true
	case "organizations.amazonaws.com DetachPolicy", "organizations.amazonaws.com DisablePolicyType", "organizations.amazonaws.com DeletePolicy", "organizations.amazonaws.com UpdatePolicy":
		t := orDefault(p("policyId"), p("policyType"))
		return mk(sevMedium, "organization", "changed the organization's guard-rail policies ("+name+" "+t+")", "change the organization's guard-rail policies ("+name+" "+t+")", t, "TA0005", "T1666"), true

	// Privilege.
	case "iam.amazonaws.com AttachUserPolicy", "iam.amazonaws.com AttachRolePolicy", "iam.amazonaws.com AttachGroupPolicy":
		pol := p("policyArn")
		who := principalTarget(req)
		short := pol[strings.LastIndex(pol, "/")+1:]
		switch short {
		case "AdministratorAccess":
			return mk(sevHigh, "grant-privilege", "granted AdministratorAccess (full control of the account) to "+who, "grant AdministratorAccess (full control of the account) to "+who, who, "TA0004", "TA0003", "T1098.003"), true
		case "IAMFullAccess", "PowerUserAccess", "AWSOrganizationsFullAccess":
			return mk(sevHigh, "grant-privilege", "granted "+short+" to "+who, "grant "+short+" to "+who, who, "TA0004", "T1098.003"), true
		}
		return mk(sevMedium, "grant-privilege", "attached policy "+pol+" to "+who, "attach policy "+pol+" to "+who, who, "TA0004", "T1098.003"), true
	case "iam.amazonaws.com PutUserPolicy", "iam.amazonaws.com PutRolePolicy", "iam.amazonaws.com PutGroupPolicy", "iam.amazonaws.com CreatePolicyVersion":
		who := principalTarget(req)
		if name == "CreatePolicyVersion" {
			who = "policy " + p("policyArn")
		}
		if allowsEverything(path(req, "policyDocument")) {
			return mk(sevHigh, "grant-privilege", "granted every action on every resource (an inline policy of Action * and Resource *) to "+who, "grant every action on every resource to "+who, who, "TA0004", "T1098.003"), true
		}
		return mk(sevMedium, "grant-privilege", "wrote policy "+p("policyName")+" for "+who, "write policy "+p("policyName")+" for "+who, who, "TA0004", "T1098.003"), true
	case "iam.amazonaws.com SetDefaultPolicyVersion":
		return mk(sevMedium, "grant-privilege", "switched policy "+p("policyArn")+" to version "+p("versionId"), "switch policy "+p("policyArn")+" to version "+p("versionId"), p("policyArn"), "TA0004", "T1098.003"), true
	case "iam.amazonaws.com AddUserToGroup":
		return mk(sevMedium, "grant-privilege", "added user "+p("userName")+" to group "+p("groupName"), "add user "+p("userName")+" to group "+p("groupName"), p("userName"), "TA0004", "T1098.003"), true
	case "iam.amazonaws.com UpdateAssumeRolePolicy", "iam.amazonaws.com CreateRole":
		role := p("roleName")
		trusted := trustedOutside(c.Account, org, path(req, "policyDocument"), path(req, "assumeRolePolicyDocument"))
		verb, inf := "created role ", "create role "
		if name == "UpdateAssumeRolePolicy" {
			verb, inf = "changed who may assume role ", "change who may assume role "
		}
		if len(trusted) > 0 {
			return mk(sevHigh, "persistence-identity", verb+role+": it now trusts "+joinAnd(trusted), inf+role+" to trust "+joinAnd(trusted), role, "TA0003", "T1098"), true
		}
		return mk(sevMedium, "persistence-identity", verb+role, inf+role, role, "TA0003", "T1098"), true

	// Identities and keys.
	case "iam.amazonaws.com CreateUser":
		u := p("userName")
		return mk(sevMedium, "persistence-identity", "created IAM user "+u, "create IAM user "+u, u, "TA0003", "T1136.003"), true
	case "iam.amazonaws.com CreateAccessKey":
		u := p("userName")
		key := str(path(jsonObj(c.Response), "accessKey", "accessKeyId"))
		keyPart := "an access key"
		if key != "" {
			keyPart = "access key " + key
		}
		if u != "" && u != callerUser(c.Principal) {
			return mk(sevHigh, "persistence-key", "created "+keyPart+" (a long-term credential) for another identity, user "+u, "create a long-term access key for another identity, user "+u, u, "TA0003", "T1098.001"), true
		}
		return mk(sevMedium, "persistence-key", "created "+keyPart+" for itself", "create an access key for itself", orDefault(u, c.Principal), "TA0003", "T1098.001"), true
	case "iam.amazonaws.com CreateLoginProfile", "iam.amazonaws.com UpdateLoginProfile":
		u := p("userName")
		verb, inf := "gave", "give"
		if name == "UpdateLoginProfile" {
			verb, inf = "changed the console password of", "change the console password of"
			if u != "" && u != callerUser(c.Principal) {
				return mk(sevHigh, "persistence-key", verb+" another identity, user "+u, inf+" another identity, user "+u, u, "TA0003", "T1098.001"), true
			}
			return mk(sevMedium, "persistence-key", verb+" user "+orDefault(u, callerUser(c.Principal)), inf+" user "+orDefault(u, callerUser(c.Principal)), u, "TA0003", "T1098.001"), true
		}
		if u != "" && u != callerUser(c.Principal) {
			return mk(sevHigh, "persistence-key", verb+" another identity, user "+u+", a console password", inf+" user "+u+" a console password", u, "TA0003", "T1098.001"), true
		}
		return mk(sevMedium, "persistence-key", verb+" user "+orDefault(u, callerUser(c.Principal))+" a console password", inf+" a console password", u, "TA0003", "T1098.001"), true
	case "rolesanywhere.amazonaws.com CreateTrustAnchor":
		t := orDefault(p("name"), c.Target)
		return mk(sevHigh, "persistence-key", "registered trust anchor "+t+": certificates it signs can obtain AWS credentials from outside AWS", "register trust anchor "+t, t, "TA0003", "T1098.001"), true
	case "rolesanywhere.amazonaws.com CreateProfile":
		t := orDefault(p("name"), c.Target)
		return mk(sevMedium, "persistence-key", "created Roles Anywhere profile "+t, "create Roles Anywhere profile "+t, t, "TA0003", "T1098"), true
	case "ec2.amazonaws.com CreateKeyPair", "ec2.amazonaws.com ImportKeyPair":
		t := p("keyName")
		return mk(sevMedium, "persistence-key", "created EC2 SSH key pair "+t+" ("+name+")", "create EC2 SSH key pair "+t, t, "TA0003", "T1098.004"), true
	case "sts.amazonaws.com GetFederationToken":
		t := orDefault(p("name"), c.Target)
		if strings.Contains(p("policy"), `"*"`) {
			return mk(sevHigh, "persistence-key", "obtained federation credentials "+t+" whose policy allows *", "obtain federation credentials "+t, t, "TA0003", "T1078"), true
		}
		return mk(sevMedium, "persistence-key", "obtained federation credentials "+t, "obtain federation credentials "+t, t, "TA0003", "T1078"), true

	// Data shared out or exposed.
	case "ec2.amazonaws.com ModifySnapshotAttribute", "ec2.amazonaws.com ModifyImageAttribute", "rds.amazonaws.com ModifyDBSnapshotAttribute", "rds.amazonaws.com ModifyDBClusterSnapshotAttribute":
		return shareAct(c, req, org)
	case "s3.amazonaws.com PutBucketPolicy":
		return bucketPolicyAct(c, req, org)
	case "s3.amazonaws.com PutBucketAcl":
		return bucketACLAct(c, req)
	case "s3.amazonaws.com PutBucketReplication":
		return replicationAct(c, req, org)
	case "s3.amazonaws.com DeleteBucketPublicAccessBlock":
		b := orDefault(p("bucketName"), c.Target)
		return mk(sevHigh, "expose-data", "removed the public access block of bucket "+b+": nothing now stops a public policy or ACL from taking effect", "remove the public access block of bucket "+b, b, "TA0005", "TA0010", "T1562.001", "T1530"), true
	case "s3.amazonaws.com PutBucketPublicAccessBlock":
		return publicAccessBlockAct(c, req)
	case "s3.amazonaws.com PutBucketLifecycle", "s3.amazonaws.com PutBucketLifecycleConfiguration":
		return lifecycleAct(c, req)
	case "s3.amazonaws.com DeleteBucket":
		b := orDefault(p("bucketName"), c.Target)
		return mk(sevHigh, "destroy-data", "deleted bucket "+b, "delete bucket "+b, b, "TA0040", "T1485"), true
	case "s3.amazonaws.com PutObject", "s3.amazonaws.com CopyObject", "s3.amazonaws.com CreateMultipartUpload":
		if alg := p("x-amz-server-side-encryption-customer-algorithm"); alg != "" {
			b := p("bucketName") + "/" + p("key")
			return mk(sevHigh, "encrypt-data", "wrote "+b+" encrypted with a key only the caller holds (SSE-C, "+alg+"): the owner cannot read it without that key", "write "+b+" encrypted with a customer key (SSE-C)", b, "TA0040", "T1486"), true
		}
		return act{}, false
	case "s3.amazonaws.com DeleteObjects":
		b := orDefault(p("bucketName"), c.Target)
		return mk(sevHigh, "destroy-data", "deleted objects in bulk from bucket "+b, "delete objects in bulk from bucket "+b, b, "TA0040", "T1485"), true
	case "kms.amazonaws.com ScheduleKeyDeletion":
		k := orDefault(p("keyId"), c.Target)
		days := p("pendingWindowInDays")
		when := ""
		if days != "" {
			when = " in " + days + " days"
		}
		return mk(sevHigh, "destroy-data", "scheduled KMS key "+k+" for deletion"+when+": data encrypted with it becomes unreadable for good", "schedule KMS key "+k+" for deletion", k, "TA0040", "T1485", "T1486"), true
	case "kms.amazonaws.com DisableKey":
		k := orDefault(p("keyId"), c.Target)
		return mk(sevHigh, "destroy-data", "disabled KMS key "+k+": data encrypted with it cannot be read until it is enabled again", "disable KMS key "+k, k, "TA0040", "T1486"), true
	case "ec2.amazonaws.com AuthorizeSecurityGroupIngress":
		return ingressAct(c, req)
	case "lambda.amazonaws.com CreateFunctionUrlConfig", "lambda.amazonaws.com UpdateFunctionUrlConfig":
		f := orDefault(p("functionName"), c.Target)
		if strings.EqualFold(p("authType"), "NONE") {
			return mk(sevHigh, "expose-function", "gave Lambda function "+f+" a public URL anyone can call without signing in", "give Lambda function "+f+" a public URL", f, "TA0003", "TA0001", "T1546", "T1190"), true
		}
		return mk(sevLow, "expose-function", "gave Lambda function "+f+" a URL that needs AWS credentials", "give Lambda function "+f+" a URL", f, "TA0003", "T1546"), true
	case "lambda.amazonaws.com AddPermission":
		f := orDefault(p("functionName"), c.Target)
		who := p("principal")
		switch {
		case who == "*":
			return mk(sevHigh, "expose-function", "allowed anyone (*) to invoke Lambda function "+f, "allow anyone to invoke Lambda function "+f, f, "TA0003", "T1546"), true
		case org.outsider(acctOfARN(who), c.Account) != "":
			return mk(sevHigh, "expose-function", "allowed "+org.outsider(acctOfARN(who), c.Account)+" to invoke Lambda function "+f, "allow another account to invoke Lambda function "+f, f, "TA0003", "T1546"), true
		}
		a := mk(sevLow, "expose-function", "allowed "+who+" to invoke Lambda function "+f, "allow "+who+" to invoke Lambda function "+f, f, "TA0003", "T1546")
		a.Routine = true
		return a, true
	case "lambda.amazonaws.com UpdateFunctionCode", "lambda.amazonaws.com PublishLayerVersion":
		f := orDefault(p("functionName"), p("layerName"))
		did, try := "replaced the code of Lambda function "+f, "replace the code of Lambda function "+f
		if name == "PublishLayerVersion" {
			did, try = "published Lambda layer "+f, "publish Lambda layer "+f
		}
		a := mk(sevMedium, "change-code", did, try, f, "TA0003", "T1546")
		a.Routine = true
		return a, true
	case "lambda.amazonaws.com UpdateFunctionConfiguration":
		f := orDefault(p("functionName"), c.Target)
		if layers := strs(path(req, "layers")); len(layers) > 0 {
			return mk(sevMedium, "change-code", "added layers "+strings.Join(layers, ", ")+" to Lambda function "+f, "add layers to Lambda function "+f, f, "TA0003", "T1546"), true
		}
		a := mk(sevMedium, "change-code", "changed the configuration of Lambda function "+f, "change the configuration of Lambda function "+f, f, "TA0003", "T1546")
		a.Routine = true
		return a, true
	case "ec2.amazonaws.com ModifyInstanceAttribute":
		if path(req, "userData") == nil && p("attribute") != "userData" {
			return act{}, false
		}
		i := orDefault(p("instanceId"), c.Target)
		return mk(sevMedium, "change-code", "replaced the user data of instance "+i+" (code that runs as root at its next start)", "replace the user data of instance "+i, i, "TA0002", "TA0003", "T1037"), true

	// Secrets.
	case "secretsmanager.amazonaws.com GetSecretValue":
		s := secretShortName(p("secretId"))
		return mk(sevMedium, "read-secret", "read the value of secret "+s, "read the value of secret "+s, s, "TA0006", "T1555.006"), true
	case "secretsmanager.amazonaws.com BatchGetSecretValue":
		ids := strs(path(req, "secretIdList"))
		what := "several secrets"
		if len(ids) > 0 {
			var names []string
			for _, s := range ids {
				names = append(names, secretShortName(s))
			}
			what = "secrets " + joinAnd(names)
		}
		return mk(sevMedium, "read-secret", "read the values of "+what, "read the values of "+what, what, "TA0006", "T1555.006"), true
	case "ssm.amazonaws.com GetParameter", "ssm.amazonaws.com GetParameters", "ssm.amazonaws.com GetParametersByPath":
		if p("withDecryption") != "true" {
			return act{}, false
		}
		n := orDefault(p("name"), p("path"))
		if names := strs(path(req, "names")); len(names) > 0 {
			n = names[0]
			if len(names) > 1 {
				n = fmt.Sprintf("%s and %d more", names[0], len(names)-1)
			}
		}
		return mk(sevMedium, "read-secret", "read decrypted parameters "+n, "read decrypted parameters "+n, n, "TA0006", "T1552"), true
	case "secretsmanager.amazonaws.com ListSecrets":
		return mk(sevLow, "read-secret", "listed the account's secrets (their names, not their values)", "list the account's secrets", "", "TA0007", "T1555.006"), true
	case "ec2.amazonaws.com GetPasswordData":
		i := orDefault(p("instanceId"), c.Target)
		return mk(sevMedium, "read-secret", "read the Windows administrator password of instance "+i, "read the Windows administrator password of instance "+i, i, "TA0006", "T1552"), true

	// Movement.
	case "sts.amazonaws.com AssumeRole":
		role := p("roleArn")
		from, to := acctOfARN(c.Principal), acctOfARN(role)
		if from == "" || to == "" || from == to {
			return act{}, false
		}
		return mk(sevMedium, "assume-role", "assumed role "+role+" of another account, "+to+" (session "+p("roleSessionName")+")", "assume role "+role+" of another account, "+to, role, "TA0008", "TA0004", "T1078.004"), true
	case "ssm.amazonaws.com StartSession", "ssm.amazonaws.com SendCommand":
		t := orDefault(p("target"), strings.Join(strs(path(req, "instanceIds")), ", "))
		did, try := "opened a shell session on "+t, "open a shell session on "+t
		if name == "SendCommand" {
			doc := p("documentName")
			did, try = "ran commands ("+doc+") on "+t, "run commands ("+doc+") on "+t
		}
		a := mk(sevMedium, "remote-access", did, try, t, "TA0008", "TA0002", "T1651")
		a.Routine = true
		return a, true
	case "ec2-instance-connect.amazonaws.com SendSSHPublicKey", "ec2-instance-connect.amazonaws.com SendSerialConsoleSSHPublicKey":
		i := orDefault(p("instanceId"), c.Target)
		did := "pushed an SSH key to instance " + i
		if u := p("instanceOSUser"); u != "" {
			did += " for user " + u
		}
		if name == "SendSerialConsoleSSHPublicKey" {
			did = "pushed an SSH key for the serial console of instance " + i
		}
		return mk(sevMedium, "remote-access", did, "push an SSH key to instance "+i, i, "TA0008", "T1021.004"), true
	case "ec2.amazonaws.com EnableSerialConsoleAccess":
		return mk(sevMedium, "remote-access", "enabled EC2 serial console access for the account", "enable EC2 serial console access", "", "TA0008", "T1021.008"), true
	}
	return act{}, false
}

// normName strips an API version suffix (UpdateFunctionCode20150331v2).
func normName(n string) string {
	if i := strings.IndexFunc(n, func(r rune) bool { return r >= '0' && r <= '9' }); i > 0 {
		return n[:i]
	}
	return n
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// actEvent is the Timeline entry of a call.
func actEvent(c call, a act) reports.Event {
	res := "succeeded"
	if c.failed() {
		res = c.ErrorCode
	}
	what := a.Did
	if c.failed() {
		what = "tried to " + a.Try
	}
	return reports.Event{Time: c.Time, EventID: c.EventID, Actor: c.Principal, SourceIP: c.SourceIP,
		Action: what + " (" + c.Name + ")", Target: orDefault(a.Target, c.Target), Result: res,
		Account: c.Account, Region: c.Region}
}

// between opens a statement about calls from first to last: "At T" when
// they fall in one minute, "Between T1 and T2" otherwise.
func between(first, last time.Time) string {
	if when(first) == when(last) {
		return "At " + when(first)
	}
	return "Between " + when(first) + " and " + when(last)
}
