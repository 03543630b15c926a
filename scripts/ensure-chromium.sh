#!/usr/bin/env bash
# Debian's Chromium for the browser tests: installed from apt when /usr/bin/chromium is missing (CI machines
# start fresh). Prints the path.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [[ ! -x "$CHROMIUM" ]]; then
  echo "installing Debian's chromium package for the browser tests" >&2
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2 \
    || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2; }
fi
"$CHROMIUM" --version >&2
echo "$CHROMIUM"
