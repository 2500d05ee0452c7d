package investigate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// OrgContext is what Effect needs to know about the organization to tell
// inside from outside.
type OrgContext struct {
	// Accounts are the organization's account ids; empty means not known,
	// and then no account but Account is called inside or outside.
	Accounts []string
	// Account is the account the event happened in (recipientAccountId);
	// it is always inside.
	Account string
}

// membership of an account: inside, outside or unknown.
const (
	inside  = "inside"
	outside = "outside"
	unknown = "unknown"
)

func (o OrgContext) where(acct string) string {
	if acct == "" {
		return unknown
	}
	if acct == o.Account {
		return inside
	}
	for _, a := range o.Accounts {
		if a == acct {
			return inside
		}
	}
	if len(o.Accounts) == 0 {
		return unknown
	}
	return outside
}

// EffectResult is what one call did, in plain words.
type EffectResult struct {
	// Text is what the call did, as a clause that follows its actor with
	// no final period ("attached the AWS managed policy AdministratorAccess
	// (full control of the account) to user backdoor"); a caller writes
	// "At <time>, <actor> <Text> (<API>, from <IP>)." A failed call says
	// it was attempted and how it failed.
	Text string
	// Severity is one of the Severity* levels, from what the call did
	// (SeverityModel); "" when Known is false: the caller decides.
	Severity string
	// Remediation: a restrictive change (blocking public access, removing
	// a share, detaching a policy); never rated as an attack.
	Remediation bool
	// Routine: an AWS service's own routine change (CloudTrail's policy on
	// its log bucket), rated low.
	Routine bool
	// Outside names, one per entry, who outside the organization (or of
	// unknown membership) the change reaches: account ids, "everyone
	// (public)", canonical user ids.
	Outside []string
	// Public: the change reaches anyone on the internet.
	Public bool
	// Failed: the call returned an error code.
	Failed bool
	// Known: Effect understands this call; otherwise Text only names it.
	Known bool
}

type effect struct {
	past, base string // "changed", "change": the clause's first verb
	rest       string // the clause after the verb
	then       string // what followed, said only when the call succeeded (": ...")
	sev        string
	remedy     bool
	routine    bool
	outside    []string
	public     bool
}

func (e *effect) reach(who string) {
	for _, o := range e.outside {
		if o == who {
			return
		}
	}
	e.outside = append(e.outside, who)
}

// raise sets the severity to s if s is worse.
func (e *effect) raise(s string) {
	if e.sev == "" || SeverityRank(s) < SeverityRank(e.sev) {
		e.sev = s
	}
}

// Effect states what one CloudTrail call did, from its request parameters
// and response elements (the JSON text of requestParameters and
// responseElements as logged; either may be empty, "null", hostile or not
// JSON at all), and rates it by the severity model. It never fails: what
// it cannot read it says it cannot read.
func Effect(eventSource, eventName, requestParameters, responseElements string, errorCode string, org OrgContext) EffectResult {
	req := parseJSON(requestParameters)
	resp := parseJSON(responseElements)
	f := effects[eventSource+" "+eventName]
	if f == nil {
		return EffectResult{Text: "called " + eventName, Failed: errorCode != ""}
	}
	e := f(req, resp, org)
	out := EffectResult{Severity: e.sev, Remediation: e.remedy, Routine: e.routine, Outside: e.outside,
		Public: e.public, Failed: errorCode != "", Known: true}
	if errorCode != "" {
		out.Text = "tried to " + e.base + e.rest + ", and it failed (" + errorCode + ")"
		out.Severity = lowerSeverity(e.sev)
		out.Outside, out.Public = nil, false
		return out
	}
	out.Text = e.past + e.rest + e.then
	return out
}

