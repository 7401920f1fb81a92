#!/usr/bin/env bash
# Debian packages `make bench` needs besides the project's own: wrk, the HTTP load generator
# bench/http.py drives. Installs only what is missing (scripts/apt-install.sh: as root only).
set -euo pipefail
needed=()
command -v wrk >/dev/null || needed+=(wrk)
exec bash "$(dirname "$0")/apt-install.sh" bench ${needed[@]+"${needed[@]}"}
