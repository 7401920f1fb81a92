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
exec bash "$(dirname "$0")/apt-install.sh" "$use" ${needed[@]+"${needed[@]}"}
