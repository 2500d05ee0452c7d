//go:build linux && (amd64 || arm64)

package local

/*
#include <malloc.h>
#include <stddef.h>

// DuckDB's Linux builds bundle jemalloc, its symbols prefixed duckdb_je_.
extern int duckdb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static size_t ct_je_stat(const char *name) {
	unsigned long long epoch = 1;
	size_t len = sizeof(epoch);
	duckdb_je_mallctl("epoch", &epoch, &len, &epoch, len);
	size_t v = 0;
	len = sizeof(v);
	if (duckdb_je_mallctl(name, &v, &len, NULL, 0) != 0) {
		return 0;
	}
	return v;
}

// ct_idle is what jemalloc holds resident beyond what is allocated: pages
// freed and kept for reuse.
static size_t ct_idle(void) {
	size_t resident = ct_je_stat("stats.resident");
	size_t allocated = ct_je_stat("stats.allocated");
	return resident > allocated ? resident - allocated : 0;
}

// ct_give_back returns jemalloc's freed pages in every arena
// (MALLCTL_ARENAS_ALL is 4096) and glibc's free heap pages to the system.
static void ct_give_back(void) {
	duckdb_je_mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
	malloc_trim(0);
}
*/
import "C"

// allocatorIdle is how many bytes of freed memory DuckDB's allocator holds.
func allocatorIdle() int64 { return int64(C.ct_idle()) }

// allocatorGiveBack returns the freed memory DuckDB's allocators hold.
func allocatorGiveBack() { C.ct_give_back() }
