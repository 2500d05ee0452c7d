package reports

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// VerifyResult says what Verify found. Paths are relative to the bundle
// folder, slash-separated, sorted.
type VerifyResult struct {
	Dir string
	// Checked counts the files whose hash was recomputed.
	Checked int
	// Changed files differ from a hash in SHA256SUMS or manifest.json.
	Changed []string
	// Missing files are listed but not on disk.
	Missing []string
	// Added files are on disk but listed nowhere.
	Added []string
	// Problems are inconsistencies that are not about one file's bytes, for
	// example manifest.json and SHA256SUMS disagreeing about a hash.
	Problems []string
	// Cells are the hashes the workbook shows that do not match the file
	// they name (a workbook left stale after its files were changed).
	Cells []CellMismatch
}

// CellMismatch is one workbook cell whose hash disagrees with its file.
type CellMismatch struct {
	Sheet, Cell string
	// Path is the bundle file the row names; Shown is the cell's hash,
	// Actual the file's (empty when the file is missing).
	Path, Shown, Actual string
}

func (c CellMismatch) String() string {
	if c.Actual == "" {
		return fmt.Sprintf("%s sheet %q cell %s shows the SHA-256 of %s, which is not in the bundle", ReportName, c.Sheet, c.Cell, c.Path)
	}
	return fmt.Sprintf("%s sheet %q cell %s shows SHA-256 %s for %s, but the file's SHA-256 is %s", ReportName, c.Sheet, c.Cell, c.Shown, c.Path, c.Actual)
}

// OK is true when every listed file is present and unchanged, nothing was
// added, and every hash the workbook shows matches its file.
func (r *VerifyResult) OK() bool {
	return len(r.Changed) == 0 && len(r.Missing) == 0 && len(r.Added) == 0 && len(r.Problems) == 0 && len(r.Cells) == 0
}

// Verify recomputes every hash listed in dir/SHA256SUMS and in
// dir/manifest.json and names every changed, missing or added file. It
// returns an error only when it cannot check at all (no folder, no readable
// SHA256SUMS); a tampered bundle is a result whose OK() is false.
func Verify(dir string) (*VerifyResult, error) {
	res := &VerifyResult{Dir: dir}
	sums, err := os.ReadFile(filepath.Join(dir, SumsName))
	if err != nil {
		return nil, fmt.Errorf("verify %s: read %s: %w", dir, SumsName, err)
	}
	listed, err := parseSums(sums)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	// The manifest's own list must agree with SHA256SUMS: editing a file and
	// SHA256SUMS together still shows up here.
	if mdata, err := os.ReadFile(filepath.Join(dir, ManifestName)); err == nil {
		var m Manifest
		if err := json.Unmarshal(mdata, &m); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s cannot be read: %v", ManifestName, err))
		} else {
			for _, f := range m.Files {
				p, ok := cleanRel(f.Path)
				if !ok {
					res.Problems = append(res.Problems, fmt.Sprintf("%s lists an unsafe path %q", ManifestName, f.Path))
					continue
				}
				if s, ok := listed[p]; !ok {
					res.Problems = append(res.Problems, fmt.Sprintf("%s lists %s but %s does not", ManifestName, p, SumsName))
				} else if !strings.EqualFold(s, f.SHA256) {
					res.Problems = append(res.Problems, fmt.Sprintf("%s and %s disagree about the hash of %s", ManifestName, SumsName, p))
					res.Changed = append(res.Changed, p)
				}
			}
		}
	}
	actual := map[string]string{}
	for p, want := range listed {
		got, err := hashFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil {
			actual[p] = got
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			res.Missing = append(res.Missing, p)
			continue
		case err != nil:
			res.Problems = append(res.Problems, fmt.Sprintf("read %s: %v", p, err))
			continue
		}
		res.Checked++
		if !strings.EqualFold(got, want) {
			res.Changed = append(res.Changed, p)
		}
	}
	err = filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, full)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := listed[rel]; !ok && rel != SumsName {
			res.Added = append(res.Added, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify %s: list files: %w", dir, err)
	}
	if _, ok := listed[ReportName]; ok {
		if _, err := os.Stat(filepath.Join(dir, ReportName)); err == nil {
			verifyCells(dir, listed, actual, res)
		}
	}
	res.Changed = dedupSorted(res.Changed)
	sort.Strings(res.Missing)
	sort.Strings(res.Added)
	return res, nil
}

