package attack

// Entries for the calls the hunt catalog's newer detections name (bucket
// exposure, data destruction, organization changes) that TrailDiscover does
// not map. Kept apart from supplement.go so the two lists grow without
// touching each other; parse reads both, the generated mapping first.
func init() {
	s3 := func(name, desc string, tactic, tech Ref, reason string) Event {
		return Event{Source: "s3.amazonaws.com", Name: name, Service: "S3", Description: desc,
			Tactics: []Ref{tactic}, Techniques: []Ref{tech}, Reason: reason}
	}
	org := func(name, desc string, tactic, tech Ref, reason string) Event {
		return Event{Source: "organizations.amazonaws.com", Name: name, Service: "Organizations", Description: desc,
			Tactics: []Ref{tactic}, Techniques: []Ref{tech}, Reason: reason}
	}
	evasion, impact, persistence := Ref{"TA0005", "Defense Evasion"}, Ref{"TA0040", "Impact"}, Ref{"TA0003", "Persistence"}
	tools := Ref{"T1562.001", "Impair Defenses: Disable or Modify Tools"}
	destroy := Ref{"T1485", "Data Destruction"}
	encrypt := Ref{"T1486", "Data Encrypted for Impact"}
	hierarchy := Ref{"T1666", "Modify Cloud Resource Hierarchy"}
	Supplement = append(Supplement,
		s3("DeleteBucketPublicAccessBlock", "Removes a bucket's public access block, so a public policy or ACL takes effect again.", evasion, tools,
			"the usual first step before a bucket is made public; TrailDiscover maps PutBucketPolicy and PutBucketAcl but not this"),
		s3("PutBucketPublicAccessBlock", "Sets which of the four public access protections a bucket has.", evasion, tools,
			"turning protections off is the same weakening as deleting the block; turning them on is remediation"),
		s3("PutBucketLifecycleConfiguration", "Replaces a bucket's lifecycle rules (the current API name of PutBucketLifecycle).", impact, destroy,
			"the same effect as PutBucketLifecycle, which TrailDiscover maps to T1485 (Stratus aws.defense-evasion.cloudtrail-lifecycle-rule)"),
		s3("DeleteObjects", "Deletes up to 1,000 objects of a bucket in one call.", impact, destroy,
			"the bulk form of DeleteObject, which TrailDiscover maps to T1485"),
		s3("CopyObject", "Copies an object; with SSE-C headers it rewrites it under a key only the caller holds.", impact, encrypt,
			"S3 ransomware with customer-provided keys (SSE-C) copies objects onto themselves"),
		s3("CreateMultipartUpload", "Starts a multipart upload; with SSE-C headers the object is encrypted under the caller's key.", impact, encrypt,
			"large objects written in SSE-C ransomware go through multipart uploads"),
		Event{Source: "kms.amazonaws.com", Name: "DisableKey", Service: "KMS", Description: "Disables a KMS key: nothing encrypted with it can be decrypted until it is enabled again.",
			Tactics: []Ref{impact}, Techniques: []Ref{encrypt}, Reason: "the reversible twin of ScheduleKeyDeletion, which TrailDiscover maps"},
		Event{Source: "lambda.amazonaws.com", Name: "UpdateFunctionUrlConfig", Service: "Lambda", Description: "Changes a Lambda function URL, including whether callers must authenticate.",
			Tactics: []Ref{persistence, {"TA0001", "Initial Access"}}, Techniques: []Ref{{"T1190", "Exploit Public-Facing Application"}},
			Reason: "the update form of CreateFunctionUrlConfig; AuthType NONE makes the function public"},
		org("RemoveAccountFromOrganization", "Removes a member account from the organization and its service control policies.", evasion, hierarchy,
			"the management-account side of LeaveOrganization"),
		org("DeleteOrganization", "Deletes the organization once only its management account is left.", evasion, hierarchy,
			"ends every organization-wide guard rail and trail"),
		org("DetachPolicy", "Detaches a service control or other organization policy from a root, unit or account.", evasion, hierarchy,
			"removing a guard rail is how organization-level controls are evaded"),
		org("DeletePolicy", "Deletes an organization policy.", evasion, hierarchy, "see DetachPolicy"),
		org("UpdatePolicy", "Changes an organization policy's content.", evasion, hierarchy, "a guard rail can be emptied in place"),
		org("DisablePolicyType", "Switches a policy type (service control policies, ...) off for a root.", evasion, hierarchy,
			"turns every policy of that type off at once"),
		Event{Source: "iam.amazonaws.com", Name: "DeleteVirtualMFADevice", Service: "IAM", Description: "Deletes a virtual MFA device, so its user signs in with a password alone.",
			Tactics: []Ref{evasion, {"TA0006", "Credential Access"}}, Techniques: []Ref{{"T1556.006", "Modify Authentication Process: Multi-Factor Authentication"}},
			Reason: "the companion of DeactivateMFADevice, which TrailDiscover maps"},
		Event{Source: "access-analyzer.amazonaws.com", Name: "DeleteAnalyzer", Service: "AccessAnalyzer", Description: "Deletes an IAM Access Analyzer, which reports resources shared outside the account.",
			Tactics: []Ref{evasion}, Techniques: []Ref{tools}, Reason: "blinds the service that would report a bucket or role shared out"},
		Event{Source: "guardduty.amazonaws.com", Name: "DisassociateFromAdministratorAccount", Service: "GuardDuty", Description: "Detaches a member account's GuardDuty from its administrator account.",
			Tactics: []Ref{evasion}, Techniques: []Ref{tools}, Reason: "current name of DisassociateFromMasterAccount"},
		Event{Source: "securityhub.amazonaws.com", Name: "BatchDisableStandards", Service: "SecurityHub", Description: "Disables Security Hub standards (their controls stop being checked).",
			Tactics: []Ref{evasion}, Techniques: []Ref{tools}, Reason: "narrows Security Hub without switching it off"},
		Event{Source: "securityhub.amazonaws.com", Name: "DisableOrganizationAdminAccount", Service: "SecurityHub", Description: "Removes the organization's Security Hub administrator account.",
			Tactics: []Ref{evasion}, Techniques: []Ref{tools}, Reason: "ends organization-wide Security Hub findings"},
		Event{Source: "monitoring.amazonaws.com", Name: "DisableAlarmActions", Service: "CloudWatch", Description: "Stops CloudWatch alarms from acting (notifying) when they fire.",
			Tactics: []Ref{evasion}, Techniques: []Ref{tools}, Reason: "the quiet twin of DeleteAlarms, which TrailDiscover maps"},
	)
	extraTechniques["T1190"] = "Exploit Public-Facing Application"
	extraTechniques["T1110"] = "Brute Force"
	extraTechniques["T1486"] = "Data Encrypted for Impact"
	extraTechniques["T1556.006"] = "Modify Authentication Process: Multi-Factor Authentication"
}