var effects = map[string]func(req, resp any, org OrgContext) effect{
	"s3.amazonaws.com PutBucketPolicy":                 bucketPolicyEffect,
	"s3.amazonaws.com DeleteBucketPolicy":              fixed("deleted", "delete", " the bucket policy of %s: whatever it allowed or denied no longer applies", SeverityMedium),
	"s3.amazonaws.com PutBucketAcl":                    aclEffect,
	"s3.amazonaws.com PutObjectAcl":                    aclEffect,
	"s3.amazonaws.com PutBucketPublicAccessBlock":      publicAccessBlockEffect,
	"s3.amazonaws.com DeleteBucketPublicAccessBlock":   fixed("removed", "remove", " the public access block of bucket %s, so public ACLs and policies on it take effect unless the account's own public access block still applies", SeverityHigh),
	"s3.amazonaws.com PutBucketReplication":            replicationEffect,
	"s3.amazonaws.com DeleteBucketReplication":         remedy("removed", "remove", " the replication rules of bucket %s: its new objects are no longer copied elsewhere"),
	"s3.amazonaws.com PutBucketLifecycle":              lifecycleEffect,
	"s3.amazonaws.com PutBucketLifecycleConfiguration": lifecycleEffect,
	"s3.amazonaws.com DeleteBucketLifecycle":           fixed("removed", "remove", " the lifecycle rules of bucket %s: no object is expired or moved automatically any more", SeverityLow),
	"s3.amazonaws.com PutBucketVersioning":             versioningEffect,
	"s3.amazonaws.com PutBucketEncryption":             fixed("set", "set", " the default encryption of bucket %s", SeverityLow),
	"s3.amazonaws.com DeleteBucketEncryption":          fixed("removed", "remove", " the default encryption setting of bucket %s", SeverityMedium),
	"s3.amazonaws.com PutBucketOwnershipControls":      ownershipEffect,
	"s3.amazonaws.com DeleteBucketOwnershipControls":   fixed("removed", "remove", " the object ownership setting of bucket %s (ACLs apply again)", SeverityMedium),
	"s3.amazonaws.com DeleteBucket":                    fixed("deleted", "delete", " bucket %s", SeverityHigh),

	"iam.amazonaws.com AttachUserPolicy":          attachEffect("user", "userName"),
	"iam.amazonaws.com AttachRolePolicy":          attachEffect("role", "roleName"),
	"iam.amazonaws.com AttachGroupPolicy":         attachEffect("group", "groupName"),
	"iam.amazonaws.com DetachUserPolicy":          detachEffect("user", "userName"),
	"iam.amazonaws.com DetachRolePolicy":          detachEffect("role", "roleName"),
	"iam.amazonaws.com DetachGroupPolicy":         detachEffect("group", "groupName"),
	"iam.amazonaws.com PutUserPolicy":             inlinePolicyEffect("user", "userName"),
	"iam.amazonaws.com PutRolePolicy":             inlinePolicyEffect("role", "roleName"),
	"iam.amazonaws.com PutGroupPolicy":            inlinePolicyEffect("group", "groupName"),
	"iam.amazonaws.com CreatePolicyVersion":       policyVersionEffect,
	"iam.amazonaws.com CreateRole":                trustEffect("created", "create", "assumeRolePolicyDocument"),
	"iam.amazonaws.com UpdateAssumeRolePolicy":    trustEffect("changed", "change", "policyDocument"),
	"iam.amazonaws.com CreateUser":                userEffect,
	"iam.amazonaws.com CreateAccessKey":           accessKeyEffect,
	"iam.amazonaws.com CreateLoginProfile":        loginProfileEffect("gave", "give", " user %s a console password"),
	"iam.amazonaws.com UpdateLoginProfile":        loginProfileEffect("changed", "change", " the console password of user %s"),
	"iam.amazonaws.com DeactivateMFADevice":       mfaEffect,
	"ec2.amazonaws.com ModifySnapshotAttribute":   shareEffect("snapshot", "snapshotId", "createVolumePermission"),
	"ec2.amazonaws.com ModifyImageAttribute":      shareEffect("machine image (AMI)", "imageId", "launchPermission"),
	"rds.amazonaws.com ModifyDBSnapshotAttribute": rdsShareEffect("database snapshot", "dBSnapshotIdentifier"),
	"rds.amazonaws.com ModifyDBClusterSnapshotAttribute": rdsShareEffect("database cluster snapshot",
		"dBClusterSnapshotIdentifier"),
	"ec2.amazonaws.com AuthorizeSecurityGroupIngress": ingressEffect,
	"ec2.amazonaws.com RevokeSecurityGroupIngress":    revokeIngressEffect,
	"ec2.amazonaws.com GetPasswordData": func(req, _ any, _ OrgContext) effect {
		return effect{past: "retrieved", base: "retrieve", rest: " the encrypted Windows administrator password of instance " + quoteOr(strAt(req, "instanceId"), "(not logged)"), sev: SeverityMedium}
	},
	"ec2.amazonaws.com DeleteFlowLogs": impair("deleted", "delete", " VPC flow logs %s", "flowLogIds"),

	"secretsmanager.amazonaws.com GetSecretValue":      secretEffect,
	"secretsmanager.amazonaws.com BatchGetSecretValue": batchSecretEffect,
	"ssm.amazonaws.com GetParameter":                   parameterEffect,
	"ssm.amazonaws.com GetParameters":                  parameterEffect,

	"cloudtrail.amazonaws.com StopLogging":       impair("stopped", "stop", " logging of trail %s: CloudTrail records nothing more for it until logging is started again", "name"),
	"cloudtrail.amazonaws.com DeleteTrail":       impair("deleted", "delete", " trail %s: its events are no longer recorded", "name"),
	"cloudtrail.amazonaws.com PutEventSelectors": impair("changed", "change", " which events trail %s records (its event selectors)", "trailName"),
	"cloudtrail.amazonaws.com UpdateTrail": func(req, _ any, _ OrgContext) effect {
		return effect{past: "changed", base: "change", rest: " the settings of trail " + quoteOr(strAt(req, "name"), "(not logged)") + " (where and how it records)", sev: SeverityMedium}
	},
	"cloudtrail.amazonaws.com StartLogging":                      remedy("started", "start", " logging of trail %s", "name"),
	"guardduty.amazonaws.com DeleteDetector":                     impair("deleted", "delete", " GuardDuty detector %s: threat detection stopped", "detectorId"),
	"securityhub.amazonaws.com DisableSecurityHub":               impair("disabled", "disable", " Security Hub%s", ""),
	"config.amazonaws.com StopConfigurationRecorder":             impair("stopped", "stop", " AWS Config recorder %s", "configurationRecorderName"),
	"config.amazonaws.com DeleteConfigurationRecorder":           impair("deleted", "delete", " AWS Config recorder %s", "configurationRecorderName"),
	"config.amazonaws.com DeleteDeliveryChannel":                 impair("deleted", "delete", " AWS Config delivery channel %s", "deliveryChannelName"),
	"access-analyzer.amazonaws.com DeleteAnalyzer":               impair("deleted", "delete", " IAM Access Analyzer %s", "analyzerName"),
	"logs.amazonaws.com DeleteLogGroup":                          impair("deleted", "delete", " CloudWatch log group %s and every log in it", "logGroupName"),
	"route53resolver.amazonaws.com DeleteResolverQueryLogConfig": impair("deleted", "delete", " DNS query logging configuration %s", "resolverQueryLogConfigId"),
	"organizations.amazonaws.com LeaveOrganization":              impair("took", "take", " the account out of its organization%s (its organization-wide guardrails and trail no longer apply)", ""),
	"kms.amazonaws.com ScheduleKeyDeletion":                      kmsDeletionEffect,
	"kms.amazonaws.com DisableKey":                               fixed("disabled", "disable", " KMS key %s: data encrypted under it cannot be decrypted while it stays disabled", SeverityHigh, "keyId"),
}

// fixed is an effect whose words depend on one request parameter only
// (the bucket by default), always at sev.
func fixed(past, base, format, sev string, param ...string) func(req, resp any, org OrgContext) effect {
	p := "bucketName"
	if len(param) > 0 {
		p = param[0]
	}
	format, then := splitThen(format)
	return func(req, _ any, _ OrgContext) effect {
		return effect{past: past, base: base, rest: fmt.Sprintf(format, quoteOr(strAt(req, p), "(not logged)")), then: then, sev: sev}
	}
}

// splitThen cuts a clause's format at its first ": ", the consequence a
// failed call did not have.
func splitThen(format string) (string, string) {
	if i := strings.Index(format, ": "); i >= 0 {
		return format[:i], format[i:]
	}
	return format, ""
}

