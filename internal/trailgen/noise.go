package trailgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// world is the organization's everyday population: who calls AWS, from
// where, and which buckets they touch. It is built once from the seed so
// every day draws from the same cast.
type world struct {
	c        Config
	accounts []*acctWorld
	offices  []string
}

type acctWorld struct {
	id       string
	humans   []actor
	apps     []actor // role sessions of workloads
	roles    []svcRole
	buckets  []string
	stranger actor // a stale identity whose calls fail
}

type svcRole struct {
	service string
	role    string
	roleID  string
}

var humanNames = []string{"alice.smith", "bob.jones", "carol.wu", "deploy-ci", "dmitri.k", "erin.o"}

func newWorld(c Config, r *rand.Rand) *world {
	w := &world{c: c, offices: []string{"81.2.69.160", publicIP(r), publicIP(r)}}
	for _, acct := range c.Accounts {
		aw := &acctWorld{id: acct}
		for i, name := range humanNames {
			agent := cliAgents[i%3]
			if i == 3 {
				agent = cliAgents[5]
			}
			aw.humans = append(aw.humans, actor{id: iamUser(r, acct, name, accessKey(r, "AKIA")), ips: []string{w.offices[i%len(w.offices)]}, agent: agent})
		}
		created := c.Start.Add(-time.Hour)
		for _, app := range []struct{ role, session string }{
			{"orders-api-role", "orders-api"},
			{"ecsTaskRole-billing", "f1e2d3c4b5a6978899aabbccddeeff00"},
			{"ec2-inventory-role", "i-0" + randString(r, "0123456789abcdef", 16)},
			{"ReadOnly", "bob.jones@corp.example"},
		} {
			aw.apps = append(aw.apps, actor{
				id:    roleSession(acct, app.role, roleID(r), app.session, accessKey(r, "ASIA"), created),
				ips:   []string{publicIP(r), publicIP(r)},
				agent: cliAgents[3+len(aw.apps)%2],
			})
		}
		for _, s := range []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "config.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com"} {
			aw.roles = append(aw.roles, svcRole{service: s, role: "svc-" + s[:len(s)-len(".amazonaws.com")] + "-role", roleID: roleID(r)})
		}
		aw.buckets = []string{"app-assets-" + acct, "logs-archive-" + acct, "ml-datasets-" + acct}
		aw.stranger = actor{id: iamUser(r, acct, "old-jenkins", accessKey(r, "AKIA")), agent: cliAgents[2]}
		w.accounts = append(w.accounts, aw)
	}
	return w
}

type call struct {
	source, name string
	params       func(r *rand.Rand, region string) any
}

func noParams(*rand.Rand, string) any { return nil }

var readCalls = []call{
	{"ec2.amazonaws.com", "DescribeInstances", func(*rand.Rand, string) any {
		return map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}
	}},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", func(*rand.Rand, string) any {
		return map[string]any{"securityGroupSet": map[string]any{}, "securityGroupIdSet": map[string]any{}, "filterSet": map[string]any{}}
	}},
	{"ec2.amazonaws.com", "DescribeVolumes", func(*rand.Rand, string) any {
		return map[string]any{"volumeSet": map[string]any{}, "filterSet": map[string]any{}}
	}},
	{"ec2.amazonaws.com", "DescribeRegions", func(*rand.Rand, string) any { return map[string]any{"regionSet": map[string]any{}} }},
	{"iam.amazonaws.com", "ListRoles", noParams},
	{"iam.amazonaws.com", "GetUser", noParams},
	{"iam.amazonaws.com", "ListAttachedRolePolicies", func(*rand.Rand, string) any { return map[string]any{"roleName": "orders-api-role"} }},
	{"sts.amazonaws.com", "GetCallerIdentity", noParams},
	{"s3.amazonaws.com", "ListBuckets", func(_ *rand.Rand, region string) any {
		return map[string]any{"Host": "s3." + region + ".amazonaws.com"}
	}},
	{"lambda.amazonaws.com", "ListFunctions20150331", noParams},
	{"logs.amazonaws.com", "DescribeLogGroups", func(*rand.Rand, string) any { return map[string]any{"limit": 50} }},
	{"dynamodb.amazonaws.com", "DescribeTable", func(*rand.Rand, string) any { return map[string]any{"tableName": "orders"} }},
	{"cloudwatch.amazonaws.com", "DescribeAlarms", func(*rand.Rand, string) any { return map[string]any{"maxRecords": 100} }},
	{"ssm.amazonaws.com", "GetParameter", func(*rand.Rand, string) any {
		return map[string]any{"name": "/orders/feature-flags", "withDecryption": false}
	}},
	{"kms.amazonaws.com", "ListAliases", noParams},
	{"cloudtrail.amazonaws.com", "DescribeTrails", func(*rand.Rand, string) any { return map[string]any{"includeShadowTrails": true} }},
}

var writeCalls = []call{
	{"ec2.amazonaws.com", "CreateTags", func(r *rand.Rand, _ string) any {
		return map[string]any{"resourcesSet": map[string]any{"items": []any{map[string]any{"resourceId": "i-0" + randString(r, "0123456789abcdef", 16)}}},
			"tagSet": map[string]any{"items": []any{map[string]any{"key": "owner", "value": "platform"}}}}
	}},
	{"ssm.amazonaws.com", "PutParameter", func(*rand.Rand, string) any {
		return map[string]any{"name": "/orders/feature-flags", "type": "String", "overwrite": true, "value": "HIDDEN_DUE_TO_SECURITY_REASONS"}
	}},
	{"logs.amazonaws.com", "CreateLogStream", func(r *rand.Rand, _ string) any {
		return map[string]any{"logGroupName": "/aws/lambda/orders-api", "logStreamName": "2026/11/01/[$LATEST]" + randString(r, "0123456789abcdef", 32)}
	}},
	{"lambda.amazonaws.com", "UpdateFunctionCode20150331v2", func(*rand.Rand, string) any {
		return map[string]any{"functionName": "orders-api", "publish": true}
	}},
	{"dynamodb.amazonaws.com", "UpdateTable", func(*rand.Rand, string) any { return map[string]any{"tableName": "orders"} }},
}

