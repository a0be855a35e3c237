#!/usr/bin/env bash
# Reaction requests per second through the gateway, end to end on loopback: `wa serve --sim`
# (a release build), one session paired with the in-process simulator, wrk posting reactions
# (reactions.lua) at each connection count given (default 1 4 16 64), up to 2 wrk threads.
# Usage: benches/gateway/run.sh [CONNECTIONS...]   (env: WA, DURATION, PORT, SIM_PORT)
set -euo pipefail
cd "$(dirname "$0")"
WA=${WA:-../../target/release/wa}
DURATION=${DURATION:-10s}
PORT=${PORT:-18080}
SIM_PORT=${SIM_PORT:-18790}
G=http://127.0.0.1:$PORT/api/v1
S=http://127.0.0.1:$SIM_PORT/sim
DIR=$(mktemp -d -p "${TMPDIR:-/tmp}")
"$WA" serve --data "$DIR" --listen "127.0.0.1:$PORT" --sim --sim-listen "127.0.0.1:$SIM_PORT" \
  --rate-limit 4000000000 --debounce-ms 0 >"$DIR/serve.out" 2>"$DIR/serve.err" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -sf "$G/../../openapi.json" >/dev/null && break; sleep 0.1; done

TOKEN=$("$WA" keys create --data "$DIR" --org bench --capabilities send,read,sessions | tail -1)
AUTH="Authorization: Bearer $TOKEN"
curl -sf -d '{"phone":"15550001111"}' "$S/accounts" >/dev/null
curl -sf -d '{"phone":"15550002222"}' "$S/accounts" >/dev/null
CREATED=$(curl -sf -X POST -H "$AUTH" "$G/sessions")
ID=$(jq -r .id <<<"$CREATED")
jq -n --arg qr "$(jq -r .qr <<<"$CREATED")" '{qr: $qr, phone: "15550001111@s.whatsapp.net"}' |
  curl -sf -d @- "$S/scan" >/dev/null
for _ in $(seq 100); do
  [ "$(curl -sf -H "$AUTH" "$G/sessions/$ID" | jq -r .status)" = connected ] && break
  sleep 0.1
done

export WA_TOKEN=$TOKEN WA_SESSION=$ID WA_CHAT=15550002222@s.whatsapp.net
for connections in "${@:-1 4 16 64}"; do
  for c in $connections; do
    echo "== $c connections, $DURATION"
    threads=$(( c < 2 ? c : 2 ))
    wrk -t"$threads" -c"$c" -d"$DURATION" -s reactions.lua "http://127.0.0.1:$PORT" | tail -2
  done
done
curl -sf http://127.0.0.1:$PORT/metrics | grep -E '^wa_gateway_sends_total\{kind="reaction"' || true