// remedy is a fixed restrictive change.
func remedy(past, base, format string, param ...string) func(req, resp any, org OrgContext) effect {
	f := fixed(past, base, format, SeverityLow, param...)
	return func(req, resp any, org OrgContext) effect {
		e := f(req, resp, org)
		e.remedy = true
		return e
	}
}

// impair is a fixed change that impairs logging or detection (high). An
// empty param means the clause names no resource.
func impair(past, base, format, param string) func(req, resp any, org OrgContext) effect {
	format, then := splitThen(format)
	return func(req, _ any, _ OrgContext) effect {
		v := ""
		if param != "" {
			v = quoteOr(strAt(req, param), "(not logged)")
			if l := listAt(req, param); len(l) > 0 {
				v = strings.Join(strList(l), ", ")
			}
		}
		return effect{past: past, base: base, rest: fmt.Sprintf(format, v), then: then, sev: SeverityHigh}
	}
}

// --- JSON, read defensively -------------------------------------------

func parseJSON(s string) any {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

// docJSON parses a policy document that may be an object, a JSON string,
// or a URL-encoded JSON string (IAM logs some documents encoded).
func docJSON(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "%7B") || strings.HasPrefix(s, "%7b") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return parseJSON(s)
}

// at walks object keys case-insensitively.
func at(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		x, found := m[k]
		if !found {
			for mk, mv := range m {
				if strings.EqualFold(mk, k) {
					x, found = mv, true
					break
				}
			}
		}
		if !found {
			return nil
		}
		v = x
	}
	return v
}

// scalar renders a JSON scalar as text ("" for objects and null); a
// one-element array counts as its element (S3 logs headers as arrays).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		if len(x) == 1 {
			return scalar(x[0])
		}
	}
	return ""
}

func strAt(v any, path ...string) string { return scalar(at(v, path...)) }

// listAt is the value at path as a list: an array as is, a single value
// as a list of one, nothing as nil. A list nested as {"items": [...]}
// (EC2's style) is unwrapped.
func listAt(v any, path ...string) []any { return asList(at(v, path...)) }

func asList(x any) []any {
	switch y := x.(type) {
	case nil:
		return nil
	case []any:
		return y
	case map[string]any:
		if items, ok := y["items"]; ok && len(y) <= 1 {
			return asList(items)
		}
		return []any{y}
	case string:
		// Some producers log a list as its JSON text.
		if t := strings.TrimSpace(y); strings.HasPrefix(t, "[") {
			if l, ok := parseJSON(t).([]any); ok {
				return l
			}
		}
	}
	return []any{x}
}

