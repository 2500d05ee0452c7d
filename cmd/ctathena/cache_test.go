package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreSameCSVs: every pack on both test trails writes the same CSVs
// byte for byte from the evidence store (a first command that ingests, and
// a second that reads the store only) as from the files (--no-cache).
func TestStoreSameCSVs(t *testing.T) {
	sample, _ := filepath.Abs("../../testdata/sample")
	stratus, _ := filepath.Abs("../../testdata/stratus")
	win := []string{"--since", "2026-11-05", "--until", "2026-11-08"}
	cases := map[string][]string{
		"exfil":            append([]string{"exfil", "--logs", sample, "--bucket", "payroll-exports"}, win...),
		"access":           append([]string{"access", "--logs", sample, "--bucket", "payroll-exports"}, win...),
		"identity":         append([]string{"identity", "--logs", sample, "--access-key", "AKIAD9BL9URSY99LGGG2", "--pivot", "10"}, win...),
		"hunt":             append([]string{"hunt", "--logs", sample}, win...),
		"hunt-stratus":     {"hunt", "--logs", stratus, "--since", "2024-07-01", "--until", "2024-12-31"},
		"identity-stratus": {"identity", "--logs", stratus, "--since", "2024-07-01", "--until", "2024-12-31", "--ip", "18.236.253.47"},
	}
	tmp := t.TempDir()
	t.Setenv("CTATHENA_TMPDIR", tmp)
	t.Setenv("CTATHENA_CACHE", filepath.Join(tmp, "cache"))
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			dirs := map[string]string{}
			for _, way := range []string{"files", "store-first", "store-second"} {
				out := filepath.Join(tmp, name+"-"+way)
				a := append(append([]string{}, args...), "--out", out, "--quiet")
				if way == "files" {
					a = append(a, "--no-cache")
				} else {
					a = append(a, "--cache")
				}
				var stdout, stderr bytes.Buffer
				if code := Main(a, strings.NewReader(""), &stdout, &stderr); code != 0 && code != exitPartial {
					t.Fatalf("%s %v: exit %d\n%s", way, a, code, stderr.String())
				}
				dirs[way] = out
			}
			want, _ := filepath.Glob(filepath.Join(dirs["files"], "results", "*.csv"))
			if len(want) == 0 {
				t.Fatal("no CSVs reading the files")
			}
			for _, way := range []string{"store-first", "store-second"} {
				got, _ := filepath.Glob(filepath.Join(dirs[way], "results", "*.csv"))
				if len(got) != len(want) {
					t.Errorf("%s wrote %d CSVs, the files way %d", way, len(got), len(want))
				}
				for _, w := range want {
					wb, _ := os.ReadFile(w)
					gb, err := os.ReadFile(filepath.Join(dirs[way], "results", filepath.Base(w)))
					if err != nil || !bytes.Equal(gb, wb) {
						t.Errorf("%s: %s differs from reading the files (%v)", way, filepath.Base(w), err)
					}
				}
			}
		})
	}
}
