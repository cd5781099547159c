#!/usr/bin/env bash
# Runs the benchmarks against the release build (`make bench` builds it first, then runs this).
# Usage: scripts/bench.sh [ingest_bench options...]   e.g. --rate 30000 --duration 20 --json
#   Extra options also come from $BENCH_ARGS. docs/benchmarks.md explains the method and figures.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BENCH_BUILD:-$root/build/release}
bench=$build/bench/ingest_bench
weft=$build/weft

for f in "$bench" "$weft"; do
  if [[ ! -x $f ]]; then
    echo "bench: $f is missing; run 'make bench' (or 'make release') first" >&2
    exit 1
  fi
done

cpus=$(nproc)
if ((cpus < 2)); then
  echo "bench: only $cpus CPU available; the hub and the load generator will share it" >&2
fi
read -r load1 _ < /proc/loadavg
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
  echo "bench: load average is $load1: other work on this machine may distort the figures" >&2
fi

# shellcheck disable=SC2086  # BENCH_ARGS is a list of words on purpose
exec "$bench" --weft "$weft" ${BENCH_ARGS:-} "$@"
