#!/usr/bin/env bash
# Runs the benchmarks against the release build (`make bench` builds it first, then runs this).
# Usage: scripts/bench.sh                      both benchmarks with their defaults
#        scripts/bench.sh ingest [options...]  the ingest benchmark only, e.g. --rate 30000 --json
#        scripts/bench.sh workflow [options...] the engine benchmark only, e.g. --max, --rate 1000
#        scripts/bench.sh node-red [options...] the engine benchmark's flow run by Node-RED, without
#                                               durability (the budget's yardstick; default --max);
#                                               installs bench/node-red's pinned packages first
#   Extra options also come from $BENCH_ARGS (ingest_bench) and $WORKFLOW_BENCH_ARGS
#   (workflow_bench). docs/benchmarks.md explains the method and figures.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BENCH_BUILD:-$root/build/release}
weft=$build/weft

which=all
case ${1:-} in
  ingest | workflow | node-red | all) which=$1; shift ;;
  -*) which=ingest ;;  # options alone: the ingest benchmark, as before
esac
if [[ $which == all && $# -gt 0 ]]; then
  echo "bench: options go to one benchmark: scripts/bench.sh ingest|workflow [options...]" >&2
  exit 2
fi

for f in "$weft" "$build/bench/ingest_bench" "$build/bench/workflow_bench"; do
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

status=0
if [[ $which == ingest || $which == all ]]; then
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of words on purpose
  "$build/bench/ingest_bench" --weft "$weft" ${BENCH_ARGS:-} "$@" || status=$?
fi
if [[ $which == all ]]; then echo; fi
if [[ $which == workflow || $which == all ]]; then
  # shellcheck disable=SC2086  # WORKFLOW_BENCH_ARGS is a list of words on purpose
  "$build/bench/workflow_bench" --weft "$weft" ${WORKFLOW_BENCH_ARGS:-} "$@" || status=$?
fi
if [[ $which == node-red ]]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench: Node.js and npm are needed for the Node-RED run (make test-deps installs them)" >&2
    exit 1
  fi
  # Installed, or reinstalled when the pinned version changed.
  node_red=$root/bench/node-red
  wanted=$(node -p "require('$node_red/package.json').dependencies['node-red']")
  installed=$(node -p "require('$node_red/node_modules/node-red/package.json').version" 2>/dev/null || true)
  if [[ $installed != "$wanted" ]]; then
    (cd "$node_red" && npm ci --no-audit --no-fund)
  fi
  (($# > 0)) || set -- --max --max-start 100
  "$build/bench/workflow_bench" --node-red "$@" || status=$?
fi
exit "$status"
