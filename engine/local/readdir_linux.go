//go:build linux

package local

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirEntry is an entry of a folder: its name and what it is.
type dirEntry struct {
	name         string
	dir, regular bool
}

// readDirTypes lists a folder with getdents (buf: a buffer for it, reused
// by the caller), the entry types as the kernel gives them: os.ReadDir
// allocates an entry per file and sorts them. A file system that does not
// give types is listed by os.ReadDir.
func readDirTypes(dir string, buf []byte) ([]dirEntry, error) {
	fd, err := openDir(dir)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var out []dirEntry
	for {
		n, err := unix.Getdents(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return out, nil
		}
		for b := buf[:n]; len(b) > 0; {
			de := (*unix.Dirent)(unsafe.Pointer(&b[0]))
			if de.Reclen == 0 || int(de.Reclen) > len(b) {
				return nil, &os.PathError{Op: "readdirent", Path: dir, Err: unix.EIO}
			}
			rec := b[:de.Reclen]
			b = b[de.Reclen:]
			name := rec[unsafe.Offsetof(de.Name):]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if string(name) == "." || string(name) == ".." {
				continue
			}
			switch de.Type {
			case unix.DT_UNKNOWN:
				return readDirStat(dir)
			case unix.DT_DIR:
				out = append(out, dirEntry{name: string(name), dir: true})
			case unix.DT_REG:
				out = append(out, dirEntry{name: string(name), regular: true})
			default:
				out = append(out, dirEntry{name: string(name)})
			}
		}
	}
}

// openDir opens a folder for getdents and fstatat, again if a signal
// interrupts the call.
func openDir(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
