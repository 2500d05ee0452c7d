// Package bench holds the end-to-end benchmarks of the local engine, run as
// ratios against baselines measured side by side in the same run (never as
// timed unit tests): `make bench-local`. It generates a 30-day,
// ~500,000-event organization trail once (cached in $CTATHENA_BENCH_DIR,
// default .bench/ at the repository root) with internal/trailgen.
package bench