// parseSums reads `sha256sum` output: "<64 hex>  <path>" (or " *<path>").
func parseSums(data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if len(line) < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') || !isHex(line[:64]) {
			return nil, fmt.Errorf("%s line %d is not \"<sha256>  <path>\"", SumsName, n)
		}
		p, ok := cleanRel(line[66:])
		if !ok {
			return nil, fmt.Errorf("%s line %d names an unsafe path %q", SumsName, n, line[66:])
		}
		out[p] = strings.ToLower(line[:64])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", SumsName, err)
	}
	return out, nil
}

// cleanRel accepts only relative paths that stay inside the bundle, so a
// doctored SHA256SUMS cannot make Verify read files elsewhere.
func cleanRel(p string) (string, bool) {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, `\`) {
		return "", false
	}
	c := path.Clean(p)
	if c != p || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hexSum(h), nil
}

func dedupSorted(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// cellSheets are the sheets whose hashes Verify checks.
var cellSheets = []string{sheetSummary, sheetCover, sheetEvidence}

// verifyCells checks every SHA-256 the workbook shows on its Summary, Cover
// and Evidence files sheets against the file named in the same row, and
// that the Evidence files sheet shows every results and query file.
func verifyCells(dir string, listed, actual map[string]string, res *VerifyResult) {
	f, err := excelize.OpenFile(filepath.Join(dir, ReportName))
	if err != nil {
		res.Problems = append(res.Problems, fmt.Sprintf("%s cannot be read to check the hashes it shows: %v", ReportName, err))
		return
	}
	defer f.Close()
	shown := map[string]bool{}
	have := map[string]bool{}
	for _, s := range f.GetSheetList() {
		have[s] = true
	}
	for _, sheet := range cellSheets {
		if !have[sheet] {
			if sheet == sheetEvidence {
				res.Problems = append(res.Problems, fmt.Sprintf("%s has no %q sheet", ReportName, sheet))
			}
			continue
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s sheet %q cannot be read: %v", ReportName, sheet, err))
			continue
		}
		for r, row := range rows {
			path := ""
			for _, v := range row {
				if p, ok := cleanRel(strings.TrimSpace(v)); ok && (listed[p] != "" || strings.HasPrefix(p, ResultsDir+"/") || strings.HasPrefix(p, QueriesDir+"/")) {
					path = p
					break
				}
			}
			for c, v := range row {
				v = strings.TrimSpace(v)
				if len(v) != 64 || !isHex(v) {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if path == "" {
					// A hash-like value elsewhere (a case id, say) is
					// not a file's hash; on Evidence files it must be.
					if sheet == sheetEvidence {
						res.Problems = append(res.Problems, fmt.Sprintf("%s sheet %q cell %s shows a SHA-256 without naming its file", ReportName, sheet, cell))
					}
					continue
				}
				shown[path] = true
				if got := actual[path]; !strings.EqualFold(got, v) {
					res.Cells = append(res.Cells, CellMismatch{Sheet: sheet, Cell: cell, Path: path, Shown: strings.ToLower(v), Actual: got})
				}
			}
		}
	}
	var missing []string
	for p := range listed {
		if (strings.HasPrefix(p, ResultsDir+"/") || strings.HasPrefix(p, QueriesDir+"/")) && !shown[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		res.Problems = append(res.Problems, fmt.Sprintf("%s does not show the SHA-256 of %s on its %q sheet", ReportName, p, sheetEvidence))
	}
}