func strList(l []any) []string {
	var out []string
	for _, x := range l {
		if s := scalar(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func quoteOr(s, missing string) string {
	if s == "" {
		return missing
	}
	return s
}

// andList joins words as "a, b and c".
func andList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// --- who a policy names ------------------------------------------------

// accountOf is the account id a principal ARN or bare account id names.
func accountOf(p string) string {
	if len(p) == 12 && allDigits(p) {
		return p
	}
	if strings.HasPrefix(p, "arn:") {
		parts := strings.SplitN(p, ":", 6)
		if len(parts) >= 5 && allDigits(parts[4]) && len(parts[4]) == 12 {
			return parts[4]
		}
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// grantee is one principal a policy statement names.
type grantee struct {
	kind string // "public", "account", "service", "federated", "canonical", "other"
	id   string // the ARN, account, service or canonical id
	acct string // the account, for kind "account"
}

func principals(v any) []grantee {
	if s, ok := v.(string); ok {
		if s == "*" {
			return []grantee{{kind: "public", id: "*"}}
		}
		return []grantee{classifyAWS(s)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []grantee
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, s := range strList(asList(m[k])) {
			switch strings.ToLower(k) {
			case "aws":
				if s == "*" {
					out = append(out, grantee{kind: "public", id: "*"})
				} else {
					out = append(out, classifyAWS(s))
				}
			case "service":
				out = append(out, grantee{kind: "service", id: s})
			case "federated":
				out = append(out, grantee{kind: "federated", id: s})
			case "canonicaluser":
				out = append(out, grantee{kind: "canonical", id: s})
			default:
				out = append(out, grantee{kind: "other", id: k + " " + s})
			}
		}
	}
	return out
}

func classifyAWS(s string) grantee {
	if a := accountOf(s); a != "" {
		return grantee{kind: "account", id: s, acct: a}
	}
	return grantee{kind: "other", id: s}
}

// describe names a grantee with its membership, and records whom outside
// the organization it reaches.
func (e *effect) describe(g grantee, org OrgContext) (words, membership string) {
	switch g.kind {
	case "public":
		e.public = true
		e.reach("everyone (public)")
		return "everyone (any principal, anonymous included)", outside
	case "service":
		return "the AWS service " + g.id, inside
	case "account":
		name := "account " + g.acct
		if g.id != g.acct && !strings.HasSuffix(g.id, ":root") {
			name = g.id + " (account " + g.acct + ")"
		}
		switch w := org.where(g.acct); w {
		case outside:
			e.reach(g.acct)
			return name + " (outside the organization)", outside
		case unknown:
			e.reach(g.acct)
			return name + " (whether it belongs to the organization is not known)", unknown
		default:
			return name + " (inside the organization)", inside
		}
	case "canonical":
		e.reach("canonical user " + g.id)
		return "canonical user " + g.id + " (an account that cannot be named from the log)", unknown
	case "federated":
		return "users of the identity provider " + g.id, unknown
	}
	return g.id, unknown
}

// conditionKeys lists a statement's condition keys (aws:PrincipalOrgID,
// aws:SourceArn, ...), which narrow who a grant reaches.
func conditionKeys(st any) []string {
	c, ok := at(st, "Condition").(map[string]any)
	if !ok {
		return nil
	}
	var keys []string
	for _, ops := range c {
		if m, ok := ops.(map[string]any); ok {
			for k := range m {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return uniq(keys)
}

func statements(doc any) []any {
	return asList(docJSON(at(doc, "Statement")))
}

func actionsOf(st any) (string, []string) {
	if a := strList(asList(at(st, "Action"))); len(a) > 0 {
		return "", a
	}
	if a := strList(asList(at(st, "NotAction"))); len(a) > 0 {
		return "every action except ", a
	}
	return "", nil
}

// routineServices are AWS services whose bucket-policy grants are their
// own log or report delivery.
var routineServices = map[string]string{
	"cloudtrail.amazonaws.com":           "CloudTrail's log delivery",
	"config.amazonaws.com":               "AWS Config's delivery",
	"logging.s3.amazonaws.com":           "S3 server access log delivery",
	"delivery.logs.amazonaws.com":        "AWS log delivery",
	"s3.amazonaws.com":                   "S3 inventory or replication",
	"elasticloadbalancing.amazonaws.com": "load balancer access log delivery",
}

// --- S3 ------------------------------------------------------------------

func bucketPolicyEffect(req, _ any, org OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	e := effect{past: "changed", base: "change"}
	doc := docJSON(at(req, "bucketPolicy"))
	sts := statements(doc)
	if len(sts) == 0 {
		e.rest = " the bucket policy of " + bucket + " (the new policy is not in the log)"
		e.sev = SeverityMedium
		return e
	}
	var grants, denies []string
	services := map[string]bool{}
	allService, anyAllow := true, false
	for _, st := range sts {
		eff := strAt(st, "Effect")
		prefix, acts := actionsOf(st)
		act := prefix + andList(uniq(acts))
		if act == "" {
			act = "(no action named)"
		}
		if strings.EqualFold(eff, "Deny") {
			d := "denies " + act
			if keys := conditionKeys(st); len(keys) > 0 {
				d += " when " + andList(keys) + " says so"
			}
			denies = append(denies, d)
			continue
		}
		anyAllow = true
		conds := conditionKeys(st)
		for _, g := range principals(at(st, "Principal")) {
			if g.kind != "service" || routineServices[g.id] == "" {
				allService = false
			} else {
				services[g.id] = true
			}
			words, m := e.describe(g, org)
			grant := words + " may " + act
			if len(conds) > 0 {
				grant += " (only when " + andList(conds) + " match)"
			}
			grants = append(grants, grant)
			switch {
			case m == outside && g.kind == "public" && len(conds) > 0:
				e.raise(SeverityMedium)
			case m == outside, m == unknown && g.kind != "federated":
				e.raise(SeverityHigh)
			case m == unknown:
				e.raise(SeverityMedium)
			case g.kind == "service":
				e.raise(SeverityLow)
			default:
				e.raise(SeverityMedium)
			}
		}
	}
	switch {
	case anyAllow && allService && len(services) > 0:
		var whose []string
		for s := range services {
			whose = append(whose, routineServices[s])
		}
		sort.Strings(whose)
		e.routine, e.sev = true, SeverityLow
		e.rest = " the bucket policy of " + bucket + " to the routine policy for " + andList(uniq(whose)) + " (" + strings.Join(grants, "; ") + ")"
	case !anyAllow:
		e.remedy, e.sev = true, SeverityLow
		e.rest = " the bucket policy of " + bucket + " to one that only restricts access: it " + andList(denies)
	default:
		e.rest = " the bucket policy of " + bucket + ": " + strings.Join(grants, "; ")
		if len(denies) > 0 {
			e.rest += "; it also " + andList(denies)
		}
	}
	return e
}

var aclGroups = map[string]string{
	"http://acs.amazonaws.com/groups/global/AllUsers":           "everyone on the internet",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "anyone with an AWS account",
	"http://acs.amazonaws.com/groups/s3/LogDelivery":            "S3 log delivery",
}

func aclEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	target := "bucket " + bucket
	key := strAt(req, "key")
	if key != "" {
		target = "object " + bucket + "/" + key
	}
	e := effect{past: "set", base: "set"}
	var parts []string
	public := func() {
		e.public = true
		e.reach("everyone (public)")
		e.raise(SeverityHigh)
	}
	if canned := strAt(req, "x-amz-acl"); canned != "" {
		what := "read it"
		if key == "" {
			what = "list its objects"
		}
		switch canned {
		case "public-read":
			public()
			parts = append(parts, "public-read: everyone on the internet may "+what)
		case "public-read-write":
			public()
			parts = append(parts, "public-read-write: everyone on the internet may "+what+" and write to it")
		case "authenticated-read":
			public()
			parts = append(parts, "authenticated-read: anyone with an AWS account may "+what)
		case "private", "bucket-owner-full-control", "bucket-owner-read":
			e.remedy = true
			e.raise(SeverityLow)
			parts = append(parts, canned+": only the owner has access")
		case "log-delivery-write":
			e.routine = true
			e.raise(SeverityLow)
			parts = append(parts, canned+": S3 log delivery may write it")
		default:
			e.raise(SeverityMedium)
			parts = append(parts, canned)
		}
	}
	for _, h := range []string{"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"} {
		for _, v := range strList(asList(at(req, h))) {
			for _, g := range strings.Split(v, ",") {
				g = strings.TrimSpace(g)
				perm := strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(h, "x-amz-grant-"), "-", "_"))
				parts = append(parts, e.aclGrant(g, perm))
			}
		}
	}
	owner := strAt(req, "AccessControlPolicy", "Owner", "ID")
	for _, gr := range asList(at(req, "AccessControlPolicy", "AccessControlList", "Grant")) {
		perm := strAt(gr, "Permission")
		ge := at(gr, "Grantee")
		switch {
		case strAt(ge, "URI") != "":
			parts = append(parts, e.aclGrant("uri="+strAt(ge, "URI"), perm))
		case strAt(ge, "ID") != "" && strAt(ge, "ID") == owner:
			e.raise(SeverityLow)
		case strAt(ge, "ID") != "":
			parts = append(parts, e.aclGrant("id="+strAt(ge, "ID"), perm))
		case strAt(ge, "EmailAddress") != "":
			parts = append(parts, e.aclGrant("emailAddress="+strAt(ge, "EmailAddress"), perm))
		}
	}
	if len(parts) == 0 {
		if e.sev == SeverityLow {
			e.remedy = true
			e.rest = " the ACL of " + target + " so that only its owner has access"
			return e
		}
		e.sev = SeverityMedium
		e.rest = " the ACL of " + target + " (the grants are not in the log)"
		return e
	}
	e.rest = " the ACL of " + target + " to " + strings.Join(uniq(parts), "; ")
	return e
}

// aclGrant words one ACL grant ("uri=...", "id=...", "emailAddress=...").
func (e *effect) aclGrant(g, perm string) string {
	k, v, _ := strings.Cut(g, "=")
	v = strings.Trim(v, `"`)
	switch strings.ToLower(k) {
	case "uri":
		who := aclGroups[v]
		if who == "" {
			who = "group " + v
		}
		if strings.HasSuffix(v, "/AllUsers") || strings.HasSuffix(v, "/AuthenticatedUsers") {
			e.public = true
			e.reach("everyone (public)")
			e.raise(SeverityHigh)
		} else {
			e.routine = strings.HasSuffix(v, "/LogDelivery")
			e.raise(SeverityLow)
		}
		return who + " is granted " + perm
	case "id":
		e.reach("canonical user " + v)
		e.raise(SeverityMedium)
		return "canonical user " + v + " (another account) is granted " + perm
	case "emailaddress":
		e.reach("AWS account of " + v)
		e.raise(SeverityMedium)
		return "the AWS account of " + v + " is granted " + perm
	}
	e.raise(SeverityMedium)
	return g + " is granted " + perm
}

func publicAccessBlockEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	cfg := at(req, "PublicAccessBlockConfiguration")
	names := []struct{ key, words string }{
		{"BlockPublicAcls", "block public ACLs"},
		{"IgnorePublicAcls", "ignore public ACLs"},
		{"BlockPublicPolicy", "block public policies"},
		{"RestrictPublicBuckets", "restrict public buckets"},
	}
	var on, off []string
	for _, n := range names {
		switch strings.ToLower(strAt(cfg, n.key)) {
		case "true":
			on = append(on, n.words)
		case "false":
			off = append(off, n.words)
		}
	}
	e := effect{past: "set", base: "set"}
	switch {
	case len(on) == 0 && len(off) == 0:
		e.rest = " the public access block of bucket " + bucket + " (its settings are not in the log)"
		e.sev = SeverityMedium
	case len(off) == 0:
		e.past, e.base = "turned on", "turn on"
		e.rest = " the public access block of bucket " + bucket + " (" + andList(on) + "): a restrictive change"
		e.sev, e.remedy = SeverityLow, true
	case len(on) == 0:
		e.past, e.base = "turned off", "turn off"
		e.rest = " every public access block setting of bucket " + bucket + ", so public ACLs and policies on it take effect unless the account's own public access block still applies"
		e.sev = SeverityHigh
	default:
		e.rest = " the public access block of bucket " + bucket + ": on " + andList(on) + ", off " + andList(off)
		e.sev = SeverityMedium
	}
	return e
}

func bucketFromARN(s string) string {
	return strings.TrimPrefix(s, "arn:aws:s3:::")
}

func replicationEffect(req, _ any, org OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	e := effect{past: "set", base: "set"}
	rules := listAt(req, "ReplicationConfiguration", "Rule")
	var dests []string
	for _, r := range rules {
		if strings.EqualFold(strAt(r, "Status"), "Disabled") {
			continue
		}
		db := bucketFromARN(strAt(r, "Destination", "Bucket"))
		acct := strAt(r, "Destination", "Account")
		d := "bucket " + quoteOr(db, "(not named)")
		switch w := org.where(acct); {
		case acct == "":
			d += " (the request does not name the destination's account, so whether it is outside the organization cannot be told)"
			e.reach("bucket " + db)
			e.raise(SeverityHigh)
		case w == outside:
			d += " of account " + acct + ", outside the organization"
			e.reach(acct)
			e.raise(SeverityHigh)
		case w == unknown:
			d += " of account " + acct + " (whether it belongs to the organization is not known)"
			e.reach(acct)
			e.raise(SeverityHigh)
		default:
			d += " of account " + acct + " (inside the organization)"
			e.raise(SeverityMedium)
		}
		if p := strAt(r, "Filter", "Prefix"); p != "" {
			d += " (objects under " + p + ")"
		} else if p := strAt(r, "Prefix"); p != "" {
			d += " (objects under " + p + ")"
		}
		dests = append(dests, d)
	}
	switch {
	case len(rules) == 0:
		e.rest = " replication on bucket " + bucket + " (the rules are not in the log)"
		e.sev = SeverityMedium
	case len(dests) == 0:
		e.rest = " replication rules on bucket " + bucket + " that are all disabled"
		e.sev = SeverityLow
	default:
		e.rest = " replication on bucket " + bucket + ": every object written to it from then on is copied to " + andList(uniq(dests)) + ", with no GetObject call logged for the copies"
	}
	return e
}

func lifecycleEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	e := effect{past: "set", base: "set"}
	rules := listAt(req, "LifecycleConfiguration", "Rule")
	var parts []string
	for _, r := range rules {
		if strings.EqualFold(strAt(r, "Status"), "Disabled") {
			continue
		}
		scope := "every object"
		p := strAt(r, "Filter", "Prefix")
		if p == "" {
			p = strAt(r, "Prefix")
		}
		if p == "" {
			p = strAt(r, "Filter", "And", "Prefix")
		}
		if p != "" {
			scope = "objects under " + strconv.Quote(p)
		}
		rule := ""
		if id := strAt(r, "ID"); id != "" {
			rule = " (rule " + strconv.Quote(id) + ")"
		}
		if d := strAt(r, "Expiration", "Days"); d != "" {
			n, _ := strconv.Atoi(d)
			parts = append(parts, scope+" is deleted "+plural(int64(n), "day", "days")+" after it is created"+rule)
			if n <= 7 {
				e.raise(SeverityHigh)
			} else {
				e.raise(SeverityMedium)
			}
		} else if d := strAt(r, "Expiration", "Date"); d != "" {
			parts = append(parts, scope+" is deleted on "+d+rule)
			e.raise(SeverityHigh)
		}
		if d := strAt(r, "NoncurrentVersionExpiration", "NoncurrentDays"); d != "" {
			n, _ := strconv.Atoi(d)
			parts = append(parts, "old versions of "+scope+" are deleted "+plural(int64(n), "day", "days")+" after they are replaced"+rule)
			if n <= 7 {
				e.raise(SeverityHigh)
			} else {
				e.raise(SeverityMedium)
			}
		}
		for _, t := range listAt(r, "Transition") {
			if d, sc := strAt(t, "Days"), strAt(t, "StorageClass"); d != "" || sc != "" {
				n, _ := strconv.Atoi(d)
				parts = append(parts, scope+" moves to storage class "+quoteOr(sc, "(not named)")+" after "+plural(int64(n), "day", "days")+rule)
				e.raise(SeverityLow)
			}
		}
		if d := strAt(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation"); d != "" {
			parts = append(parts, "unfinished uploads are cleaned up after "+d+" days"+rule)
			e.raise(SeverityLow)
		}
	}
	switch {
	case len(rules) == 0:
		e.rest = " lifecycle rules on bucket " + bucket + " (the rules are not in the log)"
		e.sev = SeverityMedium
	case len(parts) == 0:
		e.rest = " lifecycle rules on bucket " + bucket + " that are all disabled or do nothing"
		e.sev = SeverityLow
	default:
		e.rest = " lifecycle rules on bucket " + bucket + ": " + andList(parts)
	}
	return e
}

func versioningEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	switch strings.ToLower(strAt(req, "VersioningConfiguration", "Status")) {
	case "suspended":
		return effect{past: "suspended", base: "suspend", rest: " versioning of bucket " + bucket + ": objects overwritten or deleted from then on are not kept", sev: SeverityMedium}
	case "enabled":
		return effect{past: "enabled", base: "enable", rest: " versioning of bucket " + bucket + ": overwritten and deleted objects are kept", sev: SeverityLow, remedy: true}
	}
	return effect{past: "changed", base: "change", rest: " the versioning of bucket " + bucket + " (the setting is not in the log)", sev: SeverityMedium}
}

func ownershipEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	v := strAt(req, "OwnershipControls", "Rule", "ObjectOwnership")
	if v == "BucketOwnerEnforced" {
		return effect{past: "disabled", base: "disable", rest: " ACLs on bucket " + bucket + " (object ownership BucketOwnerEnforced): a restrictive change", sev: SeverityLow, remedy: true}
	}
	return effect{past: "set", base: "set", rest: " the object ownership of bucket " + bucket + " to " + quoteOr(v, "(not logged)"), sev: SeverityLow}
}

// --- IAM -----------------------------------------------------------------

// privilegedPolicies are AWS managed policies that grant control of the
// account or of its identities.
var privilegedPolicies = map[string]string{
	"AdministratorAccess":        "full control of the account",
	"IAMFullAccess":              "full control of the account's users, roles and policies",
	"PowerUserAccess":            "full access to every service except IAM",
	"AWSOrganizationsFullAccess": "full control of the organization",
}

func policyName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func attachEffect(kind, param string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, _ OrgContext) effect {
		arn := strAt(req, "policyArn")
		name := policyName(arn)
		who := kind + " " + quoteOr(strAt(req, param), "(not logged)")
		managed := "the policy "
		if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
			managed = "the AWS managed policy "
		}
		e := effect{past: "attached", base: "attach", rest: " " + managed + quoteOr(name, "(not logged)")}
		switch {
		case privilegedPolicies[name] != "":
			e.rest += " (" + privilegedPolicies[name] + ") to " + who
			e.sev = SeverityHigh
		case strings.HasPrefix(name, "AWSCompromisedKeyQuarantine") || name == "AWSDenyAll":
			e.rest += " (it denies the " + kind + " most actions: a quarantine) to " + who
			e.sev, e.remedy = SeverityLow, true
		default:
			e.rest += " to " + who
			e.sev = SeverityMedium
		}
		return e
	}
}

