package integrity

import (
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The patterns ParsePlace was first written with: the oracle its
// hand-written parser must agree with on every input.
var (
	oracleDigestName = regexp.MustCompile(`^([0-9]{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([0-9]{8}T[0-9]{6}Z)(_backfill)?\.json\.gz$`)
	oracleLogName    = regexp.MustCompile(`^[0-9]{12}_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.json(\.gz)?$`)
	oracleRel        = regexp.MustCompile(`^AWSLogs/(?:(o-[a-z0-9]{10,32})/)?([0-9]{12})/(CloudTrail|CloudTrail-Digest)/([A-Za-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/([^/]+)$`)
)

func oraclePlace(rel string) (Place, bool) {
	m := oracleRel.FindStringSubmatch(rel)
	if m == nil {
		return Place{}, false
	}
	day, err := time.Parse("2006/01/02", m[5]+"/"+m[6]+"/"+m[7])
	if err != nil {
		return Place{}, false
	}
	p := Place{OrgID: m[1], Account: m[2], Region: m[4], Digest: m[3] == "CloudTrail-Digest", Day: day, Name: m[8]}
	if p.Digest {
		n := oracleDigestName.FindStringSubmatch(p.Name)
		if n == nil {
			return Place{}, false
		}
		t, err := time.Parse("20060102T150405Z", n[4])
		if err != nil {
			return Place{}, false
		}
		p.Delivered, p.Trail, p.Backfill = t, n[3], n[5] != ""
		return p, true
	}
	n := oracleLogName.FindStringSubmatch(p.Name)
	if n == nil {
		return Place{}, false
	}
	t, err := time.Parse("20060102T1504", n[1])
	if err != nil {
		return Place{}, false
	}
	p.Delivered = t
	return p, true
}

func checkPlace(t *testing.T, rel string) {
	t.Helper()
	got, ok := ParsePlace(rel)
	want, wok := oraclePlace(rel)
	if ok != wok || got != want {
		t.Fatalf("ParsePlace(%q) = %+v, %v; the patterns say %+v, %v", rel, got, ok, want, wok)
	}
}

// placeSeeds are paths CloudTrail writes and paths close to them.
var placeSeeds = []string{
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_JOISv2J93kwfDoFQ.json.gz",
	"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/ap-southeast-2/2026/10/01/111122223333_CloudTrail_ap-southeast-2_20261001T0025Z_UMIYmPz47beEDEHr.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_abc.json",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261001T002512Z.json.gz",
	"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/2024/02/29/111122223333_CloudTrail-Digest_eu-west-1_my_trail_name_us-east-1_20240229T235959Z_backfill.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T002512Z_20261001T002513Z.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_t_backfill.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1__20261001T002512Z.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_a\nb_20261001T002512Z.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/30/111122223333_CloudTrail_us-east-1_20260230T0020Z_x.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/13/01/111122223333_CloudTrail_us-east-1_20261001T2460Z_x.json.gz",
	"AWSLogs/111122223333/CloudTrail/US-East-1/0000/01/01/111122223333_CloudTrail_us-east-1_00000101T2359Z_x.json.gz",
	"AWSLogs/o-short/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_x.json.gz",
	"AWSLogs/o-a1b2c3d4e5/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_x.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/sub/111122223333_CloudTrail_us-east-1_20261001T0020Z_x.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/",
	"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_x.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0020Z_x.json.gz",
	"",
}

// TestParsePlaceMatchesPatterns checks the parser against the patterns on
// CloudTrail's own names, every file name under testdata, and a few
// hundred thousand mutations of them (bytes changed, dropped, doubled).
func TestParsePlaceMatchesPatterns(t *testing.T) {
	seeds := append([]string(nil), placeSeeds...)
	_ = filepath.WalkDir(filepath.Join("..", "testdata"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if rel := Rel(filepath.ToSlash(p)); rel != "" {
				seeds = append(seeds, rel)
			}
		}
		return nil
	})
	if len(seeds) < len(placeSeeds)+10 {
		t.Fatalf("only %d trail paths under testdata: the walk found too few to test with", len(seeds)-len(placeSeeds))
	}
	agree := 0
	for _, s := range seeds {
		checkPlace(t, s)
		if _, ok := ParsePlace(s); ok {
			agree++
		}
	}
	if agree < 10 {
		t.Fatalf("only %d of the seeds parse: the test would not see a parser that rejects everything", agree)
	}
	alphabet := []byte("0123456789azAZ-_./TZ\no")
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300_000; i++ {
		b := []byte(seeds[r.Intn(len(seeds))])
		for n := 1 + r.Intn(3); n > 0 && len(b) > 0; n-- {
			j := r.Intn(len(b))
			switch r.Intn(4) {
			case 0:
				b[j] = alphabet[r.Intn(len(alphabet))]
			case 1:
				b = append(b[:j], b[j+1:]...)
			case 2:
				b = append(b[:j], append([]byte{b[j]}, b[j:]...)...)
			default:
				b = append(b[:j], append([]byte{alphabet[r.Intn(len(alphabet))]}, b[j:]...)...)
			}
		}
		checkPlace(t, string(b))
	}
}

func FuzzParsePlace(f *testing.F) {
	for _, s := range placeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		if strings.Count(rel, "/") > 12 {
			return
		}
		checkPlace(t, rel)
	})
}

func BenchmarkParsePlace(b *testing.B) {
	rel := placeSeeds[1]
	b.Run("parser", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ParsePlace(rel)
		}
	})
	b.Run("patterns", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			oraclePlace(rel)
		}
	})
}
