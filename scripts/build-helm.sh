#!/usr/bin/env bash
# Builds Helm 4 (helm.sh/helm/v4/cmd/helm) from its Go module into a cache outside the clone, keyed by version,
# the same way scripts/build-control-plane.sh builds the control plane. Prints the path of the helm binary on
# stdout (and nothing else); progress goes to stderr. A warm run returns at once.
#
#   HELM_VERSION=4.3.2 LOGISTIS_CACHE=~/.cache/logistis bash scripts/build-helm.sh
#
# Concurrent runs are serialised with flock and the binary is installed by rename, so an interrupted build never
# leaves a half-written binary behind. See docs/deploy.md.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-4.3.2}"
CACHE_ROOT="${LOGISTIS_CACHE:-$HOME/.cache/logistis}"
BIN_DIR="$CACHE_ROOT/helm-v$HELM_VERSION/bin"
HELM="$BIN_DIR/helm"
# Bump when the way the binary is built changes, so caches built the old way are rebuilt.
RECIPE=1
STAMP="$BIN_DIR/.helm-recipe"

log() { echo "build-helm: $*" >&2; }

complete() { [[ -x "$HELM" && "$(cat "$STAMP" 2>/dev/null)" == "$RECIPE" ]]; }

RESULT="$HELM"
WHAT="helm"
# shellcheck source=lib/go-build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-build-cache.sh"

started=$SECONDS
mod="$CACHE_ROOT/helm-v$HELM_VERSION/src"
mkdir -p "$mod"
cd "$mod"
cat > go.mod <<GOMOD
module logistis.local/helm-tools

go $GO_LANG

require helm.sh/helm/v4 v$HELM_VERSION
GOMOD
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "helm.sh/helm/v4/cmd/helm"
GO
# Without the version in the binary, `helm version` says v4.0+unreleased and charts' kubeVersion checks misread it.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
log "building helm v$HELM_VERSION (a cold build takes a minute or two)"
# Helm's own go.mod pins its dependencies; `go mod tidy` against it keeps exactly those versions.
go mod tidy >/dev/null 2>&1 || go get "helm.sh/helm/v4@v$HELM_VERSION" >/dev/null
go build -mod=mod -trimpath -ldflags="$ldflags" -o "$STAGE/helm" helm.sh/helm/v4/cmd/helm
mv -f "$STAGE/helm" "$HELM"
echo "$RECIPE" > "$STAMP"
log "helm ready at $HELM (build took $((SECONDS - started))s)"
echo "$HELM"
