package investigate

import (
	"fmt"
	"net/netip"
	"strings"
)

// What IAM, sharing, network, secrets and key calls did (see Effect).

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
			denies = append(denies, prefix+actionList(acts))
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
			allows = append(allows, "allows "+prefix+actionList(acts)+" "+on)
			raise(SeverityHigh)
		case star && allRes:
			allows = append(allows, "allows every action (*) on every resource (*): full administrator rights")
			raise(SeverityHigh)
		case star, power && allRes:
			allows = append(allows, "allows "+actionList(acts)+" "+on)
			raise(SeverityHigh)
		default:
			allows = append(allows, "allows "+actionList(acts)+" "+on)
			raise(SeverityMedium)
		}
	}
	if len(allows) == 0 {
		return "that only denies " + andList(capped(uniq(denies))), SeverityLow, true
	}
	words = "that " + andList(allows)
	if len(denies) > 0 {
		words += ", and denies " + andList(capped(uniq(denies)))
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
		e := effect{past: past, base: base, persist: true}
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
			e.rest += ", which " + andList(capped(uniq(who))) + " may assume"
		default:
			e.rest += ": " + andList(capped(uniq(who))) + " may now assume it"
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
	return effect{past: "created", base: "create", rest: rest, sev: SeverityMedium, persist: true}
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
	return effect{past: "created", base: "create", rest: rest + " for " + who, then: ": a long-term credential that works until it is deleted", sev: SeverityMedium, persist: true}
}

func loginProfileEffect(past, base, format string) func(req, resp any, org OrgContext) effect {
	return func(req, _ any, _ OrgContext) effect {
		return effect{past: past, base: base, rest: fmt.Sprintf(format, quoteOr(strAt(req, "userName"), "(not logged)")), sev: SeverityMedium, persist: true}
	}
}

func mfaEffect(req, _ any, _ OrgContext) effect {
	return effect{past: "removed", base: "remove", rest: " the MFA device " + quoteOr(strAt(req, "serialNumber"), "(not logged)") + " of user " + quoteOr(strAt(req, "userName"), "(not logged)"), then: ": sign-in no longer needs it", sev: SeverityHigh}
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
		case strings.HasPrefix(t, "group "):
			e.raise(SeverityLow)
			out = append(out, t+" (not a known EC2 group)")
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
			v := strAt(it, k)
			switch {
			case v == "":
			case k == "group" && !strings.EqualFold(v, "all"):
				out = append(out, "group "+v)
			default:
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
	e.rest = " security group " + g + ": " + andList(capped(uniq(parts)))
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
		rest += ": " + andList(capped(uniq(parts)))
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
	return effect{past: "scheduled", base: "schedule", rest: " KMS key " + quoteOr(strAt(req, "keyId"), "(not logged)") + " for deletion" + in, then: ": data encrypted under it becomes unreadable for good", sev: SeverityHigh}
}
