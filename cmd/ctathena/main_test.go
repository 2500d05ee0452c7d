package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/xuri/excelize/v2"
)

// TestMain lets the test binary act as the ctathena binary, so the scripts
// in testdata/script drive the real CLI as a user does, in a process of its
// own and a folder of its own.
func TestMain(m *testing.M) {
	// The evidence store is the default: no test of this package may
	// write into the user's cache folder. Scripts set their own.
	var tm testscript.TestingM = m
	if os.Getenv("CTATHENA_CACHE") == "" {
		dir, err := os.MkdirTemp("", "ctathena-test-cache-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv("CTATHENA_CACHE", dir)
		tm = cleanRun{m, dir}
	}
	testscript.Main(tm, map[string]func(){
		"ctathena": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		// ctathena-exit N ARGS... runs ctathena and succeeds only if it exits with code N,
		// so scripts can assert exit codes (2 usage, 3 partial, ...), not just failure.
		"ctathena-exit": func() {
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "ctathena-exit: first argument must be the expected exit code")
				os.Exit(100)
			}
			got := Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
			if got != want {
				fmt.Fprintf(os.Stderr, "ctathena-exit: exit code %d, want %d\n", got, want)
				os.Exit(101)
			}
			os.Exit(0)
		},
	})
}

// cleanRun runs the tests, then removes the cache folder they used
// (testscript.Main exits without running deferred calls).
type cleanRun struct {
	m   *testing.M
	dir string
}

func (c cleanRun) Run() int {
	defer os.RemoveAll(c.dir)
	return c.m.Run()
}

func TestScripts(t *testing.T) {
	sample, err := filepath.Abs("../../testdata/sample")
	if err != nil {
		t.Fatal(err)
	}
	stratus, _ := filepath.Abs("../../testdata/stratus")
	identity, _ := filepath.Abs("../../testdata/identity")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLE", sample)
			env.Setenv("STRATUS", stratus)
			env.Setenv("IDENTITY", identity)
			env.Setenv("CTATHENA_TMPDIR", env.WorkDir)
			env.Setenv("CTATHENA_CACHE", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// gzip SRC DST compresses a file the way CloudTrail delivers it.
			"gzip": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: gzip SRC DST")
				}
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				_, _ = zw.Write([]byte(ts.ReadFile(args[0])))
				ts.Check(zw.Close())
				ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755))
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), buf.Bytes(), 0o644))
			},
			// truncate FILE N cuts a file to N bytes (a download that broke off).
			"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: truncate FILE N")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				ts.Check(os.Truncate(ts.MkAbs(args[0]), int64(n)))
			},
			// status BUNDLE prints the report's Cover status line (the value
			// beside "Status") and its first Findings row, one per line:
			// "status: ..." and "finding: SEVERITY | TEXT".
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: status BUNDLE")
				}
				f, err := excelize.OpenFile(filepath.Join(ts.MkAbs(args[0]), "report.xlsx"))
				ts.Check(err)
				defer f.Close()
				rows, err := f.GetRows("Cover")
				ts.Check(err)
				found := false
				for _, r := range rows {
					if len(r) > 1 && r[0] == "Status" {
						fmt.Fprintf(ts.Stdout(), "status: %s\n", r[1])
						found = true
						break
					}
				}
				if !found {
					ts.Fatalf("no Status line on the Cover")
				}
				rows, err = f.GetRows("Findings")
				ts.Check(err)
				// The first row under the heading row (#, Severity, …, Finding).
				sev, text := -1, -1
				for i, r := range rows {
					for c, v := range r {
						switch v {
						case "Severity":
							sev = c
						case "Finding":
							text = c
						}
					}
					if sev >= 0 && text >= 0 {
						if i+1 >= len(rows) {
							ts.Fatalf("no Findings row")
						}
						r := append(rows[i+1], make([]string, text+1)...)
						fmt.Fprintf(ts.Stdout(), "finding: %s | %s\n", r[sev], r[text])
						break
					}
				}
				if sev < 0 || text < 0 {
					ts.Fatalf("no heading row on the Findings sheet")
				}
			},
			// policies N FILE writes a CloudTrail file of N PutRolePolicy
			// events, each with a 3 KB policy document.
			"policies": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: policies N FILE")
				}
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				var w bytes.Buffer
				w.WriteString(`{"Records":[`)
				for i := 0; i < n; i++ {
					var p bytes.Buffer
					p.WriteString(`{"Version":"2012-10-17","Statement":[`)
					for k := 0; p.Len() < 3072; k++ {
						if k > 0 {
							p.WriteByte(',')
						}
						fmt.Fprintf(&p, `{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket-%d/*"}`, k)
					}
					p.WriteString(`]}`)
					if i > 0 {
						w.WriteByte(',')
					}
					fmt.Fprintf(&w, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA%d","arn":"arn:aws:iam::123456789012:user/u%d","accountId":"123456789012"},"eventTime":"2026-11-01T%02d:%02d:%02dZ","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","userAgent":"aws-cli/2","requestParameters":{"roleName":"r%d","policyName":"p%d","policyDocument":%q},"eventID":"pol-%d","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012","eventCategory":"Management"}`,
						i%50, i%50, (i/3600)%24, (i/60)%60, i%60, i%250, i, i, p.String(), i)
				}
				w.WriteString(`]}`)
				ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755))
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), w.Bytes(), 0o644))
			},
			// sleep DURATION waits (for a background command to get going).
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			// flipbyte FILE changes one byte in the middle of a file.
			"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
				p := ts.MkAbs(args[0])
				b, err := os.ReadFile(p)
				ts.Check(err)
				b[len(b)/2] ^= 0x01
				ts.Check(os.WriteFile(p, b, 0o644))
			},
		},
	})
}
