#!/usr/bin/env bash
# Installs the Debian packages Weft needs, and only those missing.
# Usage: scripts/install-deps.sh [build|test|all|fuzz]
#   build: what compiling weft needs; fuzz: adds clang and libFuzzer; test: adds the test tools,
#   Debian's chromium (the console's browser tests), Node.js and npm (Debian's, when `node` or
#   `npm` is missing) and the npm packages of tests/clients and tests/browser (`npm ci`, when
#   node_modules is missing or older than package-lock.json).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

build_packages=(
  cmake ninja-build g++ make pkg-config
  libboost1.81-dev        # Asio/Beast: HTTP server
  libssl-dev              # HMAC, TLS
  libsqlite3-dev          # embedded store
  libyaml-cpp-dev         # config and workflow files
  nlohmann-json3-dev      # JSON documents
  libsimdjson-dev         # fast validation of webhook bodies on the ingest path
  libspdlog-dev libfmt-dev  # log sinks
  libcli11-dev            # command line
  libcurl4-openssl-dev    # outbound HTTP
  libjq-dev libonig-dev   # mappings and predicates
  libjemalloc-dev         # the weft program's allocator (faster than glibc's under its load)
  curl                    # make demo waits for the hub and the sandbox with it
)
test_packages=(
  libgtest-dev libgmock-dev
  sqlite3
  json-schema-test-suite  # the official cases the canonical-schema validator is checked against
  ca-certificates         # npm ci (tests/clients, tests/browser) reaches the npm registry over TLS
  chromium                # the console's browser tests (tests/browser) drive /usr/bin/chromium
)

fuzz_packages=(
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers' runtimes (make fuzz)
)

want=("${build_packages[@]}")
client_libraries=false
case "${1:-build}" in
  build) ;;
  test|all) want+=("${test_packages[@]}"); client_libraries=true ;;
  fuzz) want+=("${fuzz_packages[@]}") ;;
  *) echo "usage: $0 [build|test|all|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node may come from elsewhere than Debian (any 18+ runs the client tests): ask for the
# commands, not the packages.
if $client_libraries; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The pinned npm packages of tests/clients and tests/browser; npm's own record of the install
# (node_modules/.package-lock.json) newer than the lock file means it is current.
for dir in "$root/tests/clients" "$root/tests/browser"; do
  installed="$dir/node_modules/.package-lock.json"
  if $client_libraries && [[ ! "$installed" -nt "$dir/package-lock.json" ]]; then
    echo "install-deps: npm ci in ${dir#"$root"/}"
    if ! log=$(cd "$dir" && npm ci --no-audit --no-fund 2>&1); then
      echo "$log" >&2
      echo "install-deps: npm ci in ${dir#"$root"/} failed" >&2
      exit 1
    fi
    touch "$installed"
  fi
done
