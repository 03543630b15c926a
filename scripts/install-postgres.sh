#!/usr/bin/env bash
# Installs the PostgreSQL server from the distribution (Debian's `postgresql` package) when it is missing, for
# the tests that run against a real PostgreSQL. Prints the directory that holds initdb and postgres on stdout
# (and nothing else); progress goes to stderr. A machine that already has it returns at once.
#
#   bash scripts/install-postgres.sh   # e.g. /usr/lib/postgresql/15/bin
set -euo pipefail

log() { echo "install-postgres: $*" >&2; }

find_bin() {
  local dir
  # The newest installed major version.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/postgres" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
  done
  return 1
}

if bin=$(find_bin); then echo "$bin"; exit 0; fi

command -v apt-get >/dev/null || { log "PostgreSQL is not installed and this machine has no apt-get; install the postgresql package"; exit 1; }
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { log "installing PostgreSQL needs root (or sudo)"; exit 1; }
  SUDO=(sudo)
fi
log "installing the postgresql package with apt-get"
# Serialised: several test files may ask at once.
exec 9>/tmp/logistis-install-postgres.lock
flock 9
if bin=$(find_bin); then echo "$bin"; exit 0; fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
bin=$(find_bin) || { log "apt-get installed postgresql but no initdb/postgres is in /usr/lib/postgresql/*/bin"; exit 1; }
echo "$bin"
