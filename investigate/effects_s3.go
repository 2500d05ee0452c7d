package investigate

import (
	"sort"
	"strconv"
	"strings"
)

// What S3 bucket and object configuration calls did (see Effect).

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
		act := prefix + actionList(acts)
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
		e.rest = " the bucket policy of " + bucket + " to the routine policy for " + andList(uniq(whose)) + " (" + strings.Join(capped(uniq(grants)), "; ") + ")"
	case !anyAllow:
		e.remedy, e.sev = true, SeverityLow
		e.rest = " the bucket policy of " + bucket + " to one that only restricts access: it " + andList(capped(uniq(denies)))
	default:
		e.rest = " the bucket policy of " + bucket + ": " + strings.Join(capped(uniq(grants)), "; ")
		if len(denies) > 0 {
			e.rest += "; it also " + andList(capped(uniq(denies)))
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
		parts = append(parts, canned)
		switch canned {
		case "public-read":
			public()
			e.then = ": everyone on the internet may " + what
		case "public-read-write":
			public()
			e.then = ": everyone on the internet may " + what + " and write to it"
		case "authenticated-read":
			public()
			e.then = ": anyone with an AWS account may " + what
		case "private", "bucket-owner-full-control", "bucket-owner-read":
			e.remedy = true
			e.raise(SeverityLow)
			e.then = ": only the owner has access"
		case "log-delivery-write":
			e.routine = true
			e.raise(SeverityLow)
			e.then = ": S3 log delivery may write it"
		default:
			e.raise(SeverityMedium)
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
	e.rest = " the ACL of " + target + " to " + strings.Join(capped(uniq(parts)), "; ")
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
		e.rest = " the public access block of bucket " + bucket + " (" + andList(on) + ")"
		e.then = ": a restrictive change"
		e.sev, e.remedy = SeverityLow, true
	case len(on) == 0:
		e.past, e.base = "turned off", "turn off"
		e.rest = " every public access block setting of bucket " + bucket
		e.then = ", so public ACLs and policies on it take effect unless the account's own public access block still applies"
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
		e.rest = " replication on bucket " + bucket + " to " + andList(capped(uniq(dests)))
		e.then = ": every object written to the bucket from then on is copied there, with no GetObject call logged for the copies"
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
			scope = "every object under " + strconv.Quote(p)
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
			parts = append(parts, "old versions of "+strings.Replace(scope, "every object", "objects", 1)+" are deleted "+plural(int64(n), "day", "days")+" after they are replaced"+rule)
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
		e.rest = " lifecycle rules on bucket " + bucket + ": " + andList(capped(parts))
	}
	return e
}

func versioningEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	switch strings.ToLower(strAt(req, "VersioningConfiguration", "Status")) {
	case "suspended":
		return effect{past: "suspended", base: "suspend", rest: " versioning of bucket " + bucket, then: ": objects overwritten or deleted from then on are not kept", sev: SeverityMedium}
	case "enabled":
		return effect{past: "enabled", base: "enable", rest: " versioning of bucket " + bucket, then: ": overwritten and deleted objects are kept", sev: SeverityLow, remedy: true}
	}
	return effect{past: "changed", base: "change", rest: " the versioning of bucket " + bucket + " (the setting is not in the log)", sev: SeverityMedium}
}

func ownershipEffect(req, _ any, _ OrgContext) effect {
	bucket := quoteOr(strAt(req, "bucketName"), "(not logged)")
	v := strAt(req, "OwnershipControls", "Rule", "ObjectOwnership")
	if v == "BucketOwnerEnforced" {
		return effect{past: "disabled", base: "disable", rest: " ACLs on bucket " + bucket + " (object ownership BucketOwnerEnforced)", then: ": a restrictive change", sev: SeverityLow, remedy: true}
	}
	return effect{past: "set", base: "set", rest: " the object ownership of bucket " + bucket + " to " + quoteOr(v, "(not logged)"), sev: SeverityLow}
}
