#!/usr/bin/env bash
# The development server of `make run`, with localstripe (a fake Stripe on this machine) so
# that online payment works without any Stripe account. localstripe stops with the server.
#
# With STRIPE_SECRET_KEY set in the environment (real Stripe test keys), localstripe is not
# started: see docs/payments.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"

if [ -n "${STRIPE_SECRET_KEY:-}" ]; then
  echo "Online payment: Stripe account from STRIPE_SECRET_KEY (localstripe not started)."
  exec "$PY" manage.py runserver "127.0.0.1:$PORT"
fi

export STRIPE_API_BASE="http://127.0.0.1:$LOCALSTRIPE_PORT"
export STRIPE_JS_URL="$STRIPE_API_BASE/js.stripe.com/v3/"
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_localstripe}"
mkdir -p var
# --from-scratch: every run starts with an empty Stripe (it otherwise reloads a saved one).
.venv/bin/localstripe --port "$LOCALSTRIPE_PORT" --from-scratch >var/localstripe.log 2>&1 &
localstripe_pid=$!
stop_localstripe() {
  kill "$localstripe_pid" 2>/dev/null || true
  wait "$localstripe_pid" 2>/dev/null || true
}
trap stop_localstripe EXIT

for _ in $(seq 1 50); do
  if curl -fsS -o /dev/null "$STRIPE_JS_URL" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$localstripe_pid" 2>/dev/null; then
    echo "localstripe did not start (port $LOCALSTRIPE_PORT busy?); see var/localstripe.log" >&2
    exit 1
  fi
  sleep 0.2
done
# localstripe signs its webhooks with this secret, exactly as Stripe does.
curl -fsS -X POST "$STRIPE_API_BASE/_config/webhooks/portail-familles" \
  -d "url=http://127.0.0.1:$PORT/paiement/stripe/webhook/" \
  -d "secret=$STRIPE_WEBHOOK_SECRET"
echo "Online payment: localstripe on $STRIPE_API_BASE (log: var/localstripe.log);" \
  "test card 4242 4242 4242 4242, any future date, any CVC."

"$PY" manage.py runserver "127.0.0.1:$PORT"