// noiseTime spreads the day's events with a working-hours peak.
func noiseTime(r *rand.Rand, day time.Time) time.Time {
	if r.IntN(100) < 65 {
		return day.Add(7*time.Hour + time.Duration(r.IntN(12*3600))*time.Second)
	}
	return day.Add(time.Duration(r.IntN(24*3600)) * time.Second)
}

func (w *world) event(r *rand.Rand, day time.Time) Record {
	aw := w.accounts[r.IntN(len(w.accounts))]
	region := w.c.Regions[0]
	if len(w.c.Regions) > 1 && r.IntN(10) >= 6 {
		region = w.c.Regions[1+r.IntN(len(w.c.Regions)-1)]
	}
	at := noiseTime(r, day)
	pick := func() (actor, string) {
		if r.IntN(2) == 0 {
			a := aw.humans[r.IntN(len(aw.humans))]
			return a, a.ips[0]
		}
		a := aw.apps[r.IntN(len(aw.apps))]
		return a, a.ips[r.IntN(len(a.ips))]
	}
	roll := r.IntN(100)
	switch {
	case roll < 40:
		a, ip := pick()
		c := readCalls[r.IntN(len(readCalls))]
		return apiCall(r, a, ip, at, aw.id, region, c.source, c.name, true, c.params(r, region), nil)
	case roll < 50:
		sr := aw.roles[r.IntN(len(aw.roles))]
		a := actor{id: serviceIdentity(sr.service), agent: sr.service}
		roleARN := "arn:aws:iam::" + aw.id + ":role/" + sr.role
		return assumeRole(r, a, sr.service, at, aw.id, region, roleARN, sr.roleID, randString(r, "0123456789abcdef", 20), accessKey(r, "ASIA"))
	case roll < 58:
		a, _ := pick()
		if r.IntN(3) == 0 {
			return apiCall(r, a, "cloudformation.amazonaws.com", at, aw.id, region, "cloudformation.amazonaws.com", "DescribeStacks", true, nil, nil)
		}
		name := "Decrypt"
		if r.IntN(2) == 0 {
			name = "GenerateDataKey"
		}
		return apiCall(r, a, "AWS Internal", at, aw.id, region, "kms.amazonaws.com", name, true,
			map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil)
	case roll < 85:
		a, ip := pick()
		bucket := aw.buckets[r.IntN(len(aw.buckets))]
		key := fmt.Sprintf("%s/%04d/part-%05d.parquet", []string{"data", "logs", "tmp"}[r.IntN(3)], r.IntN(400), r.IntN(20000))
		switch op := r.IntN(20); {
		case op < 10:
			return s3Object(r, a, ip, at, aw.id, region, aw.id, "GetObject", bucket, key, 0, int64(200+r.IntN(5_000_000)), r.IntN(5) == 0)
		case op < 14:
			return s3Object(r, a, ip, at, aw.id, region, aw.id, "PutObject", bucket, key, int64(200+r.IntN(5_000_000)), 0, false)
		case op < 17:
			return s3Object(r, a, ip, at, aw.id, region, aw.id, "HeadObject", bucket, key, 0, 0, false)
		case op < 19:
			return s3Object(r, a, ip, at, aw.id, region, aw.id, "ListObjects", bucket, "data/", 0, int64(500+r.IntN(20_000)), false)
		default:
			return s3Object(r, a, ip, at, aw.id, region, aw.id, "DeleteObject", bucket, key, 0, 0, false)
		}
	case roll < 91:
		a, ip := pick()
		c := writeCalls[r.IntN(len(writeCalls))]
		return apiCall(r, a, ip, at, aw.id, region, c.source, c.name, false, c.params(r, region), nil)
	case roll < 97:
		// The long tail: a stale key tried from addresses seen once.
		c := readCalls[r.IntN(len(readCalls))]
		rec := apiCall(r, aw.stranger, publicIP(r), at, aw.id, region, c.source, c.name, true, c.params(r, region), nil)
		rec.ErrorCode = "AccessDenied"
		if c.source == "ec2.amazonaws.com" {
			rec.ErrorCode = "Client.UnauthorizedOperation"
		}
		rec.ErrorMessage = "User: " + aw.stranger.id.ARN + " is not authorized to perform: " +
			c.source[:len(c.source)-len(".amazonaws.com")] + ":" + c.name + " because no identity-based policy allows the action"
		return rec
	default:
		var a actor
		if roll == 99 {
			a = actor{id: rootIdentity(aw.id), agent: cliAgents[6]}
		} else {
			a = aw.humans[r.IntN(len(aw.humans))]
			a.agent = cliAgents[6]
			a.id.AccessKeyID = ""
		}
		ip := w.offices[r.IntN(len(w.offices))]
		rec := apiCall(r, a, ip, at, aw.id, "us-east-1", "signin.amazonaws.com", "ConsoleLogin", false, nil, map[string]any{"ConsoleLogin": "Success"})
		rec.region = region
		rec.EventType = "AwsConsoleSignIn"
		rec.RequestID = ""
		rec.AdditionalEventData = map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"}
		rec.TLSDetails = &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "signin.aws.amazon.com"}
		return rec
	}
}
