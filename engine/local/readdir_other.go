//go:build !linux

package local

// dirEntry is an entry of a folder: its name and what it is.
type dirEntry struct {
	name         string
	dir, regular bool
}

// readDirTypes lists a folder (buf is not used here).
func readDirTypes(dir string, buf []byte) ([]dirEntry, error) { return readDirStat(dir) }
