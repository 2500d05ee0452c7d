//go:build unix

package reports

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestBundlePrivate: folders 0700 and files 0600 whatever the umask, also
// in an empty folder the user made world-readable.
func TestBundlePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, sampleBundle()); err != nil {
		t.Fatal(err)
	}
	n := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		n++
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if n < 10 {
		t.Errorf("only %d paths checked", n)
	}
}
