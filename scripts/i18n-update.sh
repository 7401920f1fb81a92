#!/usr/bin/env bash
# Re-extract messages, apply French translations given as JSON files ({msgid: msgstr}),
# and compile. Serialised with a lock so several people can run it on one checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/portail-i18n.lock
flock 9
.venv/bin/python manage.py makemessages -l fr -l en --ignore=.venv --ignore=bench --ignore=tests --ignore=scripts --no-obsolete -v 0
for json in "$@"; do
  .venv/bin/python scripts/po_fill.py "$json" | sed -n 1p
done
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
