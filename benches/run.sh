#!/usr/bin/env bash
# Re-measure rkv: builds the release binary and the benchmark program, runs every
# benchmark and prints the Markdown tables for BENCHMARKS.md (also saved in
# target/bench-results.md). Extra arguments go to the program:
#   benches/run.sh --quick              # 5 runs, fleets up to 1,000 (about a minute)
#   benches/run.sh --only fleet --fleet 1000,10000
#   benches/run.sh gen 1000 /tmp/fleet  # only write a generated fleet (for profiling)
#   RKV_HELM_CHART=/path/to/redis-23.1.1.tgz benches/run.sh --only helm
# Each render figure is given with the process floor of the same run (examples/floor.rs:
# read the specs, write the same bytes, compile nothing); `helm template` needs the
# Bitnami chart: RKV_HELM_CHART, a copy in target/bench-cache/, or a `helm pull` that works.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example floor >&2
cargo bench --bench rkv --no-run >&2
cargo bench --bench rkv -q -- "$@" | tee target/bench-results.md
