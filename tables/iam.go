package tables

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

type statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

var kmsKeyRe = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}$`)

// IsKMSKeyARN reports whether s is a KMS key ARN (not an alias: a key
// policy statement on kms:Decrypt names the key itself).
func IsKMSKeyARN(s string) bool { return kmsKeyRe.MatchString(s) }

// IAMPolicy returns the least-privilege IAM policy for the tool with this
// configuration: read the trail locations (and decrypt them with the
// configured KMS keys, for trails encrypted with SSE-KMS), read and write
// the results prefix, Glue on its database and tables, Athena on its
// workgroup, and the two read-only Organizations calls setup uses for
// discovery. No action is granted twice on one resource: a results prefix in
// a trail bucket joins that bucket's listing condition.
func IAMPolicy(c Config) string {
	region, account := c.Region, c.Account
	if region == "" {
		region = "*"
	}
	if account == "" {
		account = "*"
	}
	var trailObjects, trailBuckets, trailPrefixes []string
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range c.Tables {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		t := c.Tables[k]
		b, p := t.Bucket, t.Prefix
		if b == "" {
			var path string
			b, path, _ = SplitS3URI(t.Location)
			if i := strings.Index(path, "AWSLogs/"); i >= 0 {
				p = strings.TrimSuffix(path[:i], "/")
			}
		}
		logs := "AWSLogs/"
		if p = strings.Trim(p, "/"); p != "" {
			logs = p + "/AWSLogs/"
		}
		trailObjects = append(trailObjects, "arn:aws:s3:::"+b+"/"+logs+"*")
		trailBuckets = append(trailBuckets, "arn:aws:s3:::"+b)
		trailPrefixes = append(trailPrefixes, logs, logs+"*")
	}
	rb, rp, _ := SplitS3URI(c.ResultsLocation)
	rp = strings.Trim(rp, "/")
	resultsPrefix := ""
	if rp != "" {
		resultsPrefix = rp + "/"
	}
	resultsBucket := "arn:aws:s3:::" + rb
	resultsInTrailBucket := slices.Contains(trailBuckets, resultsBucket)
	if resultsInTrailBucket {
		// One statement lists each bucket; the results prefix is listed
		// under the trail bucket's condition rather than granted again.
		if resultsPrefix == "" {
			trailPrefixes = append(trailPrefixes, "*")
		} else {
			trailPrefixes = append(trailPrefixes, resultsPrefix, resultsPrefix+"*")
		}
	}
	db := c.Database
	glueARN := "arn:aws:glue:" + region + ":" + account
	var tableARNs []string
	for _, k := range keys {
		tableARNs = append(tableARNs, glueARN+":table/"+db+"/"+c.Tables[k].Name)
	}
	stmts := []statement{
		{Sid: "ReadTrailLogs", Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: sortedUnique(trailObjects)},
		{Sid: "ListTrailLogs", Effect: "Allow", Action: []string{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: sortedUnique(trailBuckets),
			Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": sortedUnique(trailPrefixes)}}},
		{Sid: "WriteQueryResults", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
			Resource: []string{resultsBucket + "/" + resultsPrefix + "*"}},
	}
	if !resultsInTrailBucket {
		stmts = append(stmts, statement{Sid: "ListQueryResults", Effect: "Allow",
			Action: []string{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: []string{resultsBucket}})
	}
	stmts = append(stmts,
		statement{Sid: "QueryResultUploads", Effect: "Allow", Action: []string{"s3:ListBucketMultipartUploads"}, Resource: []string{resultsBucket}},
		statement{Sid: "GlueCatalog", Effect: "Allow", Action: []string{"glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:GetTables",
			"glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions"},
			Resource: sortedUnique(append([]string{glueARN + ":catalog", glueARN + ":database/" + db}, tableARNs...))},
		statement{Sid: "AthenaWorkgroup", Effect: "Allow", Action: []string{"athena:StartQueryExecution", "athena:GetQueryExecution",
			"athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup", "athena:CreateWorkGroup", "athena:UpdateWorkGroup"},
			Resource: []string{"arn:aws:athena:" + region + ":" + account + ":workgroup/" + c.Workgroup}},
		statement{Sid: "DiscoverOrganization", Effect: "Allow", Action: []string{"organizations:DescribeOrganization", "organizations:ListAccounts"},
			Resource: []string{"*"}},
		// validate and the investigations' log integrity check verify
		// digest signatures with CloudTrail's public keys; ListPublicKeys
		// has no resource-level permissions.
		statement{Sid: "CloudTrailPublicKeys", Effect: "Allow", Action: []string{"cloudtrail:ListPublicKeys"}, Resource: []string{"*"}},
	)
	if len(c.KMSKeys) > 0 {
		// Trails encrypted with SSE-KMS: reading a log object needs the key.
		stmts = append(stmts, statement{Sid: "DecryptTrailLogs", Effect: "Allow", Action: []string{"kms:Decrypt"},
			Resource: sortedUnique(c.KMSKeys)})
	}
	b, _ := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": stmts}, "", "  ")
	return string(b)
}
