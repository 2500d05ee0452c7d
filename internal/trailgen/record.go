package trailgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Record is one CloudTrail event as AWS writes it. The field order follows
// real delivered files so the generated JSON reads like the real thing;
// unexported fields carry what the generator needs to deliver and account
// for the event and never reach the file.
type Record struct {
	EventVersion        string      `json:"eventVersion"`
	UserIdentity        Identity    `json:"userIdentity"`
	EventTime           string      `json:"eventTime"`
	EventSource         string      `json:"eventSource"`
	EventName           string      `json:"eventName"`
	AWSRegion           string      `json:"awsRegion"`
	SourceIPAddress     string      `json:"sourceIPAddress"`
	UserAgent           string      `json:"userAgent"`
	ErrorCode           string      `json:"errorCode,omitempty"`
	ErrorMessage        string      `json:"errorMessage,omitempty"`
	RequestParameters   any         `json:"requestParameters"`
	ResponseElements    any         `json:"responseElements"`
	AdditionalEventData any         `json:"additionalEventData,omitempty"`
	RequestID           string      `json:"requestID,omitempty"`
	EventID             string      `json:"eventID"`
	ReadOnly            bool        `json:"readOnly"`
	Resources           []Resource  `json:"resources,omitempty"`
	EventType           string      `json:"eventType"`
	ManagementEvent     bool        `json:"managementEvent"`
	RecipientAccountID  string      `json:"recipientAccountId"`
	SharedEventID       string      `json:"sharedEventID,omitempty"`
	VPCEndpointID       string      `json:"vpcEndpointId,omitempty"`
	EventCategory       string      `json:"eventCategory"`
	TLSDetails          *TLSDetails `json:"tlsDetails,omitempty"`

	// at is the event time; account and region say which trail folder the
	// record is delivered to (never inferred from recipientAccountId).
	at      time.Time
	account string
	region  string
	// forceDup makes the file holding this record be delivered twice.
	forceDup bool
}

