#!/usr/bin/env bash
# Re-measure rkv: builds the release binary and the benchmark program, runs every
# benchmark and prints the Markdown tables for BENCHMARKS.md (also saved in
# target/bench-results.md). Extra arguments go to the program:
#   benches/run.sh --quick              # 5 runs, fleets up to 1,000 (about a minute)
#   benches/run.sh --only fleet --fleet 1000,10000
#   benches/run.sh gen 1000 /tmp/fleet  # only write a generated fleet (for profiling)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench rkv --no-run >&2
cargo bench --bench rkv -q -- "$@" | tee target/bench-results.md