func detachEffect(kind, param string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, _ OrgContext) effect {
		name := policyName(strAt(req, "policyArn"))
		return effect{past: "detached", base: "detach", rest: " the policy " + quoteOr(name, "(not logged)") + " from " + kind + " " + quoteOr(strAt(req, param), "(not logged)"),
			sev: SeverityLow, remedy: true}
	}
}

// powerful are actions that amount to control of the account's
// identities when allowed on every resource.
var powerful = map[string]bool{
	"iam:*": true, "iam:passrole": true, "iam:attachuserpolicy": true, "iam:attachrolepolicy": true,
	"iam:putuserpolicy": true, "iam:putrolepolicy": true, "iam:createaccesskey": true, "iam:createpolicyversion": true,
	"iam:updateassumerolepolicy": true, "iam:createloginprofile": true, "iam:updateloginprofile": true, "sts:assumerole": true,
	"organizations:*": true,
}

// documentEffect words what an identity policy document allows: full
// administrator rights, control of identities, or the actions named.
func documentEffect(doc any) (words, sev string, restrictive bool) {
	sts := statements(doc)
	if len(sts) == 0 {
		return "(the policy document is not in the log)", SeverityMedium, false
	}
	var allows, denies []string
	sev = ""
	raise := func(s string) {
		if sev == "" || SeverityRank(s) < SeverityRank(sev) {
			sev = s
		}
	}
	for _, st := range sts {
		prefix, acts := actionsOf(st)
		res := strList(asList(at(st, "Resource")))
		allRes := false
		for _, r := range res {
			if r == "*" {
				allRes = true
			}
		}
		if strings.EqualFold(strAt(st, "Effect"), "Deny") {
			denies = append(denies, prefix+andList(uniq(acts)))
			continue
		}
		star, power := false, false
		for _, a := range acts {
			if a == "*" || a == "*:*" {
				star = true
			}
			if powerful[strings.ToLower(a)] {
				power = true
			}
		}
		on := "on " + andList(uniq(res))
		if allRes {
			on = "on every resource (*)"
		}
		switch {
		case prefix != "" && allRes:
			allows = append(allows, "allows "+prefix+andList(uniq(acts))+" "+on)
			raise(SeverityHigh)
		case star && allRes:
			allows = append(allows, "allows every action (*) on every resource (*): full administrator rights")
			raise(SeverityHigh)
		case star, power && allRes:
			allows = append(allows, "allows "+andList(uniq(acts))+" "+on)
			raise(SeverityHigh)
		default:
			allows = append(allows, "allows "+andList(uniq(acts))+" "+on)
			raise(SeverityMedium)
		}
	}
	if len(allows) == 0 {
		return "that only denies " + andList(denies), SeverityLow, true
	}
	words = "that " + andList(allows)
	if len(denies) > 0 {
		words += ", and denies " + andList(denies)
	}
	return words, sev, false
}

