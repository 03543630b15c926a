# Sourced by the scripts that build Go tools into the cache outside the clone (build-control-plane.sh,
# build-helm.sh). The caller sets BIN_DIR, RESULT (what it prints on stdout), WHAT (for messages), CACHE_ROOT,
# and defines `log` and `complete` (true when the cached build is there and current). A warm cache prints RESULT
# and exits. Otherwise one build runs at a time per BIN_DIR (whoever waited finds it done), and the caller builds
# into $STAGE (removed on exit) with GO_LANG, the local Go's language version, for its wrapper go.mod.

if complete; then
  echo "$RESULT"
  exit 0
fi

command -v go >/dev/null || { log "Go is required (https://go.dev/dl) to build $WHAT"; exit 1; }
mkdir -p "$BIN_DIR"

exec 9>"$BIN_DIR/.build.lock"
if ! flock -n 9; then
  log "another build of $WHAT is running; waiting for it"
  flock 9
fi
if complete; then
  echo "$RESULT"
  exit 0
fi

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomodcache}"
GO_LANG="$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
STAGE="$(mktemp -d "$BIN_DIR/.stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
