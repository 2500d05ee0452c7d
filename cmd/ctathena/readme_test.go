package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExamples runs every local command the README shows, as
// written, on the bundled sample (standing in for ./evidence/trail): none
// may be refused as bad input. Athena commands (no --logs) run as dry runs,
// which render and validate every value without AWS. The bundle folder the
// README passes to verify is the first bundle an example wrote.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README example")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sample, _ := filepath.Abs("../../testdata/sample")
	work := t.TempDir()
	t.Chdir(work)
	var cmds []string
	inCode := false
	for _, line := range strings.Split(string(readme), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") {
			inCode = !inCode
			continue
		}
		if inCode && strings.HasPrefix(trim, "ctathena ") {
			if i := strings.Index(trim, "   #"); i > 0 {
				trim = strings.TrimSpace(trim[:i])
			}
			cmds = append(cmds, trim)
		}
	}
	if len(cmds) < 5 {
		t.Fatalf("found only %d README examples", len(cmds))
	}
	bundle := ""
	quoted := regexp.MustCompile(`"[^"]*"|\S+`)
	for _, c := range cmds {
		args := quoted.FindAllString(strings.TrimPrefix(c, "ctathena "), -1)
		for i, a := range args {
			args[i] = strings.Trim(strings.ReplaceAll(a, "./evidence/trail", sample), `"`)
		}
		switch {
		case args[0] == "verify":
			if bundle == "" {
				t.Fatalf("%s: no bundle written before it", c)
			}
			args = []string{"verify", bundle}
		case args[0] == "collect" || (args[0] == "validate" && (!strings.Contains(c, "--logs") || strings.Contains(c, "--public-keys"))):
			// collect and validate on S3 read a real trail bucket, and the
			// offline validate reads the keys an aws command wrote: they run
			// end to end against moto in collect_test.go.
			continue
		case args[0] == "setup" || args[0] == "iam-policy":
			if !strings.Contains(c, "--dry-run") && args[0] == "setup" {
				continue // converges real AWS resources; its dry run is the example above it
			}
		case !strings.Contains(c, "--logs") && args[0] != "query":
			args = append(args, "--dry-run")
		}
		var stdout, stderr bytes.Buffer
		code := Main(args, strings.NewReader(""), &stdout, &stderr)
		if code == exitUsage || code == exitError {
			t.Errorf("README example %q: exit %d\n%s", c, code, stderr.String())
			continue
		}
		if m := regexp.MustCompile(`evidence bundle: (\S+)`).FindStringSubmatch(stderr.String()); m != nil && bundle == "" {
			bundle = m[1]
		}
		t.Logf("%s: exit %d", c, code)
	}
}
