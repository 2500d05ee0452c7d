package reports

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyFresh(t *testing.T) {
	dir, w := writeSample(t)
	res, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Checked != len(w.Files)-1 {
		t.Fatalf("fresh bundle: %+v (checked %d of %d)", res, res.Checked, len(w.Files)-1)
	}
	// SHA256SUMS is in the format sha256sum -c reads.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "--quiet", "-c", SumsName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

func TestVerifyOneByteChanged(t *testing.T) {
	for _, rel := range []string{"results/exfil__top_readers.csv", "report.xlsx", "queries/exfil__user_agents.sql", "manifest.json"} {
		t.Run(rel, func(t *testing.T) {
			dir, _ := writeSample(t)
			p := filepath.Join(dir, rel)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x01
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() || strings.Join(res.Changed, ",") != rel || len(res.Missing)+len(res.Added) != 0 {
				t.Fatalf("after flipping a bit of %s: %+v", rel, res)
			}
		})
	}
}

func TestVerifyMissingAndAdded(t *testing.T) {
	dir, _ := writeSample(t)
	if err := os.Remove(filepath.Join(dir, "queries/exfil__top_readers.sql")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results", "extra.csv"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || strings.Join(res.Missing, ",") != "queries/exfil__top_readers.sql" ||
		strings.Join(res.Added, ",") != "results/extra.csv" || len(res.Changed) != 0 {
		t.Fatalf("missing+added: %+v", res)
	}
}

// Rewriting a CSV and its line in SHA256SUMS still fails: the manifest's
// own hash list disagrees.
func TestVerifySumsRewritten(t *testing.T) {
	dir, _ := writeSample(t)
	rel := "results/exfil__top_readers.csv"
	if err := os.WriteFile(filepath.Join(dir, rel), []byte("principal\nsomeone else\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _ := hashFile(filepath.Join(dir, rel))
	sums, _ := os.ReadFile(filepath.Join(dir, SumsName))
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		if strings.HasSuffix(l, "  "+rel) {
			l = sum + "  " + rel
		}
		lines = append(lines, l)
	}
	os.WriteFile(filepath.Join(dir, SumsName), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	res, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || strings.Join(res.Changed, ",") != rel || len(res.Problems) == 0 {
		t.Fatalf("rewritten sums: %+v", res)
	}
}

func TestVerifyRefusesBadSums(t *testing.T) {
	dir := t.TempDir()
	if _, err := Verify(dir); err == nil {
		t.Error("no SHA256SUMS: want error")
	}
	os.WriteFile(filepath.Join(dir, SumsName), []byte(strings.Repeat("0", 64)+"  ../../etc/passwd\n"), 0o644)
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "unsafe path") {
		t.Errorf("path outside the bundle: %v", err)
	}
	os.WriteFile(filepath.Join(dir, SumsName), []byte("garbage\n"), 0o644)
	if _, err := Verify(dir); err == nil {
		t.Error("malformed SHA256SUMS: want error")
	}
}

// The stale-Cover case: a CSV is changed, and manifest.json and SHA256SUMS
// are recomputed to match, but the workbook still shows the old hash.
// Verify must fail and name the sheet and cell.
func TestVerifyStaleWorkbook(t *testing.T) {
	dir, w := writeSample(t)
	rel := "results/exfil__top_readers.csv"
	var old string
	for _, f := range w.Manifest.Files {
		if f.Path == rel {
			old = f.SHA256
		}
	}
	if err := os.WriteFile(filepath.Join(dir, rel), []byte("principal\nsomeone else\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, _ := hashFile(filepath.Join(dir, rel))
	// Recompute the manifest's entry, then SHA256SUMS over everything.
	mpath := filepath.Join(dir, ManifestName)
	data, _ := os.ReadFile(mpath)
	data = []byte(strings.Replace(string(data), old, sum, 1))
	if err := os.WriteFile(mpath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var sums strings.Builder
	for _, p := range w.Files {
		if p == SumsName {
			continue
		}
		h, err := hashFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		sums.WriteString(h + "  " + p + "\n")
	}
	os.WriteFile(filepath.Join(dir, SumsName), []byte(sums.String()), 0o600)

	res, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || len(res.Changed)+len(res.Missing)+len(res.Added) != 0 || len(res.Cells) != 1 {
		t.Fatalf("stale workbook: %+v", res)
	}
	c := res.Cells[0]
	if c.Sheet != sheetEvidence || c.Path != rel || c.Shown != old || c.Actual != sum || !strings.HasPrefix(c.Cell, "B") {
		t.Errorf("mismatch %+v", c)
	}
	if s := c.String(); !strings.Contains(s, `sheet "Evidence files" cell B`) || !strings.Contains(s, rel) {
		t.Errorf("message %q does not name the sheet and cell", s)
	}
}
