package sql

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Type is a parameter type. Each type validates and normalises the user's
// text before it becomes an argument; the error says what was wrong and
// what a valid value looks like.
type Type string

type typeDef struct {
	name  Type
	doc   string
	check func(string) (any, error)
	list  bool
}

var types = map[Type]typeDef{}

func def(name Type, doc string, check func(string) (any, error)) {
	types[name] = typeDef{name: name, doc: doc, check: check}
}

// TypeNames lists the known parameter types.
func TypeNames() []string {
	var out []string
	for n := range types {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// TypeDoc describes a type for `query --list`.
func TypeDoc(t Type) string { return types[t].doc }

// TimestampLayout is how timestamps are passed: the exact shape of
// CloudTrail's eventTime, so string comparison orders them.
const TimestampLayout = "2006-01-02T15:04:05Z"

// DayLayout is the partition day format (projection format yyyy/MM/dd).
const DayLayout = "2006/01/02"

var (
	bucketRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipLikeRe    = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	accountRe   = regexp.MustCompile(`^\d{12}$`)
	arnRe       = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:\S+$`)
	accessKeyRe = regexp.MustCompile(`^(AKIA|ASIA|AIDA|AROA|ABIA|ACCA|AGPA|ANPA|ANVA|APKA|ASCA)[A-Z0-9]{12,124}$`)
	eventNameRe = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
	quadRe      = regexp.MustCompile(`^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$`)
)

func init() {
	def("timestamp", "UTC time, RFC 3339 (2026-11-01T00:00:00Z)", func(s string) (any, error) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-01T00:00:00Z", s)
		}
		return t.UTC().Format(TimestampLayout), nil
	})
	def("day", "partition day, YYYY/MM/DD or YYYY-MM-DD", func(s string) (any, error) {
		t, err := time.Parse(DayLayout, s)
		if err != nil {
			t, err = time.Parse("2006-01-02", s)
		}
		if err != nil {
			return nil, fmt.Errorf("%q is not a day such as 2026/11/01", s)
		}
		return t.Format(DayLayout), nil
	})
	def("s3_bucket", "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)", func(s string) (any, error) {
		if err := ValidBucket(s); err != nil {
			return nil, err
		}
		return s, nil
	})
	listOf("s3_bucket_list", "s3_bucket", "comma-separated S3 bucket names")
	def("account_id", "a 12-digit AWS account id", func(s string) (any, error) {
		if !accountRe.MatchString(s) {
			return nil, fmt.Errorf("%q is not a 12-digit AWS account id", s)
		}
		return s, nil
	})
	listOf("account_list", "account_id", "comma-separated 12-digit AWS account ids")
	def("arn", "an ARN (arn:aws:iam::123456789012:user/name)", func(s string) (any, error) {
		if len(s) > 2048 || !arnRe.MatchString(s) || strings.ContainsAny(s, "'\"\\") {
			return nil, fmt.Errorf("%q is not an ARN such as arn:aws:iam::123456789012:user/alice", s)
		}
		return s, nil
	})
	def("access_key", "an AWS access key id (AKIA… or ASIA…)", func(s string) (any, error) {
		if !accessKeyRe.MatchString(s) {
			return nil, fmt.Errorf("%q is not an AWS access key id such as AKIAIOSFODNN7EXAMPLE", s)
		}
		return s, nil
	})
	def("ip", "an IPv4 or IPv6 address as CloudTrail writes it", func(s string) (any, error) {
		if _, err := netip.ParseAddr(s); err == nil {
			return s, nil
		}
		// Anonymised logs (Stratus Red Team) write leading zeros: 035.249.253.232.
		if m := quadRe.FindStringSubmatch(s); m != nil {
			for _, o := range m[1:] {
				if v, _ := strconv.Atoi(o); v > 255 {
					return nil, fmt.Errorf("%q is not an IP address", s)
				}
			}
			return s, nil
		}
		return nil, fmt.Errorf("%q is not an IP address such as 198.51.100.7", s)
	})
	def("cidr", "a CIDR range, IPv4 or IPv6, without host bits (198.51.100.0/24, 2001:db8::/32)", func(s string) (any, error) {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" || p != p.Masked() || p.Addr().Is4In6() {
			return nil, fmt.Errorf("%q is not a CIDR range such as 198.51.100.0/24 or 2001:db8::/32", s)
		}
		return p.String(), nil
	})
	// Lists of identities, keys and addresses feed the identity pivot: one
	// query takes a whole frontier. Each element is checked by its single
	// type and becomes its own placeholder (see Render), so no list is ever
	// one oversized execution parameter.
	listOf("arn_list", "arn", "comma-separated ARNs")
	listOf("access_key_list", "access_key", "comma-separated AWS access key ids")
	listOf("ip_list", "ip", "comma-separated IP addresses")
	def("int", "a whole number", func(s string) (any, error) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return v, nil
	})
	def("event_name", "a CloudTrail eventName (letters and digits)", func(s string) (any, error) {
		if !eventNameRe.MatchString(s) {
			return nil, fmt.Errorf("%q is not a CloudTrail event name such as GetObject", s)
		}
		return s, nil
	})
	def("text", "free text without control characters (at most 1024 characters)", func(s string) (any, error) {
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 1024 {
			return nil, fmt.Errorf("text must be valid UTF-8 of at most 1024 characters")
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				return nil, fmt.Errorf("text %q contains a control character", s)
			}
		}
		return s, nil
	})
}

// ValidBucket applies S3's bucket naming rules.
func ValidBucket(s string) error {
	switch {
	case !bucketRe.MatchString(s),
		strings.Contains(s, ".."),
		strings.Contains(s, ".-"), strings.Contains(s, "-."),
		ipLikeRe.MatchString(s):
		return fmt.Errorf("%q is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)", s)
	}
	return nil
}

// Check validates one value against a type and returns the argument it
// becomes (a string or an int64).
func Check(t Type, value string) (any, error) {
	d, ok := types[t]
	if !ok {
		return nil, fmt.Errorf("unknown parameter type %q", t)
	}
	return d.check(value)
}

// MaxListLen is how many characters of comma-joined values the identity
// pivot packs into one query before it starts another. It is no limit of the
// catalog: a list type takes up to MaxListItems elements, each sent as its
// own parameter, and Render refuses only a query whose text would outgrow
// MaxQueryBytes.
const MaxListLen = 1024

// MaxListItems is the most elements one list parameter takes. Each element
// adds at most a few bytes of placeholders to the query text ("?, " or a
// parenthesised chain for a long one), so even this many stay far under
// MaxQueryBytes; an organization of 2,000 accounts is 2,000 elements.
const MaxListItems = 20000

// isList reports whether t is a list type: its value is a []string, and in
// SQL it may only stand as the whole of an IN list, `x IN (:name)`.
func isList(t Type) bool { return types[t].list }

// listOf defines a comma-separated list type whose elements are of type elem.
// Empty elements are refused so that ",," can never match an empty column;
// an empty value is the empty list. The value checked is a []string.
func listOf(name, elem Type, doc string) {
	def(name, doc, func(s string) (any, error) {
		if s == "" {
			return []string{}, nil
		}
		parts := strings.Split(s, ",")
		if len(parts) > MaxListItems {
			return nil, fmt.Errorf("list of %d values is longer than %d; split it", len(parts), MaxListItems)
		}
		for _, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("%q has an empty element", shorten(s))
			}
			v, err := types[elem].check(p)
			if err != nil {
				return nil, err
			}
			if v != p {
				return nil, fmt.Errorf("%q is not in canonical form (%v)", p, v)
			}
		}
		return parts, nil
	})
	d := types[name]
	d.list = true
	types[name] = d
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
