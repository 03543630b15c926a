#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from Go modules into a cache outside the clone, keyed by version,
# so a fresh clone on the same machine reuses them. Prints the bin directory on stdout.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${LOGISTIS_CACHE:-$HOME/.cache/logistis}"
BIN_DIR="$CACHE_ROOT/control-plane/k8s-v$K8S_VERSION-etcd-v$ETCD_VERSION/bin"

log() { echo "build-control-plane: $*" >&2; }

if [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kubectl" && -x "$BIN_DIR/etcd" ]]; then
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { log "Go is required (https://go.dev/dl) to build kube-apiserver, kubectl and etcd"; exit 1; }
mkdir -p "$BIN_DIR"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomodcache}"

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
    echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
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
  log "building kube-apiserver and kubectl v$K8S_VERSION (a cold build takes a while)"
  go build -mod=mod -trimpath -o "$BIN_DIR/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local mod="$CACHE_ROOT/control-plane/src/etcd-v$ETCD_VERSION"
  mkdir -p "$mod"
  cd "$mod"
  cat > go.mod <<GOMOD
module logistis.local/etcd-tools

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  log "building etcd v$ETCD_VERSION"
  go build -mod=mod -trimpath -o "$BIN_DIR/etcd" go.etcd.io/etcd/server/v3
}

[[ -x "$BIN_DIR/etcd" ]] || build_etcd
[[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kubectl" ]] || build_kubernetes
echo "$BIN_DIR"
