#!/usr/bin/env bash
# Installs the Debian packages Weft needs, and only those missing.
# Usage: scripts/install-deps.sh [build|test|all]
#   build: what compiling weft needs; test: adds the test tools (clang for fuzzing, servers).
set -euo pipefail

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
)
test_packages=(
  libgtest-dev libgmock-dev
  sqlite3
  json-schema-test-suite  # the official cases the canonical-schema validator is checked against
)

want=("${build_packages[@]}")
case "${1:-build}" in
  build) ;;
  test|all) want+=("${test_packages[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

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
