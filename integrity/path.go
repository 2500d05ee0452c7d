package integrity

import "path/filepath"

func fromSlash(p string) string { return filepath.FromSlash(p) }
