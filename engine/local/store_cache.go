package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StoreInfo describes one evidence store in a cache folder.
type StoreInfo struct {
	// Dir is the store's folder; Logs the logs folder it holds.
	Dir, Logs string
	// Bytes is the space its files take.
	Bytes int64
	// Files and Events are what it holds; -1 when it could not be read
	// (in use by an ingest, or damaged).
	Files  int
	Events int64
}

// Stores lists the evidence stores under root, by logs folder.
func Stores(ctx context.Context, root string) ([]StoreInfo, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list evidence stores: %w", err)
	}
	var out []StoreInfo
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		src, err := os.ReadFile(filepath.Join(dir, storeSourceFile))
		if err != nil {
			continue // not a store
		}
		s := StoreInfo{Dir: dir, Logs: strings.TrimSpace(string(src)), Files: -1, Events: -1}
		sub, _ := os.ReadDir(dir)
		for _, f := range sub {
			if fi, err := f.Info(); err == nil && fi.Mode().IsRegular() {
				s.Bytes += fi.Size()
			}
		}
		s.Files, s.Events = storeCounts(ctx, dir)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Logs < out[j].Logs })
	return out, nil
}

// storeCounts reads how many files and events a store holds, under the
// shared lock without waiting for it (-1, -1 if busy or unreadable).
func storeCounts(ctx context.Context, dir string) (int, int64) {
	path := filepath.Join(dir, storeFile)
	if _, err := os.Stat(path); err != nil {
		return -1, -1
	}
	lk, err := openLock(filepath.Join(dir, "lock"))
	if err != nil {
		return -1, -1
	}
	defer lk.close()
	if !lk.try() {
		return -1, -1
	}
	db, err := openStoreDB(path, true, "")
	if err != nil {
		return -1, -1
	}
	defer db.Close()
	var files int
	var events int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(events), 0) FROM files`).Scan(&files, &events); err != nil {
		return -1, -1
	}
	return files, events
}

// ErrStoreBusy is returned by RemoveStore for a store a command is using.
var ErrStoreBusy = errors.New("the evidence store is in use by another ctathena command")

// RemoveStore deletes the store folder dir (one Stores lists, or the one
// StoreDir names) if no command is using it.
func RemoveStore(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, storeSourceFile)); err != nil {
		return fmt.Errorf("%s is not an evidence store: %w", dir, err)
	}
	lk, err := openLock(filepath.Join(dir, "lock"))
	if err != nil {
		return err
	}
	defer lk.close()
	if !lk.try() {
		return fmt.Errorf("remove %s: %w", dir, ErrStoreBusy)
	}
	// The lock file goes last: a command that opens the store meanwhile
	// waits on it, then finds no database and ingests anew.
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("remove evidence store: %w", err)
	}
	for _, e := range ents {
		if e.Name() == "lock" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("remove evidence store: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "lock")); err != nil {
		return fmt.Errorf("remove evidence store: %w", err)
	}
	return os.Remove(dir)
}
