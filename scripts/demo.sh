#!/usr/bin/env bash
# `make demo`: the hub on its embedded default (SQLite under data/demo) with the demo config,
# `weft sandbox` standing in for Stripe, Zendesk, NetSuite and Salesforce (its webhooks go to the
# hub as the platforms' would), a seeded scenario played through the sandboxes' own APIs, and the
# cross-platform consistency report. Then both keep serving until Ctrl-C.
#
# The same pieces as separate commands: docs/scenario.md. `weft demo` (one command, with a
# summary table per workflow) is still to come; this script is its stand-in.
#
# Environment: DEMO_CUSTOMERS (default 50), DEMO_SEED (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

WEFT=build/dev/weft
CONFIG=examples/demo.yaml
HUB=http://127.0.0.1:7070
SANDBOX=http://127.0.0.1:7171
DATA=data/demo
CUSTOMERS=${DEMO_CUSTOMERS:-50}
SEED=${DEMO_SEED:-1}

"$WEFT" check -c "$CONFIG"
# The sandbox starts empty, so the hub does too: a database left by an earlier run would
# disagree with it.
mkdir -p "$DATA"
rm -f "$DATA"/weft.db "$DATA"/weft.db-wal "$DATA"/weft.db-shm

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null' EXIT INT TERM

wait_ready() {  # name url pid log
  for _ in $(seq 100); do
    curl -fsS "$2" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { echo "$1 exited; see $4" >&2; tail -5 "$4" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not answer at $2; see $4" >&2
  exit 1
}

"$WEFT" serve -c "$CONFIG" 2> "$DATA/hub.log" &
pids+=($!)
wait_ready "weft serve" "$HUB/readyz" "${pids[-1]}" "$DATA/hub.log"

"$WEFT" sandbox --listen 127.0.0.1:7171 --hub "$HUB" > "$DATA/sandbox.out" 2> "$DATA/sandbox.log" &
pids+=($!)
wait_ready "weft sandbox" "$SANDBOX/_sandbox/state" "${pids[-1]}" "$DATA/sandbox.log"

echo "== playing the scenario (seed $SEED, $CUSTOMERS customers) through the sandbox's APIs"
"$WEFT" scenario run --sandbox "$SANDBOX" --seed "$SEED" --customers "$CUSTOMERS" > "$DATA/scenario.json"
cat "$DATA/scenario.json"

echo
echo "== waiting until the hub is at rest, then checking every platform against the others"
status=0
"$WEFT" scenario verify --sandbox "$SANDBOX" --hub "$HUB" --timeout 300 > "$DATA/report.json" || status=$?
if command -v python3 >/dev/null; then python3 -m json.tool "$DATA/report.json"; else cat "$DATA/report.json"; fi
[[ $status -eq 0 ]] && echo "consistent" || echo "NOT consistent (exit $status): see $DATA/report.json"

echo
echo "Hub:      $HUB   (health: /healthz, readiness: /readyz, metrics: /metrics)"
echo "Sandbox:  $SANDBOX   (state: /_sandbox/state, requests: /_sandbox/requests)"
echo "Storage:  $DATA/weft.db   Logs: $DATA/hub.log, $DATA/sandbox.log   Report: $DATA/report.json"
echo "Serving until Ctrl-C."
wait "${pids[@]}"
