package main

import "strings"

// credentialMarkers are substrings of the SDK's errors for missing, expired
// or refused credentials.
var credentialMarkers = []string{
	"failed to retrieve credentials", "no EC2 IMDS role found", "NoCredentialProviders",
	"ExpiredToken", "InvalidClientTokenId", "UnrecognizedClientException", "token has expired",
	"SSO session", "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "SignatureDoesNotMatch",
}

func isCredentialError(err error) bool {
	s := err.Error()
	for _, m := range credentialMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// awsHint adds the usual fix for the usual AWS failures, in one place.
func awsHint(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "SSO session") || strings.Contains(s, "token has expired") || strings.Contains(s, "ExpiredToken"):
		return "your AWS session has expired: run 'aws sso login' (or refresh your credentials) and try again"
	case strings.Contains(s, "failed to retrieve credentials") || strings.Contains(s, "NoCredentialProviders") ||
		strings.Contains(s, "failed to refresh cached credentials") || strings.Contains(s, "AWS credentials:"):
		return "no AWS credentials found: set AWS_PROFILE or pass --profile, or work offline with --logs DIR"
	case strings.Contains(s, "Missing Region") || strings.Contains(s, "missing region"):
		return "no AWS region set: pass --region or set AWS_REGION"
	case strings.Contains(s, "AccessDenied"):
		return "the credentials lack a permission: 'ctathena iam-policy' prints the policy the tool needs"
	}
	return ""
}
