#!/usr/bin/env bash
# Debian packages the project needs: gettext (translations), chromium (browser tests),
# WeasyPrint's Pango, fonts. Installs only what is missing.
set -euo pipefail
needed=()
command -v msgfmt >/dev/null || needed+=(gettext)
[ -x /usr/bin/chromium ] || needed+=(chromium)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || needed+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || needed+=(fonts-dejavu-core)
exec bash "$(dirname "$0")/apt-install.sh" ${needed[@]+"${needed[@]}"}
