// Package moto starts moto's AWS emulator (`python3 -m moto.server`) for
// tests of the AWS side — Glue setup, Athena runs, S3 results — and talks to
// its control API (canned Athena results, reset). It uses no AWS SDK so any
// test package can import it; tests build their own aws.Config from URL,
// Region and the static credentials here. Without python3 and moto a test
// is skipped, except in CI (env CI set), where a silent skip would hide that
// the AWS side went untested.
package moto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Static credentials and the account moto reports for them.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
	AccountID       = "123456789012"
	Region          = "us-east-1"
)

// Server is a running moto server, or an external emulator.
type Server struct {
	// URL is the endpoint to send every service's requests to.
	URL string
	// External is true when the tests run against an emulator the user
	// started (CTATHENA_EMULATOR=external with AWS_ENDPOINT_URL, e.g.
	// LocalStack); moto-only calls then skip their test.
	External bool
	cmd      *exec.Cmd
	log      *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// unavailable skips, or fails under CI.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("moto server unavailable in CI: %s (pip install 'moto[server]')", why)
	}
	t.Skipf("moto server unavailable: %s (pip install 'moto[server]'; CI fails instead of skipping)", why)
}

// Start runs a fresh moto server on a free loopback port for the test and
// stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if os.Getenv("CTATHENA_EMULATOR") == "external" {
		url := os.Getenv("AWS_ENDPOINT_URL")
		if url == "" {
			t.Fatal("CTATHENA_EMULATOR=external needs AWS_ENDPOINT_URL (e.g. http://localhost:4566 for LocalStack)")
		}
		return &Server{URL: url, External: true}
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		unavailable(t, "python3 not found")
	}
	if out, err := exec.Command(py, "-c", "import moto.server, flask").CombinedOutput(); err != nil {
		unavailable(t, "cannot import moto.server: "+strings.TrimSpace(string(out)))
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("find a free port for moto: %v", err)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &lockedBuffer{}}
	s.cmd = exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start moto server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		if err := <-exited; err != nil && !strings.Contains(err.Error(), "killed") {
			t.Logf("moto server exited: %v", err)
		}
		if t.Failed() {
			t.Logf("moto server log:\n%s", tail(s.log.String(), 4000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return s
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("moto server exited early (%v):\n%s", err, tail(s.log.String(), 4000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto server not ready after 30s:\n%s", tail(s.log.String(), 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Datum is one Athena result cell; a nil VarCharValue is NULL.
type Datum struct {
	VarCharValue *string `json:"VarCharValue,omitempty"`
}

// Row is one Athena result row.
type Row struct {
	Data []Datum `json:"Data"`
}

// ColumnInfo is the metadata of one Athena result column.
type ColumnInfo struct {
	Name  string `json:"Name"`
	Label string `json:"Label,omitempty"`
	Type  string `json:"Type"`
}

// AthenaResult is one canned result: Rows includes the header row first,
// as Athena returns it for SELECT statements.
type AthenaResult struct {
	Rows       []Row        `json:"rows"`
	ColumnInfo []ColumnInfo `json:"column_info"`
}

// QueueAthenaResults appends results to moto's queue for the default account
// in region: each StartQueryExecution there takes the next one, and moto
// writes it as CSV to the query's output location.
func (s *Server) QueueAthenaResults(ctx context.Context, region string, results ...AthenaResult) error {
	if s.External {
		return ErrMotoOnly
	}
	body, err := json.Marshal(map[string]any{"account_id": AccountID, "region": region, "results": results})
	if err != nil {
		return fmt.Errorf("encode athena results: %w", err)
	}
	return s.post(ctx, "/moto-api/static/athena/query-results", body, http.StatusCreated)
}

// ErrMotoOnly is returned by moto's own API calls on an external emulator.
var ErrMotoOnly = errors.New("this call needs moto's own API; not available on an external emulator")

// Reset forgets every resource moto holds.
func (s *Server) Reset(ctx context.Context) error {
	if s.External {
		return ErrMotoOnly
	}
	return s.post(ctx, "/moto-api/reset", nil, http.StatusOK)
}

func (s *Server) post(ctx context.Context, path string, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s to moto: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post %s to moto: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	if resp.StatusCode != want {
		return fmt.Errorf("post %s to moto: status %d: %s", path, resp.StatusCode, msg)
	}
	return nil
}

// Str returns a pointer to s, for building Datum values.
func Str(s string) *string { return &s }
