#!/usr/bin/env bash
# Runs the console's browser tests (console.test.mjs: playwright-core driving Debian's chromium,
# axe-core on every page) against a `weft demo` the test starts on free ports. CTest runs this as
# `console_browser`; by hand: tests/browser/run.sh build/dev/weft build/dev/test-artifacts/console
# Missing chromium, Node or packages fail the run (never skip): scripts/install-deps.sh test
# installs them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/node_packages.sh
source "$here/../support/node_packages.sh"
weft=${1:?usage: $0 <path to the weft binary> <screenshot folder>}
artifacts=${2:?usage: $0 <path to the weft binary> <screenshot folder>}
install_hint="run 'scripts/install-deps.sh test' (as root: Debian's chromium, nodejs and npm, then npm ci in tests/browser)"

fail() {
  echo "browser tests: $*" >&2
  exit 1
}

[[ -x "$weft" ]] || fail "no weft binary at $weft"
weft=$(cd "$(dirname "$weft")" && pwd)/$(basename "$weft")
chromium=${WEFT_CHROMIUM:-/usr/bin/chromium}
[[ -x "$chromium" ]] || fail "no chromium at $chromium; $install_hint"
require_node_packages "$here"

mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
cd "$here"
tests_pid=
clean_up() {
  if [[ -n "$tests_pid" ]]; then
    kill -TERM "$tests_pid" 2>/dev/null || true
    wait "$tests_pid" 2>/dev/null || true
  fi
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# In the background so that a signal to this script is handled at once; the test stops the
# demo it started however it ends.
WEFT_BINARY="$weft" WEFT_CHROMIUM="$chromium" WEFT_ARTIFACTS="$artifacts" \
  WEFT_REPO="$(cd "$here/../.." && pwd)" node --test --test-reporter=spec ./console.test.mjs &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=
exit "$status"
