#!/usr/bin/env bash
# Runs the console's browser tests (console.test.mjs: playwright-core driving Debian's chromium,
# axe-core on every page) against a `weft demo` the test starts on free ports. CTest runs this as
# `console_browser`; by hand: tests/browser/run.sh build/dev/weft build/dev/test-artifacts/console
# Missing chromium, Node or packages fail the run (never skip): scripts/install-deps.sh test
# installs them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
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
command -v node >/dev/null || fail "node is not installed; $install_hint"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || fail "node $(node --version) is too old (18 or newer needed); $install_hint"
if ! stale=$(cd "$here" && node -e '
  const fs = require("fs");
  const wanted = JSON.parse(fs.readFileSync("package.json", "utf8")).dependencies;
  const wrong = Object.entries(wanted).filter(([name, version]) => {
    try { return JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version !== version; }
    catch { return true; }
  });
  console.log(wrong.map(([name, version]) => `${name}@${version}`).join(" "));
  process.exit(wrong.length ? 1 : 0);'); then
  fail "not installed in tests/browser/node_modules: $stale; $install_hint"
fi

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
