#!/usr/bin/env bash
# Debian packages `make bench` needs besides the project's own: wrk, the HTTP load generator
# bench/http.py drives. Installs only what is missing.
set -euo pipefail
command -v wrk >/dev/null && exit 0
echo "Installing Debian package: wrk"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