func inlinePolicyEffect(kind, param string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, _ OrgContext) effect {
		words, sev, restrictive := documentEffect(docJSON(at(req, "policyDocument")))
		name := quoteOr(strAt(req, "policyName"), "(not named)")
		return effect{past: "gave", base: "give", rest: " " + kind + " " + quoteOr(strAt(req, param), "(not logged)") + " the inline policy " + name + " " + words,
			sev: sev, remedy: restrictive}
	}
}

func policyVersionEffect(req, _ any, _ OrgContext) effect {
	words, sev, restrictive := documentEffect(docJSON(at(req, "policyDocument")))
	arn := quoteOr(strAt(req, "policyArn"), "(not logged)")
	if strings.EqualFold(strAt(req, "setAsDefault"), "true") {
		return effect{past: "replaced", base: "replace", rest: " policy " + arn + " (new default version) with one " + words, sev: sev, remedy: restrictive}
	}
	return effect{past: "added", base: "add", rest: " a version (not the default, so not in force) of policy " + arn + " " + words, sev: lowerSeverity(sev)}
}

func trustEffect(past, base, param string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, org OrgContext) effect {
		role := quoteOr(strAt(req, "roleName"), "(not logged)")
		e := effect{past: past, base: base}
		var who []string
		for _, st := range statements(docJSON(at(req, param))) {
			if strings.EqualFold(strAt(st, "Effect"), "Deny") {
				continue
			}
			conds := conditionKeys(st)
			for _, g := range principals(at(st, "Principal")) {
				w, m := e.describe(g, org)
				if len(conds) > 0 {
					w += " (when " + andList(conds) + " match)"
				}
				who = append(who, w)
				switch {
				case m == outside && g.kind == "public" && len(conds) > 0:
					e.raise(SeverityMedium)
				case m == outside, m == unknown && g.kind == "account":
					e.raise(SeverityHigh)
				case g.kind == "service":
					e.raise(SeverityLow)
				default:
					e.raise(SeverityMedium)
				}
			}
		}
		created := past == "created"
		if created {
			e.rest = " role " + role
		} else {
			e.rest = " the trust policy of role " + role
		}
		switch {
		case len(who) == 0:
			e.rest += " (the trust policy is not in the log)"
			e.raise(SeverityMedium)
		case created:
			e.rest += ", which " + andList(uniq(who)) + " may assume"
		default:
			e.rest += ": " + andList(uniq(who)) + " may now assume it"
		}
		return e
	}
}

