//go:build unix

package local

import (
	"fmt"
	"os"
	"syscall"
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

// lock takes the lock, shared or exclusive, waiting for it; on a lock
// already held it converts it.
func (l *storeLock) lock(exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(l.f.Fd()), how)
		if err != syscall.EINTR {
			if err != nil {
				return fmt.Errorf("lock the evidence store: %w", err)
			}
			return nil
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
