//go:build unix

package local

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// storeLock is the store's lock file: shared while a command reads the
// store, exclusive while one ingests (flock, released when the process
// ends, so a killed command never leaves the store locked).
type storeLock struct{ f *os.File }

func openLock(path string) (*storeLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return &storeLock{f: f}, nil
}

// lock takes the lock, shared or exclusive, waiting for it until ctx is
// done (a command waiting for another's ingest stops on Ctrl-C); on a lock
// already held it converts it. It polls: a blocking flock cannot be
// interrupted.
func (l *storeLock) lock(ctx context.Context, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
		switch err {
		case nil:
			return nil
		case syscall.EINTR:
			continue
		case syscall.EWOULDBLOCK:
			select {
			case <-ctx.Done():
				return fmt.Errorf("wait for the evidence store: %w", ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		default:
			return fmt.Errorf("lock the evidence store: %w", err)
		}
	}
}

// try takes the exclusive lock if no one holds the store.
func (l *storeLock) try() bool {
	return syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

func (l *storeLock) unlock() error {
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN); err != nil {
		return fmt.Errorf("unlock the evidence store: %w", err)
	}
	return nil
}

func (l *storeLock) close() error { return l.f.Close() }
