package trailgen

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Names and addresses of the planted incident. Documentation address ranges
// (RFC 5737) are used for the attacker so they can never be a real host.
const (
	ExfilBucket      = "payroll-exports"
	ExternalAccount  = "999988887777"
	AttackerIP       = "198.51.100.23"
	AttackerIP2      = "192.0.2.45"
	BackdoorIP       = "203.0.113.77"
	ExternalReaderIP = "203.0.113.200"
	BaselineIP       = "10.0.12.7"
	attackerAgent    = "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-14-generic exe/x86_64.ubuntu.22 prompt/off command/s3.cp"
	attackerAgent2   = "aws-cli/2.15.0 Python/3.11.6 Darwin/23.2.0 exe/x86_64 prompt/off command/s3.sync"
	baselineAgent    = "aws-sdk-java/1.12.600 Linux/5.10.205-195.804.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS java/17.0.9 vendor/Amazon.com_Inc. cfg/retry-mode/standard"
	bulkObjects      = 1500
	bulkKeys         = 1200
	bulkFromIP2      = 350
	externalReads    = 40
	anonymousReads   = 25
)

var bucketChangeNames = map[string]bool{
	"PutBucketPolicy": true, "DeleteBucketPolicy": true, "PutBucketAcl": true,
	"PutBucketPublicAccessBlock": true, "DeleteBucketPublicAccessBlock": true,
	"PutBucketReplication": true, "DeleteBucketReplication": true,
	"PutBucketLifecycle": true, "PutBucketLifecycleConfiguration": true, "DeleteBucketLifecycle": true,
}

var huntNames = map[string]bool{
	"StopLogging": true, "CreateUser": true, "CreateLoginProfile": true, "AttachUserPolicy": true,
	"CreateAccessKey": true, "PutBucketPolicy": true, "PutBucketAcl": true, "GetSecretValue": true,
	"ModifySnapshotAttribute": true, "AuthorizeSecurityGroupIngress": true,
}

// scenario plants the incident. It returns every planted record and the
// truth computed from them.
type scenario struct {
	r       *rand.Rand
	c       Config
	since   time.Time
	until   time.Time
	acctA   string // owns the bucket and the leaked user
	acct2   string // holds the ops-admin role the attacker pivots into
	region  string
	records []Record
}

func (s *scenario) add(rec Record) *Record {
	// A second-resolution event on a window bound would make the half-open
	// and closed readings of the window disagree; keep every planted event
	// off the bounds.
	if rec.at.Equal(s.since) || rec.at.Equal(s.until) {
		rec.at = rec.at.Add(time.Second)
		rec.EventTime = fmtTime(rec.at)
	}
	s.records = append(s.records, rec)
	return &s.records[len(s.records)-1]
}

func (s *scenario) day(i int) time.Time { return s.c.Start.AddDate(0, 0, i) }

