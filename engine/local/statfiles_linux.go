//go:build linux

package local

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// statFolder reads the size and modification time of files, which sit
// directly in the folder dir, into out (err set where the stat failed).
//
// Each file is statted relative to the open folder (fstatat): os.Stat
// resolves the whole path again for every file. On the 30-day benchmark
// tree (149,182 files in 741 folders, 4 goroutines): 185-230 ms against
// 330-450 ms.
func statFolder(dir string, files []sourceFile, out []fileStat) {
	fd, err := openDir(dir)
	if err != nil {
		statEach(files, out)
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	for i := range files {
		for {
			err = unix.Fstatat(fd, files[i].name, &st, 0)
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		if err != nil {
			out[i] = fileStat{err: (&os.PathError{Op: "stat", Path: files[i].path(), Err: err}).Error()}
			continue
		}
		out[i] = fileStat{size: st.Size, mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec}
	}
}