func userEffect(req, resp any, _ OrgContext) effect {
	name := quoteOr(strAt(req, "userName"), "(not logged)")
	rest := " IAM user " + name
	if arn := strAt(resp, "user", "arn"); arn != "" {
		rest += " (" + arn + ")"
	}
	return effect{past: "created", base: "create", rest: rest, sev: SeverityMedium}
}

func accessKeyEffect(req, resp any, _ OrgContext) effect {
	user := strAt(req, "userName")
	if user == "" {
		user = strAt(resp, "accessKey", "userName")
	}
	who := "user " + user
	if user == "" {
		who = "the caller itself"
	}
	key := strAt(resp, "accessKey", "accessKeyId")
	rest := " an access key"
	if key != "" {
		rest = " access key " + key
	}
	return effect{past: "created", base: "create", rest: rest + " for " + who + ": a long-term credential that works until it is deleted", sev: SeverityMedium}
}

func loginProfileEffect(past, base, format string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, _ OrgContext) effect {
		return effect{past: past, base: base, rest: fmt.Sprintf(format, quoteOr(strAt(req, "userName"), "(not logged)")), sev: SeverityMedium}
	}
}

func mfaEffect(req, _ any, _ OrgContext) effect {
	return effect{past: "removed", base: "remove", rest: " the MFA device " + quoteOr(strAt(req, "serialNumber"), "(not logged)") + " of user " + quoteOr(strAt(req, "userName"), "(not logged)") + ": sign-in no longer needs it", sev: SeverityHigh}
}

// --- sharing ---------------------------------------------------------------

// sharedWith words a list of share targets (account ids, "all",
// organization ARNs) and rates them.
func (e *effect) sharedWith(targets []string, org OrgContext) []string {
	var out []string
	for _, t := range targets {
		switch {
		case strings.EqualFold(t, "all"):
			e.public = true
			e.reach("everyone (public)")
			e.raise(SeverityHigh)
			out = append(out, "everyone (public)")
		case strings.HasPrefix(t, "arn:aws:organizations::"):
			e.raise(SeverityMedium)
			out = append(out, t)
		default:
			switch org.where(t) {
			case outside:
				e.reach(t)
				e.raise(SeverityHigh)
				out = append(out, "account "+t+", outside the organization")
			case unknown:
				e.reach(t)
				e.raise(SeverityHigh)
				out = append(out, "account "+t+" (whether it belongs to the organization is not known)")
			default:
				e.raise(SeverityLow)
				out = append(out, "account "+t+" (inside the organization)")
			}
		}
	}
	return out
}

