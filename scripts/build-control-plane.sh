#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from Go modules into a cache outside the clone, keyed by version,
# so a fresh clone on the same machine reuses them. Prints the bin directory on stdout (and nothing else);
# progress goes to stderr. A warm run (binaries present, same build recipe) returns at once.
#
#   K8S_VERSION=1.37.2 ETCD_VERSION=3.6.16 LOGISTIS_CACHE=~/.cache/logistis bash scripts/build-control-plane.sh
#
# Concurrent runs are serialised with flock, and binaries are installed by rename, so an interrupted build
# never leaves a half-written binary behind. See docs/control-plane.md.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${LOGISTIS_CACHE:-$HOME/.cache/logistis}"
BIN_DIR="$CACHE_ROOT/control-plane/k8s-v$K8S_VERSION-etcd-v$ETCD_VERSION/bin"
# Bump when the way the binaries are built changes, so caches built the old way are rebuilt.
RECIPE=2
K8S_STAMP="$BIN_DIR/.kubernetes-recipe"

log() { echo "build-control-plane: $*" >&2; }

complete() {
  [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kubectl" && -x "$BIN_DIR/etcd" ]] &&
    [[ "$(cat "$K8S_STAMP" 2>/dev/null)" == "$RECIPE" ]]
}

RESULT="$BIN_DIR"
WHAT="kube-apiserver, kubectl and etcd"
# shellcheck source=lib/go-build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-build-cache.sh"

build_kubernetes() {
  local mod="$CACHE_ROOT/control-plane/src/k8s-v$K8S_VERSION"
  local staging_minor="0.${K8S_VERSION#1.}"
  mkdir -p "$mod"
  cd "$mod"
  go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" >/dev/null
  local k8s_gomod
  k8s_gomod="$(go env GOMODCACHE)/k8s.io/kubernetes@v$K8S_VERSION/go.mod"
  {
    echo "module logistis.local/k8s-tools"
    echo
    echo "go $GO_LANG"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    # kubernetes' own go.mod replaces each staging module with ./staging/...; outside its tree they come
    # from the proxy at the matching v0.Y.Z.
    grep -E '^\s*k8s\.io/[a-z0-9./-]+ => \./staging/' "$k8s_gomod" \
      | awk -v v="v$staging_minor" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  # The version the binaries report (/version, kubectl version); without these they say v0.0.0-master.
  local major="${K8S_VERSION%%.*}" minor="${K8S_VERSION#*.}"
  minor="${minor%%.*}"
  local ldflags=""
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  log "building kube-apiserver and kubectl v$K8S_VERSION (a cold build takes minutes)"
  go build -mod=mod -trimpath -ldflags="-s -w$ldflags" -o "$STAGE/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  mv -f "$STAGE/kube-apiserver" "$STAGE/kubectl" "$BIN_DIR/"
  echo "$RECIPE" > "$K8S_STAMP"
}

build_etcd() {
  local mod="$CACHE_ROOT/control-plane/src/etcd-v$ETCD_VERSION"
  mkdir -p "$mod"
  cd "$mod"
  cat > go.mod <<GOMOD
module logistis.local/etcd-tools

go $GO_LANG

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  log "building etcd v$ETCD_VERSION"
  go build -mod=mod -trimpath -ldflags="-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3
  mv -f "$STAGE/etcd" "$BIN_DIR/etcd"
}

started=$SECONDS
[[ -x "$BIN_DIR/etcd" ]] || build_etcd
[[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kubectl" && "$(cat "$K8S_STAMP" 2>/dev/null)" == "$RECIPE" ]] || build_kubernetes
log "control plane ready in $BIN_DIR (build took $((SECONDS - started))s)"
echo "$BIN_DIR"
