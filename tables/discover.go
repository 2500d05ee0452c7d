package tables

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type layout struct {
	orgID    string
	accounts []string
	regions  []string
	notes    []string
}

// listDirs lists the "folders" directly under prefix. It asks S3 for common
// prefixes with a delimiter, never for objects, so a bucket holding years of
// logs costs a handful of requests.
func listDirs(ctx context.Context, c s3Lister, bucket, prefix string) ([]string, error) {
	var out []string
	var token *string
	for {
		page, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix),
			Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, p := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), prefix), "/")
			if name != "" {
				out = append(out, name)
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return out, nil
		}
		token = page.NextContinuationToken
	}
}

// discover finds the layout under a trail location: the organization folder
// (if any), the account folders and the regions under their CloudTrail/
// folders (CloudTrail-Digest/ and CloudTrail-Insight/ are never looked at).
func discover(ctx context.Context, c s3Lister, src Source, orgHint string) (layout, error) {
	var l layout
	root := "AWSLogs/"
	if src.Prefix != "" {
		root = src.Prefix + "/AWSLogs/"
	}
	top, err := listDirs(ctx, c, src.Bucket, root)
	if err != nil {
		return l, err
	}
	var orgs, accts []string
	for _, n := range top {
		switch {
		case IsOrgID(n):
			orgs = append(orgs, n)
		case IsAccountID(n):
			accts = append(accts, n)
		}
	}
	switch {
	case orgHint != "" && orgHint != "auto":
		if !IsOrgID(orgHint) {
			return l, fmt.Errorf("invalid organization id %q", orgHint)
		}
		l.orgID = orgHint
		if !slices.Contains(orgs, orgHint) {
			l.notes = append(l.notes, fmt.Sprintf("s3://%s/%s has no %s folder yet", src.Bucket, root, orgHint))
		}
	case len(orgs) == 1:
		l.orgID = orgs[0]
	case len(orgs) > 1:
		return l, fmt.Errorf("s3://%s/%s holds several organizations (%s); choose one with --org-id", src.Bucket, root, strings.Join(orgs, ", "))
	}
	base := root
	if l.orgID != "" {
		if len(accts) > 0 {
			l.notes = append(l.notes, fmt.Sprintf("s3://%s/%s also holds single-account folders (%s); only the organization layout is covered",
				src.Bucket, root, strings.Join(accts, ", ")))
		}
		base = root + l.orgID + "/"
		if accts, err = listDirs(ctx, c, src.Bucket, base); err != nil {
			return l, err
		}
		accts = slices.DeleteFunc(accts, func(a string) bool { return !IsAccountID(a) })
	}
	// One listing rolled up at the year folders ("/2", see
	// engine/athena.YearDelimiter) names every account/region folder, about
	// a thousand per request, instead of one request per account.
	regions := map[string]bool{}
	var token *string
	for {
		page, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(src.Bucket), Prefix: aws.String(base),
			Delimiter: aws.String("/2"), ContinuationToken: token})
		if err != nil {
			return l, fmt.Errorf("list s3://%s/%s: %w", src.Bucket, base, err)
		}
		for _, p := range page.CommonPrefixes {
			parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), base), "/2"), "/")
			if len(parts) == 3 && IsAccountID(parts[0]) && parts[1] == "CloudTrail" && IsRegion(parts[2]) && slices.Contains(accts, parts[0]) {
				regions[parts[2]] = true
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			break
		}
		token = page.NextContinuationToken
	}
	l.accounts = sortedUnique(accts)
	for r := range regions {
		l.regions = append(l.regions, r)
	}
	slices.Sort(l.regions)
	return l, nil
}

// SplitS3URI splits s3://bucket/prefix into its parts; the prefix may be
// empty.
func SplitS3URI(uri string) (bucket, prefix string, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix/ location", uri)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}