func shareTargets(items []any) []string {
	var out []string
	for _, it := range items {
		for _, k := range []string{"userId", "group", "organizationArn", "organizationalUnitArn"} {
			if v := strAt(it, k); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func shareEffect(what, idParam, attr string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, org OrgContext) effect {
		id := quoteOr(strAt(req, idParam), "(not logged)")
		add := shareTargets(listAt(req, attr, "add"))
		remove := shareTargets(listAt(req, attr, "remove"))
		return shareWords(what, id, add, remove, org)
	}
}

func rdsShareEffect(what, idParam string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, org OrgContext) effect {
		id := quoteOr(strAt(req, idParam), "(not logged)")
		return shareWords(what, id, strList(listAt(req, "valuesToAdd")), strList(listAt(req, "valuesToRemove")), org)
	}
}

func shareWords(what, id string, add, remove []string, org OrgContext) effect {
	e := effect{}
	switch {
	case len(add) > 0:
		e.past, e.base = "shared", "share"
		e.rest = " " + what + " " + id + " with " + andList(e.sharedWith(add, org))
		if len(remove) > 0 {
			e.rest += ", and stopped sharing it with " + andList(remove)
		}
	case len(remove) > 0:
		e.past, e.base = "stopped", "stop"
		e.rest = " sharing " + what + " " + id + " with " + andList(remove)
		e.sev, e.remedy = SeverityLow, true
	default:
		e.past, e.base = "changed", "change"
		e.rest = " the permissions of " + what + " " + id + " (no account added or removed)"
		e.sev = SeverityLow
	}
	return e
}

// --- network ---------------------------------------------------------------

type ingress struct{ proto, from, to, cidr string }

func ingressRules(req any) []ingress {
	var out []ingress
	for _, p := range listAt(req, "ipPermissions") {
		base := ingress{proto: strAt(p, "ipProtocol"), from: strAt(p, "fromPort"), to: strAt(p, "toPort")}
		for _, r := range listAt(p, "ipRanges") {
			if c := strAt(r, "cidrIp"); c != "" {
				x := base
				x.cidr = c
				out = append(out, x)
			}
		}
		for _, r := range listAt(p, "ipv6Ranges") {
			if c := strAt(r, "cidrIpv6"); c != "" {
				x := base
				x.cidr = c
				out = append(out, x)
			}
		}
		for _, g := range listAt(p, "groups") {
			if id := strAt(g, "groupId"); id != "" {
				x := base
				x.cidr = "security group " + id
				out = append(out, x)
			}
		}
		for _, g := range listAt(p, "prefixListIds") {
			if id := strAt(g, "prefixListId"); id != "" {
				x := base
				x.cidr = "prefix list " + id
				out = append(out, x)
			}
		}
	}
	// The older flat form: one rule in the top-level parameters.
	if c := strAt(req, "cidrIp"); c != "" {
		out = append(out, ingress{proto: strAt(req, "ipProtocol"), from: strAt(req, "fromPort"), to: strAt(req, "toPort"), cidr: c})
	}
	return out
}

func (r ingress) ports() string {
	switch strings.ToLower(r.proto) {
	case "-1", "all":
		return "all traffic"
	case "icmp", "1", "icmpv6", "58":
		return "ICMP"
	}
	proto := strings.ToUpper(r.proto)
	if proto == "" {
		proto = "TCP"
	}
	if r.from == r.to || r.to == "" {
		return proto + " port " + r.from
	}
	if r.from == "0" && r.to == "65535" {
		return "every " + proto + " port"
	}
	return proto + " ports " + r.from + "-" + r.to
}

// openness rates a CIDR: the whole internet, public addresses, or private.
func openness(cidr string) (string, string) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return cidr, SeverityLow // a security group or prefix list
	}
	if p.Bits() == 0 {
		return cidr + " (the whole internet)", SeverityHigh
	}
	if a := p.Masked().Addr(); a.IsPrivate() || a.IsLoopback() {
		return cidr + " (private addresses)", SeverityLow
	}
	return cidr, SeverityMedium
}

func ingressEffect(req, _ any, _ OrgContext) effect {
	g := quoteOr(strAt(req, "groupId"), quoteOr(strAt(req, "groupName"), "(not logged)"))
	e := effect{past: "opened", base: "open"}
	var parts []string
	for _, r := range ingressRules(req) {
		w, sev := openness(r.cidr)
		if sev == SeverityHigh {
			e.public = true
			e.reach("everyone (public)")
		}
		e.raise(sev)
		parts = append(parts, r.ports()+" to "+w)
	}
	if len(parts) == 0 {
		e.rest = " security group " + g + " to new inbound traffic (the rules are not in the log)"
		e.sev = SeverityMedium
		return e
	}
	e.rest = " security group " + g + ": " + andList(uniq(parts))
	return e
}

func revokeIngressEffect(req, _ any, _ OrgContext) effect {
	g := quoteOr(strAt(req, "groupId"), quoteOr(strAt(req, "groupName"), "(not logged)"))
	var parts []string
	for _, r := range ingressRules(req) {
		parts = append(parts, r.ports()+" from "+r.cidr)
	}
	rest := " inbound rules of security group " + g
	if len(parts) > 0 {
		rest += ": " + andList(uniq(parts))
	}
	return effect{past: "removed", base: "remove", rest: rest, sev: SeverityLow, remedy: true}
}

// --- secrets ---------------------------------------------------------------

// secretName is a secret's name from its id or ARN (Secrets Manager adds
// a dash and six random characters to the name in the ARN).
func secretName(id string) string {
	if i := strings.Index(id, ":secret:"); i >= 0 {
		n := id[i+len(":secret:"):]
		if j := strings.LastIndex(n, "-"); j >= 0 && len(n)-j == 7 {
			n = n[:j]
		}
		return n
	}
	return id
}

func secretEffect(req, _ any, _ OrgContext) effect {
	id := strAt(req, "secretId")
	name := secretName(id)
	rest := " the value of secret " + quoteOr(name, "(not logged)")
	if name != id {
		rest += " (" + id + ")"
	}
	return effect{past: "read", base: "read", rest: rest, sev: SeverityMedium}
}

func batchSecretEffect(req, _ any, _ OrgContext) effect {
	var names []string
	for _, id := range strList(listAt(req, "secretIdList")) {
		names = append(names, secretName(id))
	}
	rest := " the values of secrets " + andList(names)
	if len(names) == 0 {
		var fs []string
		for _, f := range listAt(req, "filters") {
			fs = append(fs, strAt(f, "key")+" "+strings.Join(strList(listAt(f, "values")), "/"))
		}
		rest = " the values of every secret matching " + quoteOr(andList(fs), "(no filter logged)")
	}
	return effect{past: "read", base: "read", rest: rest, sev: SeverityMedium}
}

func parameterEffect(req, _ any, _ OrgContext) effect {
	names := strList(listAt(req, "names"))
	if n := strAt(req, "name"); n != "" {
		names = append(names, n)
	}
	dec := ""
	if strings.EqualFold(strAt(req, "withDecryption"), "true") {
		dec = ", decrypted"
	}
	return effect{past: "read", base: "read", rest: " SSM parameter " + quoteOr(andList(names), "(not logged)") + dec, sev: SeverityMedium}
}

func kmsDeletionEffect(req, _ any, _ OrgContext) effect {
	days := strAt(req, "pendingWindowInDays")
	in := ""
	if days != "" {
		in = " in " + days + " days"
	}
	return effect{past: "scheduled", base: "schedule", rest: " KMS key " + quoteOr(strAt(req, "keyId"), "(not logged)") + " for deletion" + in + ": data encrypted under it becomes unreadable for good", sev: SeverityHigh}
}
