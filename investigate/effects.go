package investigate

import (
	"encoding/json"
	"fmt"
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
	// Persistence: the call created or changed a lasting identity or
	// credential (a user, access key, console password, role trust). Effect
	// rates it medium; a caller that knows the actor is outside or unknown
	// (the identity under investigation) rates it high, as the model says.
	Persistence bool
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
	persist    bool
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
	out := EffectResult{Severity: e.sev, Remediation: e.remedy, Routine: e.routine, Outside: e.outside, Persistence: e.persist,
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

// actionList names up to eight actions and counts the rest.
func actionList(acts []string) string {
	acts = uniq(acts)
	if len(acts) > 8 {
		return strings.Join(acts[:8], ", ") + fmt.Sprintf(" and %d more", len(acts)-8)
	}
	return andList(acts)
}

// capped keeps a sentence readable whatever a hostile or huge request
// holds: the first ten items, then how many more.
func capped(items []string) []string {
	if len(items) <= 10 {
		return items
	}
	return append(append([]string(nil), items[:10]...), fmt.Sprintf("%d more", len(items)-10))
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

// KnownEffect reports whether Effect states what this call did (rather
// than only naming it).
func KnownEffect(eventSource, eventName string) bool {
	return effects[eventSource+" "+eventName] != nil
}

// EffectCalls lists the calls Effect understands, eventSource ->
// eventNames (sorted), for a query that wants only those.
func EffectCalls() map[string][]string {
	out := map[string][]string{}
	for k := range effects {
		src, name, _ := strings.Cut(k, " ")
		out[src] = append(out[src], name)
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}
