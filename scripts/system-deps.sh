#!/usr/bin/env bash
# Debian packages the project needs: gettext (translations), chromium (browser tests),
# WeasyPrint's Pango, fonts. Installs only what is missing.
set -euo pipefail
needed=()
command -v msgfmt >/dev/null || needed+=(gettext)
[ -x /usr/bin/chromium ] || needed+=(chromium)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || needed+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || needed+=(fonts-dejavu-core)
if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${needed[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
