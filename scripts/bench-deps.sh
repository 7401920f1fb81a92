#!/usr/bin/env bash
# Debian packages `make bench` needs besides the project's own: wrk, the HTTP load generator
# bench/http.py drives. Installs only what is missing, as root only; another user is shown
# the command to run (no implicit sudo).
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian package for 'make bench': wrk. Install it, then run 'make bench' again:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends wrk" >&2
  exit 1
fi
echo "Installing Debian package: wrk"
apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk
