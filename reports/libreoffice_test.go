package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctathena/ctathena/internal/soffice"
)

// TestLibreOfficeOpensWorkbooks converts every workbook the tests make to
// PDF and CSV with headless LibreOffice: a second, independent reader of the
// files counsel will open. Without LibreOffice the test skips locally and
// fails in CI, so CI can never pass it silently.
func TestLibreOfficeOpensWorkbooks(t *testing.T) {
	if testing.Short() {
		t.Skip("LibreOffice conversion is slow; skipped with -short")
	}
	soffice.Path(t)
	books := map[string]string{}
	dir, _ := writeSample(t)
	books["sample"] = filepath.Join(dir, ReportName)
	old := maxSheetRows
	maxSheetRows = 5
	rdir := filepath.Join(t.TempDir(), "rollover")
	_, err := Write(rdir, sampleBundle())
	maxSheetRows = old
	if err != nil {
		t.Fatal(err)
	}
	books["rollover"] = filepath.Join(rdir, ReportName)
	empty := filepath.Join(t.TempDir(), "empty")
	if _, err := Write(empty, &Bundle{Command: "hunt", GeneratedAt: tGen}); err != nil {
		t.Fatal(err)
	}
	books["empty"] = filepath.Join(empty, ReportName)

	for name, book := range books {
		for _, format := range []string{"pdf", "csv"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				out := t.TempDir()
				filter := format
				if format == "csv" {
					// Every sheet, each to report-<sheet>.csv, raw values.
					filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
				}
				soffice.Convert(t, book, filter, out)
				got := filepath.Join(out, "report."+format)
				if format == "csv" {
					got = filepath.Join(out, "report-Cover.csv")
				}
				st, err := os.Stat(got)
				if err != nil || st.Size() == 0 {
					t.Fatalf("soffice wrote no %s (%v)", format, err)
				}
				if format == "csv" {
					// The first sheet (Cover) must come out with its title.
					data, _ := os.ReadFile(got)
					if !strings.Contains(string(data), "ctathena evidence report") {
						t.Errorf("converted cover lacks its title: %.200s", data)
					}
					if name != "sample" {
						return
					}
					// LibreOffice reads the attacker's text as text: the
					// formula-looking values come back literally, not evaluated.
					ua, err := os.ReadFile(filepath.Join(out, "report-exfil.user_agents.csv"))
					if err != nil {
						t.Fatal(err)
					}
					for _, want := range []string{
						`"=HYPERLINK(""http://evil.example"",""x"")",0`, `+cmd|' /C calc'!A0,1`, `@SUM(A1),2`, `-2+3,3`,
						`bell\x07 and nul\x00 and esc\x1B,6`, "full value in results/exfil__user_agents.csv, data row 17",
					} {
						if !strings.Contains(string(ua), want) {
							t.Errorf("LibreOffice's view of the user agents sheet lacks %q", want)
						}
					}
				}
			})
		}
	}
}