func plant(c Config, r *rand.Rand) ([]Record, *Truth) {
	s := &scenario{r: r, c: c, region: c.Regions[0], acctA: c.Accounts[0], acct2: c.Accounts[len(c.Accounts)-1]}
	s.until = c.Start.AddDate(0, 0, c.Days)
	s.since = s.until.AddDate(0, 0, -3)
	w0 := c.Days - 3 // index of the first window day

	leakedKey := accessKey(r, "AKIA")
	svcBackup := iamUser(r, s.acctA, "svc-backup", leakedKey)
	contractor := iamUser(r, s.acctA, "contractor-7", accessKey(r, "AKIA"))
	opsRoleID := roleID(r)
	opsRoleARN := "arn:aws:iam::" + s.acct2 + ":role/ops-admin"
	sessionKey := accessKey(r, "ASIA")
	backdoorKey := accessKey(r, "AKIA")
	backdoor := iamUser(r, s.acct2, "backdoor", backdoorKey)
	adminID := roleID(r)
	payrollAppID := roleID(r)
	external := iamUser(r, ExternalAccount, "partner-sync", accessKey(r, "AKIA"))
	external.AccessKeyID = "" // the bucket owner's trail does not see another account's key

	attacker := actor{id: svcBackup, agent: attackerAgent}
	keys, sizes := bucketObjects(r)

	// Before the window: legitimate administration and the daily jobs.
	admin := actor{id: roleSession(s.acctA, "Admin", adminID, "alice@corp.example", accessKey(r, "ASIA"), s.day(0).Add(14*time.Hour)),
		agent: cliAgents[6]}
	officeIP := "81.2.69.160"
	s.add(s3Bucket(r, admin, officeIP, s.day(0).Add(15*time.Hour+4*time.Minute), s.acctA, s.region, "PutBucketPolicy", ExfilBucket,
		map[string]any{"bucketPolicy": policy(`{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::payroll-exports/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), "policy": ""}))
	s.add(s3Bucket(r, admin, officeIP, s.day(0).Add(15*time.Hour+9*time.Minute), s.acctA, s.region, "PutBucketLifecycle", ExfilBucket,
		map[string]any{"lifecycle": "", "LifecycleConfiguration": map[string]any{"Rule": map[string]any{"ID": "archive", "Status": "Enabled", "Transition": map[string]any{"Days": 90, "StorageClass": "GLACIER"}}}}))

	baseline := actor{id: svcBackup, agent: baselineAgent}
	app := actor{agent: cliAgents[4]}
	for d := 0; d < c.Days; d++ {
		day := s.day(d)
		date := day.Format("2006-01-02")
		app.id = roleSession(s.acctA, "payroll-app", payrollAppID, "i-0a1b2c3d4e5f60718", accessKey(r, "ASIA"), day.Add(50*time.Minute))
		for i := range 4 {
			key := fmt.Sprintf("exports/%s/payroll-run-%d.csv", date, i+1)
			rec := s.add(s3Object(r, app, "10.0.40.15", day.Add(time.Hour+time.Duration(i*97+r.IntN(60))*time.Second), s.acctA, s.region, s.acctA, "PutObject", ExfilBucket, key, 40_000+int64(r.IntN(500_000)), 0, false))
			rec.VPCEndpointID = "vpce-0f1e2d3c4b5a69788"
		}
		n := 3 + r.IntN(4)
		for i := range n {
			k := r.IntN(len(keys))
			at := day.Add(2*time.Hour + 10*time.Minute + time.Duration(i*41+r.IntN(40))*time.Second)
			rec := s.add(s3Object(r, baseline, BaselineIP, at, s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[k], 0, sizes[k], r.IntN(4) == 0))
			rec.VPCEndpointID = "vpce-0f1e2d3c4b5a69788"
		}
		// Late reads on the day before the window and on its last day are
		// delivered into the next day's folder: one must be excluded and
		// one found by the exact eventTime filter.
		if d == w0-1 || d == c.Days-1 {
			k := (d * 31) % len(keys)
			rec := s.add(s3Object(r, baseline, BaselineIP, day.Add(23*time.Hour+58*time.Minute+30*time.Second), s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[k], 0, sizes[k], false))
			rec.VPCEndpointID = "vpce-0f1e2d3c4b5a69788"
		}
		// The same job's KMS calls come from AWS itself.
		s.add(apiCall(r, baseline, "AWS Internal", day.Add(2*time.Hour+9*time.Minute), s.acctA, s.region, "kms.amazonaws.com", "Decrypt", true,
			map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": map[string]any{"aws:s3:arn": "arn:aws:s3:::" + ExfilBucket}}, nil))
	}

	// Window day 1: reconnaissance, opening the bucket, outside readers.
	d1 := s.day(w0)
	s.add(apiCall(r, attacker, AttackerIP, d1.Add(9*time.Hour+12*time.Minute), s.acctA, s.region, "sts.amazonaws.com", "GetCallerIdentity", true, nil, nil))
	s.add(s3Bucket(r, attacker, AttackerIP, d1.Add(9*time.Hour+13*time.Minute), s.acctA, s.region, "ListBuckets", "", nil))
	for i := range 4 {
		s.add(s3Object(r, attacker, AttackerIP, d1.Add(9*time.Hour+20*time.Minute+time.Duration(i)*time.Minute), s.acctA, s.region, s.acctA, "ListObjects", ExfilBucket, "exports/", 0, 3_000+int64(r.IntN(9_000)), false))
	}
	ext := actor{id: external, agent: cliAgents[2]}
	for i := range 3 {
		rec := s.add(s3Object(r, ext, ExternalReaderIP, d1.Add(9*time.Hour+31*time.Minute+time.Duration(i*20)*time.Second), s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[i], 0, 243, false))
		rec.ErrorCode, rec.ErrorMessage = "AccessDenied", "Access Denied"
	}
	s.add(s3Bucket(r, attacker, AttackerIP, d1.Add(9*time.Hour+45*time.Minute), s.acctA, s.region, "PutBucketPolicy", ExfilBucket,
		map[string]any{"bucketPolicy": policy(`{"Sid":"sync","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::payroll-exports","arn:aws:s3:::payroll-exports/*"]}`), "policy": ""}))
	s.add(s3Bucket(r, attacker, AttackerIP, d1.Add(9*time.Hour+47*time.Minute), s.acctA, s.region, "PutBucketAcl", ExfilBucket,
		map[string]any{"acl": "", "x-amz-acl": []string{"public-read"}}))
	s.add(s3Bucket(r, attacker, AttackerIP, d1.Add(9*time.Hour+49*time.Minute), s.acctA, s.region, "DeleteBucketPublicAccessBlock", ExfilBucket,
		map[string]any{"publicAccessBlock": ""}))
	s.add(s3Bucket(r, attacker, AttackerIP, d1.Add(9*time.Hour+52*time.Minute), s.acctA, s.region, "PutBucketReplication", ExfilBucket,
		map[string]any{"replication": "", "ReplicationConfiguration": map[string]any{"Role": "arn:aws:iam::" + s.acctA + ":role/s3-replication",
			"Rule": map[string]any{"Status": "Enabled", "Destination": map[string]any{"Bucket": "arn:aws:s3:::exfil-drop-" + ExternalAccount, "Account": ExternalAccount}}}}))
	for i := range externalReads {
		k := (i * 29) % len(keys)
		at := d1.Add(10*time.Hour + 30*time.Minute + time.Duration(i*7*60+r.IntN(300))*time.Second)
		s.add(s3Object(r, ext, ExternalReaderIP, at, s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[k], 0, sizes[k], r.IntN(3) == 0))
	}
	anonIPs := []string{"198.18.4.20", "198.18.77.3", "198.19.200.9"}
	anonAgents := []string{
		"curl/8.4.0",
		"python-requests/2.31.0",
		`=HYPERLINK("http://198.18.4.20/x","open")`,
		"Mozilla/5.0 (X11; Linux x86_64) " + strings.Repeat("AAAAAAAAAA", 4000),
		"wget/1.21.4 \"quoted\" \t tab ünïcödé 漢字",
	}
	for i := range anonymousReads {
		id := Identity{Type: "AWSAccount", PrincipalID: strp(""), AccountID: "anonymous"}
		if i%2 == 1 {
			id.PrincipalID = strp("ANONYMOUS_PRINCIPAL")
		}
		a := actor{id: id, agent: anonAgents[i%len(anonAgents)]}
		k := (i*53 + 7) % len(keys)
		at := d1.Add(11*time.Hour + time.Duration(i*20*60+r.IntN(600))*time.Second)
		s.add(s3Object(r, a, anonIPs[i%len(anonIPs)], at, s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[k], 0, sizes[k], i%4 == 0))
	}

	// Window day 2: the pivot into the second account and the bulk download.
	d2 := s.day(w0 + 1)
	s.add(assumeRole(r, attacker, AttackerIP, d2.Add(50*time.Minute), s.acct2, s.region, opsRoleARN, opsRoleID, "backup-sync", sessionKey))
	sess := actor{id: roleSession(s.acct2, "ops-admin", opsRoleID, "backup-sync", sessionKey, d2.Add(50*time.Minute)), agent: attackerAgent}
	t := d2.Add(52 * time.Minute)
	step := func() time.Time { t = t.Add(time.Duration(40+r.IntN(200)) * time.Second); return t }
	iamCall := func(name string, readOnly bool, params, resp any) *Record {
		return s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "iam.amazonaws.com", name, readOnly, params, resp))
	}
	s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "ec2.amazonaws.com", "DescribeInstances", true,
		map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}, nil))
	iamCall("ListUsers", true, nil, nil)
	iamCall("CreateUser", false, map[string]any{"userName": "backdoor"},
		map[string]any{"user": map[string]any{"path": "/", "userName": "backdoor", "userId": *backdoor.PrincipalID, "arn": backdoor.ARN, "createDate": "placeholder"}})
	fixCreateDate(&s.records[len(s.records)-1])
	iamCall("CreateLoginProfile", false, map[string]any{"userName": "backdoor", "passwordResetRequired": false},
		map[string]any{"loginProfile": map[string]any{"userName": "backdoor", "passwordResetRequired": false}})
	fixCreateDate(&s.records[len(s.records)-1])
	iamCall("AttachUserPolicy", false, map[string]any{"userName": "backdoor", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, nil)
	iamCall("CreateAccessKey", false, map[string]any{"userName": "backdoor"},
		map[string]any{"accessKey": map[string]any{"userName": "backdoor", "accessKeyId": backdoorKey, "status": "Active"}})
	fixCreateDate(&s.records[len(s.records)-1])
	s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "secretsmanager.amazonaws.com", "GetSecretValue", true,
		map[string]any{"secretId": "arn:aws:secretsmanager:" + s.region + ":" + s.acct2 + ":secret:prod/payroll/db-AbCdEf"}, nil))
	s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "ec2.amazonaws.com", "ModifySnapshotAttribute", false,
		map[string]any{"snapshotId": "snap-0c0ffee0123456789", "attributeType": "CREATE_VOLUME_PERMISSION",
			"createVolumePermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"userId": ExternalAccount}}}}},
		map[string]any{"requestId": randUUID(r), "_return": true}))
	s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", false,
		map[string]any{"groupId": "sg-0123456789abcdef0", "ipPermissions": map[string]any{"items": []any{map[string]any{
			"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
			"ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}},
		map[string]any{"requestId": randUUID(r), "_return": true}))
	s.add(apiCall(r, sess, "cloudformation.amazonaws.com", step(), s.acct2, s.region, "cloudformation.amazonaws.com", "DescribeStacks", true, nil, nil))
	s.add(apiCall(r, sess, "AWS Internal", step(), s.acct2, s.region, "kms.amazonaws.com", "Decrypt", true,
		map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil))
	s.add(apiCall(r, sess, AttackerIP, step(), s.acct2, s.region, "cloudtrail.amazonaws.com", "StopLogging", false,
		map[string]any{"name": "arn:aws:cloudtrail:" + s.region + ":" + s.acct2 + ":trail/org-trail"}, nil))

	ct := actor{id: contractor, agent: cliAgents[1]}
	s.add(apiCall(r, ct, AttackerIP, d2.Add(2*time.Hour+5*time.Minute), s.acctA, s.region, "sts.amazonaws.com", "GetCallerIdentity", true, nil, nil))
	s.add(s3Bucket(r, ct, AttackerIP, d2.Add(2*time.Hour+6*time.Minute), s.acctA, s.region, "ListBuckets", "", nil))
	s.add(apiCall(r, ct, AttackerIP, d2.Add(2*time.Hour+8*time.Minute), s.acctA, s.region, "ec2.amazonaws.com", "DescribeInstances", true,
		map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}, nil))
	s.add(apiCall(r, ct, "AWS Internal", d2.Add(2*time.Hour+30*time.Minute), s.acctA, s.region, "kms.amazonaws.com", "Decrypt", true,
		map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil))

	// The bulk download: every key once, then re-reads, the tail from a
	// second address with a different client.
	order := r.Perm(len(keys))
	for len(order) < bulkObjects {
		order = append(order, r.IntN(len(keys)))
	}
	t = d2.Add(time.Hour + 37*time.Minute)
	for i, k := range order {
		a, ip := attacker, AttackerIP
		if i >= bulkObjects-bulkFromIP2 {
			a, ip = actor{id: svcBackup, agent: attackerAgent2}, AttackerIP2
			if i == bulkObjects-bulkFromIP2 {
				t = t.Add(17 * time.Minute)
			}
		}
		t = t.Add(time.Duration(2+r.IntN(9)) * time.Second)
		rec := s.add(s3Object(r, a, ip, t, s.acctA, s.region, s.acctA, "GetObject", ExfilBucket, keys[k], 0, sizes[k], r.IntN(5) == 0))
		rec.forceDup = i < 60
		if i%300 == 0 {
			s.add(apiCall(r, a, "AWS Internal", t.Add(time.Second), s.acctA, s.region, "kms.amazonaws.com", "Decrypt", true,
				map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": map[string]any{"aws:s3:arn": "arn:aws:s3:::" + ExfilBucket + "/" + keys[k]}}, nil))
		}
	}
	s.add(s3Bucket(r, attacker, AttackerIP, t.Add(9*time.Minute), s.acctA, s.region, "PutBucketLifecycle", ExfilBucket,
		map[string]any{"lifecycle": "", "LifecycleConfiguration": map[string]any{"Rule": map[string]any{"ID": "cleanup", "Status": "Enabled", "Expiration": map[string]any{"Days": 1}, "Filter": map[string]any{"Prefix": ""}}}}))

	// Window day 3: the created key in use, and the responder's fix.
	d3 := s.day(w0 + 2)
	bd := actor{id: backdoor, agent: cliAgents[3]}
	s.add(apiCall(r, bd, BackdoorIP, d3.Add(8*time.Hour), s.acct2, s.region, "sts.amazonaws.com", "GetCallerIdentity", true, nil, nil))
	s.add(s3Bucket(r, bd, BackdoorIP, d3.Add(8*time.Hour+2*time.Minute), s.acct2, s.region, "ListBuckets", "", nil))
	s.add(apiCall(r, bd, BackdoorIP, d3.Add(8*time.Hour+4*time.Minute), s.acct2, s.region, "ec2.amazonaws.com", "DescribeInstances", true,
		map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}, nil))
	denied := s.add(apiCall(r, bd, BackdoorIP, d3.Add(8*time.Hour+6*time.Minute), s.acct2, s.region, "cloudtrail.amazonaws.com", "StopLogging", false,
		map[string]any{"name": "org-trail"}, nil))
	denied.ErrorCode = "AccessDenied"
	denied.ErrorMessage = "User: " + backdoor.ARN + " is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:" + s.region + ":" + s.acct2 + ":trail/org-trail with an explicit deny in a service control policy"
	responder := actor{id: roleSession(s.acctA, "Admin", adminID, "alice@corp.example", accessKey(r, "ASIA"), d3.Add(9*time.Hour)), agent: cliAgents[6]}
	s.add(s3Bucket(r, responder, officeIP, d3.Add(10*time.Hour), s.acctA, s.region, "PutBucketPublicAccessBlock", ExfilBucket,
		map[string]any{"publicAccessBlock": "", "PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}}))

	truth := s.truth(leakedKey, svcBackup.ARN)
	return s.records, truth
}

// fixCreateDate stamps IAM responses with the event's own time in IAM's
// response format.
func fixCreateDate(rec *Record) {
	resp := rec.ResponseElements.(map[string]any)
	for _, v := range resp {
		if m, ok := v.(map[string]any); ok {
			m["createDate"] = rec.at.UTC().Format("Jan 2, 2006, 3:04:05 PM")
		}
	}
}

func policy(statement string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": "[" + statement + "]"}
}

// bucketObjects names the bucket's objects and their sizes; a few keys
// carry characters that break naive CSV and spreadsheet handling.
func bucketObjects(r *rand.Rand) ([]string, []int64) {
	keys := make([]string, bulkKeys)
	sizes := make([]int64, bulkKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("exports/2026-%02d/employee-%05d.pdf", 1+i%10, 10000+i)
		sizes[i] = 20_000 + int64(r.IntN(2_000_000))
	}
	keys[7] = `exports/summary, Q4 "final" ünïcödé.xlsx`
	keys[11] = "exports/=cmd|' /C calc'!A0.csv"
	return keys, sizes
}

func (s *scenario) inWindow(at time.Time) bool { return !at.Before(s.since) && at.Before(s.until) }

func (s *scenario) truth(leakedKey, leakedARN string) *Truth {
	ex := &ExfilTruth{Bucket: ExfilBucket, BucketAccount: s.acctA, Region: s.region, LeakedPrincipal: leakedARN,
		LeakedAccessKey: leakedKey, AttackerIPs: []string{AttackerIP, AttackerIP2}}
	type agg struct {
		Reader
		keys  map[string]bool
		first time.Time
		last  time.Time
	}
	groups := map[[3]string]*agg{}
	addTo := func(k [3]string, rec *Record, principal, key string, b int64) {
		g := groups[k]
		if g == nil {
			g = &agg{Reader: Reader{Principal: principal, SourceIP: k[1], UserAgent: k[2]}, keys: map[string]bool{}, first: rec.at, last: rec.at}
			groups[k] = g
		}
		g.Objects++
		g.Bytes += b
		g.keys[key] = true
		if rec.at.Before(g.first) {
			g.first = rec.at
		}
		if rec.at.After(g.last) {
			g.last = rec.at
		}
	}
	allKeys := map[string]bool{}
	base := map[string]*Baseline{}
	baseDays := map[string]map[string]bool{}
	windowPrincipals := map[string]bool{}
	var hunt []EventRef
	for i := range s.records {
		rec := &s.records[i]
		p := rec.UserIdentity.principal()
		params, _ := rec.RequestParameters.(map[string]any)
		bucket, _ := params["bucketName"].(string)
		in := s.inWindow(rec.at)
		crossAccount := rec.EventName == "AssumeRole" && rec.UserIdentity.AccountID != "" && rec.UserIdentity.AccountID != rec.RecipientAccountID
		if in && (huntNames[rec.EventName] || crossAccount) {
			hunt = append(hunt, ref(rec))
		}
		if bucket != ExfilBucket {
			continue
		}
		if bucketChangeNames[rec.EventName] {
			if in {
				ex.BucketChanges = append(ex.BucketChanges, ref(rec))
			} else if rec.at.Before(s.since) {
				ex.BucketChangesBefore = append(ex.BucketChangesBefore, ref(rec))
			}
			continue
		}
		if rec.EventName != "GetObject" {
			continue
		}
		if rec.ErrorCode != "" {
			if in {
				ex.FailedReads = append(ex.FailedReads, ref(rec))
			}
			continue
		}
		key, _ := params["key"].(string)
		b := bytesOut(rec)
		if rec.at.Before(s.since) {
			bl := base[p]
			if bl == nil {
				bl = &Baseline{Principal: p, Since: fmtTime(s.c.Start), Until: fmtTime(s.since)}
				base[p] = bl
				baseDays[p] = map[string]bool{}
			}
			bl.Objects++
			bl.Bytes += b
			baseDays[p][rec.at.Format("2006-01-02")] = true
			continue
		}
		if !in {
			continue
		}
		windowPrincipals[p] = true
		ex.Objects++
		ex.Bytes += b
		allKeys[key] = true
		addTo([3]string{p, rec.SourceIPAddress, rec.UserAgent}, rec, p, key, b)
		addTo([3]string{p, rec.SourceIPAddress, "\x00pi"}, rec, p, key, b)
		acct := rec.UserIdentity.AccountID
		switch {
		case p == "anonymous":
			addTo([3]string{"\x00anon", "", ""}, rec, p, key, b)
		case !s.inOrg(acct):
			addTo([3]string{p, rec.SourceIPAddress, "\x00ext"}, rec, p, key, b)
			groups[[3]string{p, rec.SourceIPAddress, "\x00ext"}].AccountID = acct
		}
	}
	ex.DistinctKeys = int64(len(allKeys))
	for k, g := range groups {
		g.DistinctKeys = int64(len(g.keys))
		g.FirstSeen, g.LastSeen = fmtTime(g.first), fmtTime(g.last)
		switch {
		case k[0] == "\x00anon":
			ex.Anonymous = g.Reader
		case k[2] == "\x00pi":
			g.UserAgent = ""
			ex.ByPrincipalIP = append(ex.ByPrincipalIP, g.Reader)
		case k[2] == "\x00ext":
			g.UserAgent = ""
			ex.External = append(ex.External, g.Reader)
		default:
			ex.Readers = append(ex.Readers, g.Reader)
		}
	}
	for _, l := range [][]Reader{ex.Readers, ex.ByPrincipalIP, ex.External} {
		sortReaders(l)
	}
	for p, bl := range base {
		if windowPrincipals[p] {
			bl.ActiveDays = len(baseDays[p])
			ex.Baseline = append(ex.Baseline, *bl)
		}
	}
	sort.Slice(ex.Baseline, func(i, j int) bool { return ex.Baseline[i].Principal < ex.Baseline[j].Principal })

	links := make([]link, len(s.records))
	for i := range s.records {
		links[i] = recordLink(&s.records[i])
	}
	return &Truth{
		Window: Window{Since: fmtTime(s.since), Until: fmtTime(s.until)},
		Exfil:  ex,
		Pivot:  pivotGraph(links, leakedKey, s.since, s.until),
		Hunt:   hunt,
	}
}

func (s *scenario) inOrg(acct string) bool {
	for _, a := range s.c.Accounts {
		if a == acct {
			return true
		}
	}
	return false
}

func sortReaders(l []Reader) {
	sort.Slice(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.SourceIP != b.SourceIP {
			return a.SourceIP < b.SourceIP
		}
		return a.UserAgent < b.UserAgent
	})
}

func bytesOut(rec *Record) int64 {
	m, _ := rec.AdditionalEventData.(map[string]any)
	n, _ := m["bytesTransferredOut"].(interface{ Float64() (float64, error) })
	if n == nil {
		return 0
	}
	f, _ := n.Float64()
	return int64(f)
}

func ref(rec *Record) EventRef {
	return EventRef{EventID: rec.EventID, EventTime: rec.EventTime, EventSource: rec.EventSource, EventName: rec.EventName,
		ErrorCode: rec.ErrorCode, Principal: rec.UserIdentity.principal(), SourceIP: rec.SourceIPAddress,
		Account: rec.account, Region: rec.region}
}
