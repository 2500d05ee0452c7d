package tables

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
)

// Limits Athena and Glue document for partition-projected tables and the
// queries over them. Each says where it is written; tests hold the tables
// and queries to them at organization scale (80, 500 and 2,000 accounts).
const (
	// EnumAdvice is "a few dozen" values: AWS recommends keeping an enum
	// projection to a few dozen values or fewer ("Supported types for
	// partition projection", Enum type, Note:
	// https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
	// Regions fit (AWS has about 34); an organization's accounts do not.
	EnumAdvice = 48

	// GlueTableMetadataMax is the same page's hard limit: "the total size
	// of your table's metadata cannot exceed the AWS Glue limit of about
	// 1 MB when gzip compressed", shared by columns, location, storage
	// format and table parameters (the enum values among them).
	GlueTableMetadataMax = 1 << 20

	// ScanPartitionsMax is the number of partitions one table scan may
	// read in Trino's Hive connector (hive.max-partitions-per-scan,
	// default 100,000, Trino release 0.159 notes:
	// https://trino.io/docs/current/release/release-0.159.html). Athena
	// engine version 3 is Trino; AWS documents no value of its own, only
	// that "Athena may time out when querying a table that has many
	// thousands of partitions" ("Considerations and limitations for SQL
	// queries", https://docs.aws.amazon.com/athena/latest/ug/other-notable-limitations.html).
	// With projection each projected partition is one S3 listing whether
	// or not it holds a file, so the count that matters is the projected
	// one.
	ScanPartitionsMax = 100_000

	// ManyThousands is where we read "many thousands" to begin (our
	// reading, not a documented number): a query projecting more in all
	// is reported before it runs as one that may take long.
	ManyThousands = 10_000

	// ScanBudget is the most partitions one scan of a table may project:
	// sql.RenderScoped splits a table reference whose accounts × regions ×
	// days would be more into a UNION ALL of disjoint scans within it. It
	// is half of Trino's per-scan limit (ScanPartitionsMax), for three
	// reasons. Athena documents no value of its own, so the margin covers
	// an Athena setting below Trino's default. The split costs nothing in
	// partitions read (the scans are disjoint; the total is the same), only
	// text and parameters: at 2,000 accounts × 17 regions × 46 days (exfil's
	// 30-day window and 14-day baseline) a reference is 32 scans, some 2,600
	// parameters and 11 KB of text, far inside Athena's limits. And a
	// budget of 10,000 ("many thousands") would make 157 scans of that
	// reference and repeat the region list in each, for no fewer
	// partitions.
	ScanBudget = 50_000
)

// Why injected, not enum, for the account column ("Use dynamic ID
// partitioning",
// https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html):
// an enum of every organization account grows the table definition with
// the organization (AWS advises a few dozen values; 2,000 accounts is
// 26 KB of the ~1 MB) and makes every query constrained by day alone
// project every account × region: 1,598,000 partitions for a 30-day exfil
// at 2,000 accounts × 17 regions, 16 times Trino's per-scan limit. With
// injected projection Athena "uses values from the query itself to
// compute the set of partitions that will be read"; the query must give
// the column's values as "static equality conditions" — literals or
// expressions evaluable without reading data — or it fails with
// CONSTRAINT_VIOLATION. Every query ctathena sends on Athena names them:
// `account IN (?, …)`, one ExecutionParameter per account folder the S3
// listing shows (ExecutionParameters are bound as literals before planning,
// "Use parameterized queries"). Which accounts: those set up (the config)
// that have a CloudTrail folder in the bucket; for exfil's data queries only
// those exfil/read_partitions finds holding the window's reads of the
// bucket (S3 delivers a bucket's data events to its owner's account in its
// region). Regions stay an enum of at most a few dozen values and are
// constrained the same way, so a scan projects only folders that exist
// (sql.Shard groups accounts by their set of regions).
//
// A table made by an earlier setup (enum of accounts) works with the same
// queries: the constraint only narrows its projection.
//
// Not proven on real Athena (moto accepts any query): whether the
// injected check accepts other predicates on the column beside the scans'
// IN lists. One catalog query has one: exfil/baseline_days keeps
// `account || '/' || region IN (SELECT …)` in its outer WHERE, which the
// scans make redundant on Athena (they already name only the bucket
// owners' folders).

// MetadataSize is the gzip-compressed size of the table definition setup
// sends to Glue: what Glue's 1 MB limit applies to.
func MetadataSize(sp Spec) (int, error) {
	raw, err := json.Marshal(tableInput(sp))
	if err != nil {
		return 0, err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return b.Len(), nil
}

// checkLimits refuses a table Glue would refuse and notes a region enum
// past AWS's advice (accounts are injected, see above).
func checkLimits(sp Spec) (notes []string, err error) {
	n, err := MetadataSize(sp)
	if err != nil {
		return nil, fmt.Errorf("table %s: measure its metadata: %w", sp.Name, err)
	}
	if n > GlueTableMetadataMax {
		return nil, fmt.Errorf("table %s: its definition is %d bytes gzip-compressed, over Glue's limit of about %d (%d accounts, %d regions projected)",
			sp.Name, n, GlueTableMetadataMax, len(sp.Accounts), len(sp.Regions))
	}
	if len(sp.Regions) > EnumAdvice {
		notes = append(notes, fmt.Sprintf("table %s projects %d regions, more than the few dozen AWS advises for an enum projection", sp.Name, len(sp.Regions)))
	}
	return notes, nil
}
