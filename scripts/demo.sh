#!/usr/bin/env bash
# `make demo`: runs the hub on its embedded default (SQLite under data/demo) with the demo
# config, plays signed webhooks into it the way the platforms send them, shows what the hub
# recorded, and keeps serving until Ctrl-C.
#
# The sandbox platforms, the workflows and the seeded scenario (`weft demo`) are being built
# (issues "Weft core II", "Connectors", "Workflows"); until they land, this plays a small
# batch of Stripe and Zendesk events, including a duplicate and a forged one.
set -euo pipefail
cd "$(dirname "$0")/.."

WEFT=build/dev/weft
CONFIG=examples/demo.yaml
HUB=http://127.0.0.1:7070
: "${STRIPE_WEBHOOK_SECRET:=whsec_weft_demo}"
: "${ZENDESK_WEBHOOK_SECRET:=zd_demo_webhook_secret}"
export STRIPE_WEBHOOK_SECRET ZENDESK_WEBHOOK_SECRET

"$WEFT" check -c "$CONFIG"
mkdir -p data/demo
"$WEFT" serve -c "$CONFIG" 2> data/demo/hub.log &
hub=$!
trap 'kill $hub 2>/dev/null; wait $hub 2>/dev/null' EXIT INT TERM

for _ in $(seq 100); do
  curl -fsS "$HUB/readyz" >/dev/null 2>&1 && break
  kill -0 $hub 2>/dev/null || { echo "weft serve exited; see data/demo/hub.log" >&2; tail -5 data/demo/hub.log >&2; exit 1; }
  sleep 0.1
done

hmac_hex() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -hex | sed 's/^.*= //'; }
hmac_b64() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | base64 -w0; }

post_stripe() {  # id type customer
  local body t
  body=$(printf '{"id":"%s","object":"event","type":"%s","created":%s,"data":{"object":{"id":"in_%s","object":"invoice","customer":"%s","currency":"usd","total":4200}}}' \
    "$1" "$2" "$(date +%s)" "$RANDOM" "$3")
  t=$(date +%s)
  curl -sS -o /dev/null -w "stripe  %{http_code}  $1 $2\n" -X POST "$HUB/hooks/stripe" \
    -H 'Content-Type: application/json' \
    -H "Stripe-Signature: t=$t,v1=$(hmac_hex "$STRIPE_WEBHOOK_SECRET" "$t.$body")" --data-binary "$body"
}

post_zendesk() {  # id type ticket
  local body ts
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  body=$(printf '{"type":"zen:event-type:%s","account_id":1,"id":"%s","time":"%s","subject":"zen:ticket:%s","detail":{"id":"%s","status":"OPEN","tags":["service_credit_request"]}}' \
    "$2" "$1" "$ts" "$3" "$3")
  curl -sS -o /dev/null -w "zendesk %{http_code}  $1 $2\n" -X POST "$HUB/hooks/zendesk" \
    -H 'Content-Type: application/json' -H "X-Zendesk-Webhook-Signature-Timestamp: $ts" \
    -H "X-Zendesk-Webhook-Signature: $(hmac_b64 "$ZENDESK_WEBHOOK_SECRET" "$ts$body")" --data-binary "$body"
}

run=$(date +%s)
echo "== playing webhooks into $HUB"
for i in 1 2 3 4 5; do post_stripe "evt_demo_${run}_$i" invoice.created "cus_demo_$i"; done
post_zendesk "zd-${run}-1" ticket.created 1001
post_zendesk "zd-${run}-2" ticket.tags_changed 1001
echo "-- the same Stripe event again (a platform retry): answered 200, stored once"
post_stripe "evt_demo_${run}_1" invoice.created cus_demo_1
echo "-- a forged webhook: answered 401, nothing stored"
curl -sS -o /dev/null -w "stripe  %{http_code}  forged\n" -X POST "$HUB/hooks/stripe" \
  -H "Stripe-Signature: t=$(date +%s),v1=$(printf '0%.0s' $(seq 64))" --data-binary '{"id":"evt_forged","type":"x"}'

echo
echo "== what the hub counted (GET $HUB/metrics)"
sleep 0.3  # routing (mapping, triggers) follows each commit within milliseconds
curl -fsS "$HUB/metrics" | grep -E '^weft_(webhooks_total|events_unprocessed|events_routed_total|canonical_events_total|exceptions_open|storage_commit_batch_size_(sum|count))' || true
echo
echo "Hub:      $HUB   (health: /healthz, readiness: /readyz, metrics: /metrics)"
echo "Storage:  data/demo/weft.db   Log: data/demo/hub.log"
echo "Serving until Ctrl-C."
wait $hub
