#!/usr/bin/env bash
# The development server of `make run`, with localstripe (a fake Stripe on this machine) so
# that online payment works without any Stripe account.
#
# Several checkouts can run side by side (`PORT=8001 make run`, `PORT=8002 make run`): each
# one's localstripe listens on PORT + 420 (or LOCALSTRIPE_PORT), its webhook points to its
# own server, and a port already taken is refused with a message instead of being shared.
# Stopping this script (Ctrl-C, or SIGTERM to it or to make) stops both servers.
#
# With STRIPE_SECRET_KEY set in the environment (real Stripe test keys), localstripe is not
# started: see docs/payments.md.
#
# `run-dev.sh --check-ports` only checks that the ports are free.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-$((PORT + 420))}"
export PORT SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"

port_free() {
  # SO_REUSEADDR as the servers themselves: a port left in TIME_WAIT by the last run is free.
  "$PY" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

refuse_taken() { # port, what it is for, the variable that chooses it
  if ! port_free "$1"; then
    echo "Port $1 ($2) is already in use, by another 'make run' or another program." >&2
    echo "Choose another one: $3=<free port> make run" >&2
    exit 1
  fi
}

refuse_taken "$PORT" "the portal" PORT
uses_localstripe=""
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  uses_localstripe=1
  [ "$LOCALSTRIPE_PORT" != "$PORT" ] || { echo "LOCALSTRIPE_PORT must differ from PORT." >&2; exit 1; }
  refuse_taken "$LOCALSTRIPE_PORT" "localstripe" LOCALSTRIPE_PORT
fi
if [ "${1:-}" = "--check-ports" ]; then
  exit 0
fi

# Each server runs in a process group of its own (setsid): stopping kills the whole group,
# Django's autoreloader and its serving child included.
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

if [ -n "$uses_localstripe" ]; then
  export STRIPE_API_BASE="http://127.0.0.1:$LOCALSTRIPE_PORT"
  export STRIPE_JS_URL="$STRIPE_API_BASE/js.stripe.com/v3/"
  export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_localstripe}"
  mkdir -p var
  # --from-scratch: every run starts with an empty Stripe (it otherwise reloads a saved one).
  setsid .venv/bin/localstripe --port "$LOCALSTRIPE_PORT" --from-scratch \
    >"var/localstripe-$LOCALSTRIPE_PORT.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$STRIPE_JS_URL" 2>/dev/null; then
      break
    fi
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
      echo "localstripe did not start; see var/localstripe-$LOCALSTRIPE_PORT.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  # localstripe signs its webhooks with this secret, exactly as Stripe does; the webhook
  # goes to this checkout's own server.
  curl -fsS -o /dev/null -X POST "$STRIPE_API_BASE/_config/webhooks/portail-familles" \
    -d "url=http://127.0.0.1:$PORT/paiement/stripe/webhook/" \
    -d "secret=$STRIPE_WEBHOOK_SECRET"
  echo "Online payment: localstripe on $STRIPE_API_BASE (log: var/localstripe-$LOCALSTRIPE_PORT.log);" \
    "test card 4242 4242 4242 4242, any future date, any CVC."
else
  echo "Online payment: Stripe account from STRIPE_SECRET_KEY (localstripe not started)."
fi

setsid "$PY" manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
# `wait` returns when a trapped signal arrives, so the traps above run at once.
wait "${pids[-1]}"
