package trailgen

import (
	"math/rand/v2"
	"strings"
	"time"
)

func iamUser(r *rand.Rand, account, name, key string) Identity {
	return Identity{
		Type:        "IAMUser",
		PrincipalID: strp("AIDA" + randString(r, alnumUpper, 17)),
		ARN:         "arn:aws:iam::" + account + ":user/" + name,
		AccountID:   account,
		AccessKeyID: key,
		UserName:    name,
	}
}

// roleSession is an AssumedRole identity of role in account, session name
// session, using temporary key key, created at created.
func roleSession(account, role, roleID, session, key string, created time.Time) Identity {
	return Identity{
		Type:        "AssumedRole",
		PrincipalID: strp(roleID + ":" + session),
		ARN:         "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session,
		AccountID:   account,
		AccessKeyID: key,
		SessionContext: &SessionContext{
			SessionIssuer: &SessionIssuer{
				Type:        "Role",
				PrincipalID: roleID,
				ARN:         "arn:aws:iam::" + account + ":role/" + role,
				AccountID:   account,
				UserName:    role,
			},
			Attributes: SessionAttributes{CreationDate: fmtTime(created), MFAAuthenticated: "false"},
		},
	}
}

func serviceIdentity(service string) Identity {
	return Identity{Type: "AWSService", InvokedBy: service}
}

func rootIdentity(account string) Identity {
	return Identity{Type: "Root", PrincipalID: strp(account), ARN: "arn:aws:iam::" + account + ":root", AccountID: account}
}

func roleID(r *rand.Rand) string { return "AROA" + randString(r, alnumUpper, 17) }

// Client strings seen in real trails, varied so user-agent grouping has
// something to group.
var cliAgents = []string{
	"aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp",
	"aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off command/ec2.describe-instances",
	"Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.11",
	"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
	"aws-sdk-java/1.12.600 Linux/5.10.205-195.804.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS java/17.0.9 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE",
	"Terraform/1.6.6 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"console.amazonaws.com",
}

// publicIP draws an address outside the documentation ranges the planted
// scenarios use, so background noise never joins the pivot graph.
func publicIP(r *rand.Rand) string {
	firsts := []int{3, 13, 18, 34, 35, 44, 52, 54, 63, 81, 84, 91, 95, 101, 103, 109, 146, 151, 176, 185, 188, 194, 212, 217}
	var b strings.Builder
	b.WriteString(itoa(firsts[r.IntN(len(firsts))]))
	for range 3 {
		b.WriteByte('.')
		b.WriteString(itoa(1 + r.IntN(254)))
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
