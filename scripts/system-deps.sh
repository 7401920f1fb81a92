#!/usr/bin/env bash
# Debian packages the project needs, by use:
#   run  — what `make run` needs: WeasyPrint's Pango and a font (PDFs). Nothing else.
#   test — what `make test` needs on top: gettext (makemessages), Chromium (browser tests).
# Installs only what is missing, and only as root: another user is shown the command to
# run and the make stops, never a sudo prompt they did not ask for.
set -euo pipefail
use="${1:-run}"
needed=()
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || needed+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || needed+=(fonts-dejavu-core)
if [ "$use" = "test" ]; then
  command -v msgfmt >/dev/null || needed+=(gettext)
  [ -x /usr/bin/chromium ] || needed+=(chromium)
fi
if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
command="apt-get install -y --no-install-recommends ${needed[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages for 'make $use': ${needed[*]}" >&2
  echo "Install them, then run 'make $use' again:" >&2
  echo "    sudo apt-get update && sudo $command" >&2
  exit 1
fi
echo "Installing Debian packages for 'make $use': ${needed[*]}"
apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $command -qq
