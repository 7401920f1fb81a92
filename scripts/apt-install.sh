#!/usr/bin/env bash
# Installs the Debian packages given after the make target's name (none: nothing to do), as
# root only: another user is shown the command to run and the make stops, never a sudo
# prompt they did not ask for.
set -euo pipefail
use="$1"
shift
[ $# -eq 0 ] && exit 0
command="apt-get install -y --no-install-recommends $*"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages for 'make $use': $*" >&2
  echo "Install them, then run 'make $use' again:" >&2
  echo "    sudo apt-get update && sudo $command" >&2
  exit 1
fi
echo "Installing Debian packages for 'make $use': $*"
apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $command -qq
