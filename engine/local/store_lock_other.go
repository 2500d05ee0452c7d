//go:build !unix

package local

import (
	"context"
	"fmt"
	"os"
)

// storeLock without flock: DuckDB's own lock on the database file then
// keeps a second writer out (it fails instead of waiting).
type storeLock struct{ f *os.File }

func openLock(path string) (*storeLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return &storeLock{f: f}, nil
}

func (l *storeLock) lock(ctx context.Context, exclusive bool) error { return nil }
func (l *storeLock) try() bool                                      { return true }
func (l *storeLock) unlock() error                                  { return nil }
func (l *storeLock) close() error                                   { return l.f.Close() }
