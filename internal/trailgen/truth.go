package trailgen

// Truth is what the generator planted: the answers an investigation over the
// generated tree must find. Counts and byte sums are over distinct eventID,
// so files delivered twice do not change them. Times are RFC 3339 UTC.
// The window is half-open, [Since, Until); no planted event lies on a bound.
type Truth struct {
	Seed     uint64   `json:"seed"`
	Start    string   `json:"start"`
	Days     int      `json:"days"`
	OrgID    string   `json:"org_id"`
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`

	// Files is every file written, duplicates included.
	Files int `json:"files"`
	// Records is every record written, duplicates included.
	Records int64 `json:"records"`
	// Events is the number of distinct eventIDs.
	Events int64 `json:"events"`
	// DuplicateRecords are records written a second time in another file.
	DuplicateRecords int64 `json:"duplicate_records"`
	DuplicatedFiles  int   `json:"duplicated_files"`

	// Window is the demo window in which the attack happens.
	Window Window `json:"window"`

	Exfil *ExfilTruth `json:"exfil,omitempty"`
	Pivot *PivotTruth `json:"pivot,omitempty"`
	// Hunt lists the planted events the detection catalog must report.
	Hunt []EventRef `json:"hunt,omitempty"`
}

// Window is a half-open time range [Since, Until).
type Window struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

// ExfilTruth answers `exfil --bucket <Bucket>` over the window.
type ExfilTruth struct {
	Bucket          string   `json:"bucket"`
	BucketAccount   string   `json:"bucket_account"`
	Region          string   `json:"region"`
	LeakedPrincipal string   `json:"leaked_principal"`
	LeakedAccessKey string   `json:"leaked_access_key"`
	AttackerIPs     []string `json:"attacker_ips"`

	// Objects, Bytes and DistinctKeys are over every successful GetObject on
	// the bucket in the window.
	Objects      int64 `json:"objects"`
	Bytes        int64 `json:"bytes"`
	DistinctKeys int64 `json:"distinct_keys"`

	// Readers is per (principal, source IP, user agent), bytes descending.
	Readers []Reader `json:"readers"`
	// ByPrincipalIP is per (principal, source IP); UserAgent is empty.
	ByPrincipalIP []Reader `json:"by_principal_ip"`
	// External are reads by principals whose account is outside the
	// organization, per (principal, source IP).
	External []Reader `json:"external"`
	// Anonymous sums unauthenticated reads over every source.
	Anonymous Reader `json:"anonymous"`
	// FailedReads are GetObject calls that returned an error; they are not
	// counted as objects read.
	FailedReads []EventRef `json:"failed_reads"`
	// Baseline is each window reader's successful reads of the bucket
	// before the window (from the first day of the span).
	Baseline []Baseline `json:"baseline"`
	// BucketChanges are policy, ACL, public access block, replication and
	// lifecycle changes in the window; BucketChangesBefore those before it.
	BucketChanges       []EventRef `json:"bucket_changes"`
	BucketChangesBefore []EventRef `json:"bucket_changes_before"`
}

// Reader is one reader's totals.
type Reader struct {
	Principal    string `json:"principal"`
	AccountID    string `json:"account_id,omitempty"`
	SourceIP     string `json:"source_ip,omitempty"`
	UserAgent    string `json:"user_agent,omitempty"`
	Objects      int64  `json:"objects"`
	DistinctKeys int64  `json:"distinct_keys"`
	Bytes        int64  `json:"bytes"`
	FirstSeen    string `json:"first_seen,omitempty"`
	LastSeen     string `json:"last_seen,omitempty"`
}

// Baseline is a principal's reads before the window.
type Baseline struct {
	Principal  string `json:"principal"`
	Since      string `json:"since"`
	Until      string `json:"until"`
	Objects    int64  `json:"objects"`
	Bytes      int64  `json:"bytes"`
	ActiveDays int    `json:"active_days"`
}

// EventRef identifies one planted event.
type EventRef struct {
	EventID     string `json:"event_id"`
	EventTime   string `json:"event_time"`
	EventSource string `json:"event_source"`
	EventName   string `json:"event_name"`
	ErrorCode   string `json:"error_code,omitempty"`
	Principal   string `json:"principal"`
	SourceIP    string `json:"source_ip"`
	Account     string `json:"account"`
	Region      string `json:"region"`
}

// PivotTruth is the graph `identity --access-key <Seed> --pivot N` must
// reach over the window when N is large enough: identities to the source
// IPs they used, IPs to the other identities that used them, identities to
// their access keys, and keys to the keys they minted (AssumeRole) or
// created (CreateAccessKey). Addresses in Excluded are AWS-internal sources
// the same identities used; expanding them would pull in unrelated
// identities, so they are never nodes.
type PivotTruth struct {
	SeedKind string   `json:"seed_kind"`
	Seed     string   `json:"seed"`
	Nodes    []Node   `json:"nodes"`
	Edges    []Edge   `json:"edges"`
	Excluded []string `json:"excluded"`
	// Rounds is how many expansion rounds reach every node.
	Rounds int `json:"rounds"`
}

// Node is one vertex: Kind is "identity", "access_key" or "ip".
type Node struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Round is the first expansion round that reaches the node (seed = 0).
	Round int `json:"round"`
}

// Edge links two node values; Relation is "uses_key", "from_ip",
// "minted" (AssumeRole response) or "created" (CreateAccessKey response).
type Edge struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Relation string `json:"relation"`
}
