#!/usr/bin/env bash
# Installs the Debian packages given as arguments (none: nothing to do), as root or with sudo.
set -euo pipefail
[ $# -eq 0 ] && exit 0
echo "Installing Debian packages: $*"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
