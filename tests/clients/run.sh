#!/usr/bin/env bash
# Runs the client-library tests (tests/clients/*.test.mjs: the vendors' npm libraries) against a
# `weft sandbox` of its own on a free port, and stops it afterwards. CTest runs this as
# `sandbox_client_libraries`; by hand: tests/clients/run.sh build/dev/weft
# Missing Node or libraries fail the run (never skip): scripts/install-deps.sh test installs both.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/node_packages.sh
source "$here/../support/node_packages.sh"
weft=${1:?usage: $0 <path to the weft binary>}
install_hint="run 'scripts/install-deps.sh test' (as root: Debian's nodejs and npm, then npm ci in tests/clients)"

fail() {
  echo "client tests: $*" >&2
  exit 1
}

[[ -x "$weft" ]] || fail "no weft binary at $weft"
require_node_packages "$here"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-client-tests.XXXXXX")
sandbox_pid=
tests_pid=
# Runs however the script ends (INT and TERM included): nothing it started is left running.
clean_up() {
  for pid in $tests_pid $sandbox_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$weft" sandbox --listen 127.0.0.1:0 >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!

# The sandbox prints its base URL as its first line once the port is bound.
url=
for _ in $(seq 300); do
  if (($(wc -l <"$work/sandbox.out") >= 1)); then
    url=$(head -n 1 "$work/sandbox.out")
    break
  fi
  kill -0 "$sandbox_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ "$url" != http://* ]]; then
  cat "$work/sandbox.err" >&2
  fail "weft sandbox did not print its URL within 30 s (printed: '$url')"
fi

cd "$here"
status=0
# In the background so that a signal to this script is handled at once, not after the tests.
WEFT_SANDBOX_URL="$url" node --test --test-reporter=spec ./*.test.mjs &
tests_pid=$!
wait "$tests_pid" || status=$?
tests_pid=
if ((status != 0)); then
  echo "--- weft sandbox log (last 40 lines) ---" >&2
  tail -n 40 "$work/sandbox.err" >&2
fi
exit "$status"
