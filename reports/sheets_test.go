package reports

import (
	"archive/zip"
	"html"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// sheetText is every cell of a sheet joined, for "does it say X" checks.
func sheetText(t *testing.T, dir, sheet string) string {
	t.Helper()
	f := openBook(t, dir)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, r := range rows {
		sb.WriteString(strings.Join(r, "\t") + "\n")
	}
	return sb.String()
}

func TestCoverQueriesCoverageSheets(t *testing.T) {
	dir, w := writeSample(t)
	cover := sheetText(t, dir, "Cover")
	for _, want := range []string{"IR-2026-042", "J. Doe", "v0.1.0", "abc1234", "DuckDB v1.3.2", "/evidence/logs",
		"payroll-exports", "pivot stopped after 20 queries (budget)", "TrailDiscover catalog, CC BY 4.0",
		"ctathena exfil --bucket payroll-exports", "ir-laptop", "jdoe", "Privileged & Confidential"} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q", want)
		}
	}
	// Every CSV and SQL file's hash is on the Evidence files sheet.
	evidence := sheetText(t, dir, "Evidence files")
	for _, f := range w.Manifest.Files {
		if f.Path == ReportName {
			continue
		}
		if !strings.Contains(evidence, f.Path+"\t"+f.SHA256) {
			t.Errorf("Evidence files lacks the hash of %s", f.Path)
		}
	}
	queries := sheetText(t, dir, "Queries")
	for _, want := range []string{"start query exfil/policy_changes: AccessDenied", "1. bucket = payroll-exports\n", "\t2. since = 2026-11-01T00:00:00Z\n",
		"Principal (who)\tprincipal\n", "User agent (client software)\tuseragent\n",
		"local-1", "(derived by the investigation; no SQL)", "SELECT principal, bytes FROM cloudtrail WHERE bucket = ?"} {
		if !strings.Contains(queries, want) {
			t.Errorf("Queries sheet lacks %q", want)
		}
	}
	coverage := sheetText(t, dir, "Coverage")
	for _, want := range []string{"bad=.json.gz\tgzip: invalid header", "2026/11/03", "111122223333", "us-east-1", "Duplicate deliveries"} {
		if !strings.Contains(coverage, want) {
			t.Errorf("Coverage sheet lacks %q", want)
		}
	}
	findings := sheetText(t, dir, "Findings")
	if !strings.Contains(findings, "chart not drawn: no query named nope") {
		t.Errorf("Findings does not say why the second chart is missing:\n%s", findings)
	}
	// The first chart is drawn from the query sheet's first rows.
	zr, err := zip.OpenReader(filepath.Join(dir, ReportName))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var chart string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			chart += html.UnescapeString(string(b))
		}
	}
	for _, want := range []string{"'exfil.top_readers'!$A$4:$A$7", "'exfil.top_readers'!$B$4:$B$7", "Bytes by principal — bucket payroll-exports"} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}
