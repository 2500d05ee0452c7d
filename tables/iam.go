package tables

import (
	"encoding/json"
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

// IAMPolicy returns the least-privilege IAM policy for the tool with this
// configuration: read the trail locations, read and write the results
// prefix, Glue on its database and tables, Athena on its workgroup, and
// the two read-only Organizations calls setup uses for discovery.
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
		if p != "" {
			logs = strings.TrimSuffix(p, "/") + "/AWSLogs/"
		}
		trailObjects = append(trailObjects, "arn:aws:s3:::"+b+"/"+logs+"*")
		trailBuckets = append(trailBuckets, "arn:aws:s3:::"+b)
		trailPrefixes = append(trailPrefixes, logs, logs+"*")
	}
	rb, rp, _ := SplitS3URI(c.ResultsLocation)
	rp = strings.TrimSuffix(rp, "/")
	resultsPrefix := ""
	if rp != "" {
		resultsPrefix = rp + "/"
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
			Resource: []string{"arn:aws:s3:::" + rb + "/" + resultsPrefix + "*"}},
		{Sid: "ListQueryResults", Effect: "Allow", Action: []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
			Resource: []string{"arn:aws:s3:::" + rb}},
		{Sid: "GlueCatalog", Effect: "Allow", Action: []string{"glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:GetTables",
			"glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions"},
			Resource: append([]string{glueARN + ":catalog", glueARN + ":database/" + db}, tableARNs...)},
		{Sid: "AthenaWorkgroup", Effect: "Allow", Action: []string{"athena:StartQueryExecution", "athena:GetQueryExecution",
			"athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup", "athena:CreateWorkGroup", "athena:UpdateWorkGroup"},
			Resource: []string{"arn:aws:athena:" + region + ":" + account + ":workgroup/" + c.Workgroup}},
		{Sid: "DiscoverOrganization", Effect: "Allow", Action: []string{"organizations:DescribeOrganization", "organizations:ListAccounts"},
			Resource: []string{"*"}},
		// validate and the investigations' log integrity check verify
		// digest signatures with CloudTrail's public keys; ListPublicKeys
		// has no resource-level permissions.
		{Sid: "CloudTrailPublicKeys", Effect: "Allow", Action: []string{"cloudtrail:ListPublicKeys"}, Resource: []string{"*"}},
	}
	b, _ := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": stmts}, "", "  ")
	return string(b)
}
