//go:build !linux

package local

// statFolder reads the size and modification time of files (in the
// folder dir) into out.
func statFolder(dir string, files []sourceFile, out []fileStat) { statEach(files, out) }
