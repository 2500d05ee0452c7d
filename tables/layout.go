package tables

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DefaultStart is the first projected day when none is given: CloudTrail
// launched in November 2013, so no trail holds anything older.
const DefaultStart = "2013/11/01"

// Spec describes one CloudTrail table over one trail location.
type Spec struct {
	Database string
	Name     string
	// Bucket and Prefix locate the trail; Prefix has no leading or
	// trailing slash ("" when the trail writes at the bucket root).
	Bucket string
	Prefix string
	// OrgID selects the organization layout
	// (AWSLogs/<org-id>/<account>/...); empty means the single-account
	// layout (AWSLogs/<account>/...).
	OrgID    string
	Accounts []string
	Regions  []string
	// Start is the first projected day, YYYY/MM/DD or YYYY-MM-DD.
	Start string
}

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	orgRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	dayRe     = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}$`)
	identRe   = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	bucketRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// IsAccountID, IsOrgID and IsRegion validate discovered or configured
// values before they reach a table definition.
func IsAccountID(s string) bool { return accountRe.MatchString(s) }

// IsOrgID reports whether s looks like an AWS Organizations id.
func IsOrgID(s string) bool { return orgRe.MatchString(s) }

// IsRegion reports whether s looks like an AWS region code.
func IsRegion(s string) bool { return regionRe.MatchString(s) }

// Validate checks everything that ends up in DDL text or table parameters:
// identifiers and S3 paths come from configuration, but a malformed one
// would otherwise surface as an obscure Glue or Athena error much later.
func (s Spec) Validate() error {
	if !identRe.MatchString(s.Database) {
		return fmt.Errorf("invalid database name %q: use lowercase letters, digits and _", s.Database)
	}
	if !identRe.MatchString(s.Name) {
		return fmt.Errorf("invalid table name %q: use lowercase letters, digits and _", s.Name)
	}
	if !bucketRe.MatchString(s.Bucket) {
		return fmt.Errorf("invalid bucket name %q", s.Bucket)
	}
	if strings.HasPrefix(s.Prefix, "/") || strings.HasSuffix(s.Prefix, "/") || strings.ContainsAny(s.Prefix, "'\\\n\r${}") {
		return fmt.Errorf("invalid prefix %q: no leading or trailing slash, quotes or ${}", s.Prefix)
	}
	if s.OrgID != "" && !IsOrgID(s.OrgID) {
		return fmt.Errorf("invalid organization id %q", s.OrgID)
	}
	if len(s.Accounts) == 0 {
		return fmt.Errorf("table %s: no accounts to project", s.Name)
	}
	for _, a := range s.Accounts {
		if !IsAccountID(a) {
			return fmt.Errorf("table %s: invalid account id %q", s.Name, a)
		}
	}
	if len(s.Regions) == 0 {
		return fmt.Errorf("table %s: no regions to project", s.Name)
	}
	for _, r := range s.Regions {
		if !IsRegion(r) {
			return fmt.Errorf("table %s: invalid region %q", s.Name, r)
		}
	}
	if _, err := NormalizeDay(s.start()); err != nil {
		return fmt.Errorf("table %s: %w", s.Name, err)
	}
	return nil
}

// NormalizeDay turns YYYY-MM-DD or YYYY/MM/DD into the projection's
// yyyy/MM/dd form.
func NormalizeDay(d string) (string, error) {
	n := strings.ReplaceAll(d, "-", "/")
	if !dayRe.MatchString(n) {
		return "", fmt.Errorf("invalid start day %q: want YYYY-MM-DD", d)
	}
	return n, nil
}

func (s Spec) start() string {
	if s.Start == "" {
		return DefaultStart
	}
	return s.Start
}

// LogsRoot is the S3 URI of the AWSLogs folder the layout lives under,
// with a trailing slash: the org folder for an organization trail.
func (s Spec) LogsRoot() string {
	root := "s3://" + s.Bucket + "/"
	if s.Prefix != "" {
		root += s.Prefix + "/"
	}
	root += "AWSLogs/"
	if s.OrgID != "" {
		root += s.OrgID + "/"
	}
	return root
}

// LocationTemplate is the storage.location.template of partition
// projection. It points into CloudTrail/ only, never CloudTrail-Digest/ or
// CloudTrail-Insight/.
func (s Spec) LocationTemplate() string {
	return s.LogsRoot() + "${account}/CloudTrail/${region}/${day}"
}

// Parameters are the table parameters: partition projection plus the
// ctathena ownership mark. The account column is injected: each query
// names the accounts it reads (account IN (?, …), from the S3 listing of
// the account folders, see sql.RenderScoped), so the definition does not
// grow with the organization and no query projects an account it does not
// name (tables/limits.go). Regions stay an enum: AWS has a few dozen.
func (s Spec) Parameters() map[string]string {
	start, _ := NormalizeDay(s.start())
	return map[string]string{
		"EXTERNAL":                     "TRUE",
		"classification":               "cloudtrail",
		"projection.enabled":           "true",
		"projection.account.type":      "injected",
		"projection.region.type":       "enum",
		"projection.region.values":     strings.Join(sortedUnique(s.Regions), ","),
		"projection.day.type":          "date",
		"projection.day.format":        "yyyy/MM/dd",
		"projection.day.range":         start + ",NOW",
		"projection.day.interval":      "1",
		"projection.day.interval.unit": "DAYS",
		"storage.location.template":    s.LocationTemplate(),
		ParamManaged:                   "true",
		ParamVersion:                   SchemaVersion,
	}
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// DDL is the CREATE EXTERNAL TABLE statement equivalent to what setup
// makes through the Glue API, for --dry-run and for people who prefer to
// run it themselves in the Athena console.
func DDL(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS `%s`.`%s` (\n", s.Database, s.Name)
	cols := Columns()
	for i, c := range cols {
		sep := ","
		if i == len(cols)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  `%s` %s%s\n", c.Name, c.HiveType, sep)
	}
	b.WriteString(")\nPARTITIONED BY (")
	for i, p := range PartitionColumns() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s` %s", p.Name, p.HiveType)
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "ROW FORMAT SERDE '%s'\n", SerDe)
	fmt.Fprintf(&b, "STORED AS INPUTFORMAT '%s'\n", InputFormat)
	fmt.Fprintf(&b, "OUTPUTFORMAT '%s'\n", OutputFormat)
	fmt.Fprintf(&b, "LOCATION '%s'\n", s.LogsRoot())
	b.WriteString("TBLPROPERTIES (\n")
	params := s.Parameters()
	delete(params, "EXTERNAL") // implied by CREATE EXTERNAL TABLE
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  '%s'='%s'%s\n", k, params[k], sep)
	}
	b.WriteString(")")
	return b.String()
}
