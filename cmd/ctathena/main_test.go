package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the ctathena binary, so the scripts
// in testdata/script drive the real CLI as a user does, in a process of its
// own and a folder of its own.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
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
