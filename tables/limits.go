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
	// reading, not a documented number): a query projecting more is
	// reported before it runs as one that may time out.
	ManyThousands = 10_000
)

// Injected projection ("Use dynamic ID partitioning",
// https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html)
// would keep the table's metadata independent of the organization's size,
// but every query must then give the column's values as "static equality
// conditions" — literals or expressions evaluable without reading data —
// or it fails with CONSTRAINT_VIOLATION. An ExecutionParameter is bound as
// a literal before planning ("Use parameterized queries": values are
// declared as literals, e.g. '2014-07-05' or CAST(...)), which fits that
// wording, but AWS does not say so outright and moto cannot tell. It also
// needs every query to name its accounts one placeholder each
// (account IN (?, ?, ...)), which the catalog does not render yet; until
// it does, the account column stays an enum and the cost estimate reports
// what each query projects (see engine/athena.Estimate).

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

// checkLimits refuses a table Glue would refuse and notes one past AWS's
// enum advice.
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
	if len(sp.Accounts) > EnumAdvice {
		notes = append(notes, fmt.Sprintf("table %s projects %d accounts, more than the few dozen AWS advises for an enum projection (its definition is %d bytes gzip-compressed of Glue's ~1 MB); each query constrained by day alone projects %d partitions a day",
			sp.Name, len(sp.Accounts), n, len(sp.Accounts)*len(sp.Regions)))
	}
	return notes, nil
}