// Identity is CloudTrail's userIdentity block.
type Identity struct {
	Type           string          `json:"type"`
	PrincipalID    *string         `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// SessionContext describes temporary credentials behind an identity.
type SessionContext struct {
	SessionIssuer *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes    SessionAttributes `json:"attributes"`
}

// SessionIssuer is the role or user that issued a session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the creation date and MFA flag of a session.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is one entry of the resources array.
type Resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// TLSDetails is the tlsDetails block.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// principal is the identity as the exfil answers name it: the ARN when there
// is one, the invoking service for AWS services, "anonymous" for
// unauthenticated requests, and the account id otherwise.
func (id Identity) principal() string {
	switch {
	case id.ARN != "":
		return id.ARN
	case id.Type == "AWSService":
		return id.InvokedBy
	case id.AccountID == "anonymous" || (id.PrincipalID != nil && *id.PrincipalID == "ANONYMOUS_PRINCIPAL"):
		return "anonymous"
	default:
		return id.AccountID
	}
}

func strp(s string) *string { return &s }

// actor is a principal that makes calls: its identity block plus where it
// calls from and with what client.
type actor struct {
	id    Identity
	ips   []string
	agent string
}

const timeLayout = "2006-01-02T15:04:05Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

const alnumUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randString(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func randUUID(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	// Version 4, RFC 4122 variant, so the IDs look like the real ones.
	a = a&^(0xf<<12) | 0x4<<12
	b = b&^(0x3<<62) | 0x2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func accessKey(r *rand.Rand, prefix string) string { return prefix + randString(r, alnumUpper, 16) }

// s3RequestID mimics S3's 16-character request ids.
func s3RequestID(r *rand.Rand) string { return randString(r, alnumUpper, 16) }

func amzID2(r *rand.Rand) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return randString(r, b64, 76) + "="
}

// bytesNumber renders a byte count as CloudTrail does: usually an integer,
// sometimes a float such as 1234.0.
func bytesNumber(n int64, float bool) json.Number {
	if float {
		return json.Number(strconv.FormatInt(n, 10) + ".0")
	}
	return json.Number(strconv.FormatInt(n, 10))
}

func tls(host string, r *rand.Rand) *TLSDetails {
	if r.IntN(5) == 0 {
		return &TLSDetails{TLSVersion: "TLSv1.2", CipherSuite: "ECDHE-RSA-AES128-GCM-SHA256", ClientProvidedHostHeader: host}
	}
	return &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: host}
}

func isServiceSource(ip string) bool {
	return ip == "AWS Internal" || strings.HasSuffix(ip, ".amazonaws.com")
}

// apiCall builds a management event made by a; params and response may be nil.
func apiCall(r *rand.Rand, a actor, ip string, at time.Time, account, region, source, name string, readOnly bool, params, response any) Record {
	svc := strings.TrimSuffix(source, ".amazonaws.com")
	host := svc + "." + region + ".amazonaws.com"
	if svc == "iam" {
		host = "iam.amazonaws.com"
	}
	rec := Record{
		EventVersion:       "1.08",
		UserIdentity:       a.id,
		EventTime:          fmtTime(at),
		EventSource:        source,
		EventName:          name,
		AWSRegion:          region,
		SourceIPAddress:    ip,
		UserAgent:          a.agent,
		RequestParameters:  params,
		ResponseElements:   response,
		RequestID:          randUUID(r),
		EventID:            randUUID(r),
		ReadOnly:           readOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      "Management",
		at:                 at,
		account:            account,
		region:             region,
	}
	if svc == "s3" {
		rec.EventVersion = "1.10"
		rec.RequestID = s3RequestID(r)
	}
	if isServiceSource(ip) {
		// Calls AWS makes on a principal's behalf carry the service as
		// agent and no TLS details.
		rec.UserAgent = ip
	} else {
		rec.TLSDetails = tls(host, r)
	}
	return rec
}

// s3Object builds an S3 data event on an object (or a bucket listing when
// key is empty and op is ListObjects).
func s3Object(r *rand.Rand, a actor, ip string, at time.Time, account, region, owner, op, bucket, key string, bytesIn, bytesOut int64, floatBytes bool) Record {
	host := bucket + ".s3." + region + ".amazonaws.com"
	params := map[string]any{"bucketName": bucket, "Host": host}
	resources := []Resource{}
	readOnly := true
	switch op {
	case "ListObjects":
		params["prefix"] = key
		params["delimiter"] = "/"
		params["encoding-type"] = "url"
		resources = append(resources, Resource{AccountID: owner, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket})
	default:
		params["key"] = key
		resources = append(resources,
			Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
			Resource{AccountID: owner, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket})
	}
	if op == "PutObject" || op == "DeleteObject" {
		readOnly = false
	}
	extra := map[string]any{
		"SignatureVersion":     "SigV4",
		"CipherSuite":          "TLS_AES_128_GCM_SHA256",
		"bytesTransferredIn":   bytesNumber(bytesIn, false),
		"AuthenticationMethod": "AuthHeader",
		"x-amz-id-2":           amzID2(r),
		"bytesTransferredOut":  bytesNumber(bytesOut, floatBytes),
	}
	if a.id.AccountID == "anonymous" {
		delete(extra, "SignatureVersion")
		delete(extra, "AuthenticationMethod")
	}
	rec := Record{
		EventVersion:        "1.10",
		UserIdentity:        a.id,
		EventTime:           fmtTime(at),
		EventSource:         "s3.amazonaws.com",
		EventName:           op,
		AWSRegion:           region,
		SourceIPAddress:     ip,
		UserAgent:           a.agent,
		RequestParameters:   params,
		ResponseElements:    nil,
		AdditionalEventData: extra,
		RequestID:           s3RequestID(r),
		EventID:             randUUID(r),
		ReadOnly:            readOnly,
		Resources:           resources,
		EventType:           "AwsApiCall",
		ManagementEvent:     false,
		RecipientAccountID:  owner,
		EventCategory:       "Data",
		TLSDetails:          tls(host, r),
		at:                  at,
		account:             account,
		region:              region,
	}
	if isServiceSource(ip) {
		rec.TLSDetails = nil
	}
	return rec
}

// s3Bucket builds a management event on a bucket's configuration.
func s3Bucket(r *rand.Rand, a actor, ip string, at time.Time, account, region, name, bucket string, extraParams map[string]any) Record {
	params := map[string]any{"Host": "s3." + region + ".amazonaws.com"}
	if bucket != "" {
		params["bucketName"] = bucket
	}
	for k, v := range extraParams {
		params[k] = v
	}
	rec := apiCall(r, a, ip, at, account, region, "s3.amazonaws.com", name, strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List"), params, nil)
	if bucket != "" {
		rec.Resources = []Resource{{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}}
	}
	rec.AdditionalEventData = map[string]any{
		"SignatureVersion":     "SigV4",
		"CipherSuite":          "TLS_AES_128_GCM_SHA256",
		"bytesTransferredIn":   bytesNumber(int64(r.IntN(900)), false),
		"AuthenticationMethod": "AuthHeader",
		"x-amz-id-2":           amzID2(r),
		"bytesTransferredOut":  bytesNumber(0, false),
	}
	return rec
}

// assumeRole builds an sts:AssumeRole event whose response mints
// credentials with key newKey for session sessionName of roleARN.
func assumeRole(r *rand.Rand, a actor, ip string, at time.Time, account, region, roleARN, roleID, sessionName, newKey string) Record {
	parts := strings.SplitN(strings.TrimPrefix(roleARN, "arn:aws:iam::"), ":role/", 2)
	sessionARN := "arn:aws:sts::" + parts[0] + ":assumed-role/" + parts[1] + "/" + sessionName
	params := map[string]any{"roleArn": roleARN, "roleSessionName": sessionName, "durationSeconds": 3600}
	resp := map[string]any{
		"credentials": map[string]any{
			"accessKeyId":  newKey,
			"sessionToken": "IQoJb3JpZ2luX2VjE" + randString(r, alnum, 60),
			"expiration":   at.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM"),
		},
		"assumedRoleUser": map[string]any{"assumedRoleId": roleID + ":" + sessionName, "arn": sessionARN},
	}
	rec := apiCall(r, a, ip, at, account, region, "sts.amazonaws.com", "AssumeRole", true, params, resp)
	rec.Resources = []Resource{{AccountID: parts[0], Type: "AWS::IAM::Role", ARN: roleARN}}
	if a.id.Type == "AWSService" {
		rec.SharedEventID = randUUID(r)
	}
	return rec
}
