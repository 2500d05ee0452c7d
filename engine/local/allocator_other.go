//go:build !(linux && (amd64 || arm64))

package local

// Elsewhere DuckDB does not bundle jemalloc: nothing to give back.
func allocatorIdle() int64 { return 0 }

func allocatorGiveBack() {}
