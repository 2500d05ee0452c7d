//go:build unix

package local

import (
	"errors"
	"os"
	"syscall"
)

// readUpTo reads the file at path into buf (reused, grown as needed), at
// most limit bytes; more reports that the file holds more than limit.
//
// Why not os.Open: the workers open ~150,000 small files for a month of an
// organization's trail, and os.Open costs four system calls besides the
// open itself (two fcntl to make the descriptor non-blocking, an epoll
// registration that fails for regular files, and the fstat the old loader
// made for the size): 1.7 s of CPU on the 30-day benchmark tree, a fifth of
// reading and decompressing it. Here a file costs an open, its reads and a
// close. Only regular files get here (see discover).
func readUpTo(path string, buf []byte, limit int) (data []byte, more bool, err error) {
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return buf[:0], false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	if cap(buf) < 64<<10 {
		buf = make([]byte, 0, 64<<10)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return buf, false, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, false, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf[:limit], true, nil
		}
	}
}
