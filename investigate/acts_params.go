package investigate

// The readers of request parameters that acts.go uses to state what a call
// did: resource policies (who they let in), ACLs, replication, lifecycle,
// public access blocks, shares and security group rules. Logged values are
// attacker-controlled: every reader accepts any JSON (or none) and only
// states what it found.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonObj parses a JSON object; a string holding JSON is parsed too (some
// services log policy documents as strings).
func jsonObj(s string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) == nil {
		return m
	}
	return nil
}

// path walks objects by key; a string holding a JSON document is opened on
// the way.
func path(x any, keys ...string) any {
	for _, k := range keys {
		if s, ok := x.(string); ok {
			var inner any
			if json.Unmarshal([]byte(s), &inner) != nil {
				return nil
			}
			x = inner
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		x = m[k]
	}
	return x
}

// list makes a JSON value a list: a single value becomes one element, a
// JSON string holding a list is parsed, and {"items": [...]} is unwrapped.
func list(x any) []any {
	switch t := x.(type) {
	case nil:
		return nil
	case []any:
		return t
	case string:
		if strings.HasPrefix(strings.TrimSpace(t), "[") || strings.HasPrefix(strings.TrimSpace(t), "{") {
			var inner any
			if json.Unmarshal([]byte(t), &inner) == nil {
				return list(inner)
			}
		}
		return []any{t}
	case map[string]any:
		if items, ok := t["items"]; ok && len(t) == 1 {
			return list(items)
		}
		return []any{t}
	}
	return []any{x}
}

func str(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

func strs(x any) []string {
	var out []string
	for _, e := range list(x) {
		if s := str(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// accountOf returns the account id of an ARN or a bare account id.
func acctOfARN(p string) string {
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		return p
	}
	if parts := strings.Split(p, ":"); len(parts) >= 5 && strings.HasPrefix(p, "arn:") {
		return parts[4]
	}
	return ""
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func uniqWords(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func secretShortName(id string) string {
	if i := strings.Index(id, ":secret:"); i >= 0 {
		return id[i+len(":secret:"):]
	}
	return id
}

func principalTarget(req map[string]any) string {
	for _, k := range [][2]string{{"userName", "user "}, {"roleName", "role "}, {"groupName", "group "}} {
		if s := str(path(req, k[0])); s != "" {
			return k[1] + s
		}
	}
	return "an unnamed identity"
}

// statements returns a policy document's statements (the document may be a
// JSON string, Statement a string, a list or one object).
func policyStatements(doc any) []map[string]any {
	var out []map[string]any
	if s, ok := doc.(string); ok {
		doc = jsonObj(s)
	}
	for _, s := range list(path(doc, "Statement")) {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func allowsEverything(doc any) bool {
	for _, st := range policyStatements(doc) {
		if str(st["Effect"]) != "Allow" {
			continue
		}
		acts, res := strs(st["Action"]), strs(st["Resource"])
		anyAct, anyRes := false, false
		for _, a := range acts {
			anyAct = anyAct || a == "*" || a == "*:*" || a == "iam:*"
		}
		for _, r := range res {
			anyRes = anyRes || r == "*"
		}
		if anyAct && anyRes {
			return true
		}
	}
	return false
}

// grant is one principal a resource policy lets in.
type grant struct {
	who                      string
	public, outside, service bool
	conditional              bool
	actions                  []string
}

// policyGrants reads the Allow statements of a resource policy.
func policyGrants(doc any, own string, org orgView) (grants []grant, parsed bool) {
	sts := policyStatements(doc)
	if len(sts) == 0 {
		return nil, false
	}
	for _, st := range sts {
		if str(st["Effect"]) != "Allow" {
			continue
		}
		actions := strs(st["Action"])
		cond := st["Condition"] != nil
		add := func(g grant) {
			g.actions, g.conditional = actions, cond
			grants = append(grants, g)
		}
		switch pr := st["Principal"].(type) {
		case string:
			if pr == "*" {
				add(grant{who: "anyone (*)", public: true})
			}
		case map[string]any:
			for _, a := range strs(pr["AWS"]) {
				if a == "*" {
					add(grant{who: "anyone (*)", public: true})
					continue
				}
				acct := acctOfARN(a)
				if o := org.outsider(acct, own); o != "" {
					add(grant{who: o, outside: true})
				} else {
					add(grant{who: a})
				}
			}
			for _, s := range strs(pr["Service"]) {
				add(grant{who: s, service: true})
			}
			for _, s := range strs(pr["CanonicalUser"]) {
				add(grant{who: "canonical user " + s, outside: true})
			}
			for _, s := range strs(pr["Federated"]) {
				add(grant{who: "federated " + s})
			}
		}
	}
	return grants, true
}

func bucketPolicyAct(c call, req map[string]any, org orgView) (act, bool) {
	b := orDefault(str(path(req, "bucketName")), c.Target)
	grants, ok := policyGrants(path(req, "bucketPolicy"), c.Account, org)
	a := act{Kind: "expose-data", Target: b, Attack: []string{"TA0010", "T1537"}}
	if !ok {
		a.Severity = sevMedium
		a.Did, a.Try = "wrote a new policy for bucket "+b+" (its text could not be read: see request_parameters)", "write a new policy for bucket "+b
		return a, true
	}
	var loud, services, inside []string
	var sev string
	for _, g := range grants {
		acts := strings.Join(g.actions, ", ")
		switch {
		case g.public && !g.conditional:
			loud = append(loud, g.who+" "+acts)
			sev = sevHigh
		case g.public:
			loud = append(loud, g.who+" meeting the policy's conditions "+acts)
			if sev == "" {
				sev = sevMedium
			}
		case g.outside:
			loud = append(loud, g.who+" "+acts)
			sev = sevHigh
		case g.service:
			services = append(services, g.who+" ("+acts+")")
		default:
			inside = append(inside, g.who+" ("+acts+")")
		}
	}
	switch {
	case len(loud) > 0:
		a.Severity = sev
		a.Did = "changed the policy of bucket " + b + " so that it grants " + joinAnd(uniqWords(loud))
		a.Try = "grant " + joinAnd(uniqWords(loud)) + " on bucket " + b
	case len(services) > 0 && len(inside) == 0:
		a.Severity, a.Service = sevInfo, true
		a.Did = "wrote the policy of bucket " + b + " that lets only AWS services in: " + joinAnd(uniqWords(services)) + " (an AWS service's own routine policy, such as CloudTrail's log delivery)"
		a.Try = "write a policy for bucket " + b + " that lets only AWS services in"
	case len(inside) > 0:
		a.Severity = sevLow
		a.Did = "changed the policy of bucket " + b + "; it grants only principals of the bucket's own account or organization: " + joinAnd(uniqWords(append(inside, services...)))
		a.Try = "change the policy of bucket " + b
	default:
		a.Severity, a.Remediation = sevLow, true
		a.Did = "wrote a policy for bucket " + b + " that grants nothing (only Deny statements)"
		a.Try = "write a restrictive policy for bucket " + b
	}
	return a, true
}

func bucketACLAct(c call, req map[string]any) (act, bool) {
	b := orDefault(str(path(req, "bucketName")), c.Target)
	a := act{Kind: "expose-data", Target: b, Attack: []string{"TA0010", "T1537", "T1530"}}
	canned := strings.Join(strs(path(req, "x-amz-acl")), ",")
	var public, other []string
	switch canned {
	case "public-read", "public-read-write":
		public = append(public, "everyone ("+canned+")")
	case "authenticated-read":
		public = append(public, "every AWS user (authenticated-read)")
	}
	for _, g := range list(path(req, "AccessControlPolicy", "AccessControlList", "Grant")) {
		uri := str(path(g, "Grantee", "URI"))
		perm := str(path(g, "Permission"))
		switch {
		case strings.HasSuffix(uri, "/AllUsers"):
			public = append(public, "everyone "+perm)
		case strings.HasSuffix(uri, "/AuthenticatedUsers"):
			public = append(public, "every AWS user "+perm)
		case str(path(g, "Grantee", "ID")) != "" && perm != "FULL_CONTROL":
			other = append(other, "canonical user "+str(path(g, "Grantee", "ID"))+" "+perm)
		}
	}
	for _, h := range []string{"x-amz-grant-read", "x-amz-grant-full-control", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp"} {
		for _, val := range strs(path(req, h)) {
			switch {
			case strings.Contains(val, "AllUsers"):
				public = append(public, "everyone ("+h+")")
			case strings.Contains(val, "AuthenticatedUsers"):
				public = append(public, "every AWS user ("+h+")")
			default:
				other = append(other, val+" ("+h+")")
			}
		}
	}
	switch {
	case len(public) > 0:
		a.Severity = sevHigh
		a.Did, a.Try = "made bucket "+b+" public: its ACL now grants "+joinAnd(uniqWords(public)), "make bucket "+b+" public ("+joinAnd(uniqWords(public))+")"
	case len(other) > 0:
		a.Severity = sevMedium
		a.Did, a.Try = "changed the ACL of bucket "+b+" to grant "+joinAnd(uniqWords(other)), "grant "+joinAnd(uniqWords(other))+" on bucket "+b
	case canned == "private" || canned == "bucket-owner-full-control":
		a.Severity, a.Remediation = sevInfo, true
		a.Did, a.Try = "set the ACL of bucket "+b+" to "+canned, "set the ACL of bucket "+b+" to "+canned
	default:
		a.Severity = sevLow
		a.Did, a.Try = "changed the ACL of bucket "+b+" (no public or cross-account grant in the request)", "change the ACL of bucket "+b
	}
	_ = c
	return a, true
}

func replicationAct(c call, req map[string]any, org orgView) (act, bool) {
	b := orDefault(str(path(req, "bucketName")), c.Target)
	a := act{Kind: "copy-data-out", Target: b, Attack: []string{"TA0010", "T1537"}}
	var dests, outside []string
	for _, r := range list(path(req, "ReplicationConfiguration", "Rule")) {
		if str(path(r, "Status")) == "Disabled" {
			continue
		}
		db := str(path(r, "Destination", "Bucket"))
		db = strings.TrimPrefix(db, "arn:aws:s3:::")
		acct := str(path(r, "Destination", "Account"))
		d := "bucket " + db
		if acct != "" {
			d += " in account " + acct
		}
		dests = append(dests, d)
		if o := org.outsider(acct, c.Account); o != "" {
			outside = append(outside, "bucket "+db+" in "+o)
		}
	}
	switch {
	case len(outside) > 0:
		a.Severity = sevHigh
		a.Did = "set replication on bucket " + b + ": every new object is now copied to " + joinAnd(uniqWords(outside)) + " (data leaves with no GetObject at all)"
		a.Try = "replicate bucket " + b + " to " + joinAnd(uniqWords(outside))
	case len(dests) > 0:
		a.Severity = sevMedium
		a.Did = "set replication on bucket " + b + ": new objects are copied to " + joinAnd(uniqWords(dests))
		a.Try = "replicate bucket " + b + " to " + joinAnd(uniqWords(dests))
	default:
		a.Severity = sevLow
		a.Did, a.Try = "changed the replication of bucket "+b+" (no enabled destination in the request)", "change the replication of bucket "+b
	}
	return a, true
}

func publicAccessBlockAct(c call, req map[string]any) (act, bool) {
	b := orDefault(str(path(req, "bucketName")), c.Target)
	a := act{Kind: "expose-data", Target: b, Attack: []string{"TA0005", "T1562.001"}}
	conf := path(req, "PublicAccessBlockConfiguration")
	var off []string
	for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
		if str(path(conf, k)) != "true" {
			off = append(off, k)
		}
	}
	if len(off) == 0 {
		a.Severity, a.Remediation = sevInfo, true
		a.Did, a.Try = "turned on all four public access protections of bucket "+b+" (a restrictive change)", "turn on the public access protections of bucket "+b
		return a, true
	}
	a.Severity = sevMedium
	a.Did, a.Try = "set the public access block of bucket "+b+" with "+joinAnd(off)+" off", "turn off "+joinAnd(off)+" on bucket "+b
	return a, true
}

func lifecycleAct(c call, req map[string]any) (act, bool) {
	b := orDefault(str(path(req, "bucketName")), c.Target)
	a := act{Kind: "destroy-data", Target: b, Attack: []string{"TA0040", "T1485"}}
	shortest := -1
	var rules []string
	for _, r := range list(path(req, "LifecycleConfiguration", "Rule")) {
		if str(path(r, "Status")) != "Enabled" {
			continue
		}
		prefix := str(path(r, "Filter", "Prefix"))
		if prefix == "" {
			prefix = str(path(r, "Prefix"))
		}
		scope := "every object"
		if prefix != "" && prefix != "*" {
			scope = "objects under " + prefix
		}
		for _, k := range [][]string{{"Expiration", "Days"}, {"NoncurrentVersionExpiration", "NoncurrentDays"}} {
			d, err := strconv.Atoi(str(path(r, k...)))
			if err != nil {
				continue
			}
			what := scope
			if k[0] == "NoncurrentVersionExpiration" {
				what = "old versions of " + scope
			}
			rules = append(rules, fmt.Sprintf("%s deleted %s after creation", what, plural(int64(d), "day", "days")))
			if shortest < 0 || d < shortest {
				shortest = d
			}
		}
	}
	trail := strings.Contains(strings.ToLower(b), "cloudtrail") || strings.Contains(strings.ToLower(b), "trail")
	switch {
	case shortest >= 0 && shortest <= 7:
		a.Severity = sevHigh
		a.Did = "set a lifecycle rule on bucket " + b + ": " + joinAnd(rules)
		a.Try = "set a lifecycle rule on bucket " + b + " (" + joinAnd(rules) + ")"
		if trail {
			a.Did += " (a CloudTrail log bucket: the logs themselves are destroyed)"
			a.Kind = "impair-logging"
			a.Attack = []string{"TA0005", "TA0040", "T1562.008", "T1485"}
		}
	case shortest >= 0 && shortest <= 30:
		a.Severity = sevMedium
		a.Did, a.Try = "set a lifecycle rule on bucket "+b+": "+joinAnd(rules), "set a lifecycle rule on bucket "+b
	case shortest >= 0:
		a.Severity = sevLow
		a.Did, a.Try = "set a lifecycle rule on bucket "+b+": "+joinAnd(rules), "set a lifecycle rule on bucket "+b
	default:
		a.Severity = sevLow
		a.Did, a.Try = "changed the lifecycle of bucket "+b+" (no enabled expiration in the request)", "change the lifecycle of bucket "+b
	}
	return a, true
}

func shareAct(c call, req map[string]any, org orgView) (act, bool) {
	what, id := "snapshot", str(path(req, "snapshotId"))
	var add, remove []string
	collect := func(items any, into *[]string) {
		for _, it := range list(items) {
			if u := str(path(it, "userId")); u != "" {
				*into = append(*into, u)
			}
			// "all" is the only group EC2 knows: everyone.
			if g := str(path(it, "group")); g == "all" {
				*into = append(*into, g)
			}
		}
	}
	switch c.Name {
	case "ModifySnapshotAttribute":
		collect(path(req, "createVolumePermission", "add", "items"), &add)
		collect(path(req, "createVolumePermission", "remove", "items"), &remove)
		collect(path(req, "createVolumePermission", "add"), &add)
		collect(path(req, "createVolumePermission", "remove"), &remove)
	case "ModifyImageAttribute":
		what, id = "machine image", str(path(req, "imageId"))
		collect(path(req, "launchPermission", "add", "items"), &add)
		collect(path(req, "launchPermission", "remove", "items"), &remove)
		collect(path(req, "launchPermission", "add"), &add)
		collect(path(req, "launchPermission", "remove"), &remove)
	default:
		what, id = "database snapshot", orDefault(str(path(req, "dBSnapshotIdentifier")), str(path(req, "dBClusterSnapshotIdentifier")))
		add = strs(path(req, "valuesToAdd"))
		remove = strs(path(req, "valuesToRemove"))
	}
	add, remove = uniqWords(add), uniqWords(remove)
	describe := func(xs []string) string {
		var out []string
		for _, x := range xs {
			switch {
			case x == "all":
				out = append(out, "everyone (public)")
			case org.outsider(x, c.Account) != "":
				out = append(out, org.outsider(x, c.Account))
			default:
				out = append(out, "account "+x)
			}
		}
		return joinAnd(out)
	}
	a := act{Target: id, Attack: []string{"TA0010", "T1537"}}
	switch {
	case len(add) > 0:
		a.Severity, a.Kind = sevHigh, "share-out"
		a.Did = "shared " + what + " " + id + " with " + describe(add)
		a.Try = "share " + what + " " + id + " with " + describe(add)
		if len(remove) > 0 {
			a.Did += " and stopped sharing it with " + describe(remove)
		}
	case len(remove) > 0:
		a.Severity, a.Kind, a.Remediation = sevInfo, "unshare", true
		a.Did = "stopped sharing " + what + " " + id + " with " + describe(remove) + " (the undo of a share)"
		a.Try = "stop sharing " + what + " " + id + " with " + describe(remove)
	default:
		a.Severity, a.Kind = sevLow, "share-out"
		a.Did, a.Try = "changed an attribute of "+what+" "+id+" (no account added or removed)", "change an attribute of "+what+" "+id
	}
	return a, true
}

func ingressAct(c call, req map[string]any) (act, bool) {
	g := str(path(req, "groupId"))
	if g == "" {
		g = str(path(req, "groupName"))
	}
	a := act{Kind: "open-network", Target: g, Attack: []string{"TA0005", "TA0008", "T1562.007"}}
	var open, other []string
	addRule := func(proto, from, to string, cidrs []string) {
		ports := "port " + from
		switch {
		case proto == "-1" || proto == "all":
			ports, proto = "every port", "every protocol"
		case from != to && to != "":
			ports = "ports " + from + "-" + to
		case from == "":
			ports = "every port"
		}
		for _, cidr := range cidrs {
			s := fmt.Sprintf("%s %s to %s", proto, ports, cidr)
			if strings.HasSuffix(cidr, "/0") {
				open = append(open, fmt.Sprintf("%s %s to any address (%s)", proto, ports, cidr))
			} else {
				other = append(other, s)
			}
		}
	}
	for _, perm := range list(path(req, "ipPermissions")) {
		var cidrs []string
		for _, r := range list(path(perm, "ipRanges")) {
			cidrs = append(cidrs, str(path(r, "cidrIp")))
		}
		for _, r := range list(path(perm, "ipv6Ranges")) {
			cidrs = append(cidrs, str(path(r, "cidrIpv6")))
		}
		for _, r := range list(path(perm, "groups")) {
			cidrs = append(cidrs, "security group "+str(path(r, "groupId")))
		}
		addRule(str(path(perm, "ipProtocol")), str(path(perm, "fromPort")), str(path(perm, "toPort")), cidrs)
	}
	if cidr := str(path(req, "cidrIp")); cidr != "" {
		addRule(str(path(req, "ipProtocol")), str(path(req, "fromPort")), str(path(req, "toPort")), []string{cidr})
	}
	if len(open) == 0 && len(other) == 0 && (strings.Contains(c.Request, "0.0.0.0/0") || strings.Contains(c.Request, "::/0")) {
		open = append(open, "a rule to any address (see request_parameters)")
	}
	switch {
	case len(open) > 0:
		a.Severity = sevHigh
		a.Did = "opened " + joinAnd(uniqWords(open)) + " in security group " + g
		a.Try = "open " + joinAnd(uniqWords(open)) + " in security group " + g
	case len(other) > 0:
		a.Severity = sevMedium
		a.Did = "opened " + joinAnd(uniqWords(other)) + " in security group " + g
		a.Try = "open " + joinAnd(uniqWords(other)) + " in security group " + g
	default:
		a.Severity = sevMedium
		a.Did, a.Try = "added an ingress rule to security group "+g, "add an ingress rule to security group "+g
	}
	return a, true
}

// trustedOutside lists who a role trust policy lets in from outside: any
// principal (*) or another account.
func trustedOutside(own string, org orgView, docs ...any) []string {
	var out []string
	for _, d := range docs {
		gs, _ := policyGrants(d, own, org)
		for _, g := range gs {
			if g.public || g.outside {
				out = append(out, g.who)
			}
		}
	}
	return uniqWords(out)
}
