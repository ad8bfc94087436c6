#!/usr/bin/env bash
# Builds the pinned upstream binaries the tests, the demo and the benchmarks run against
# (kube-apiserver, etcd, kubectl, Pebble, helm, grpcurl, grpc-health-probe, versitygw, mailpit, ...)
# from the Go module proxy into a cache outside git. Each test/assets/<set>/go.mod pins one
# dependency graph; the cache folder is named after the pinned version, so a second run costs
# nothing.
#
#   scripts/build-test-assets.sh            build every set
#   scripts/build-test-assets.sh kube etcd  build only these sets
#
# GATEWAY_WORKER_CACHE overrides the cache folder (default ~/.cache/gateway-worker).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${GATEWAY_WORKER_CACHE:-$HOME/.cache/gateway-worker}
command -v go >/dev/null || { echo "build-test-assets: 'go' is not on PATH; install Go or set KUBEBUILDER_ASSETS" >&2; exit 1; }

# set | module whose version names the cache folder | package=binary ...
sets=(
  "kube|k8s.io/kubernetes|k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver k8s.io/kubernetes/cmd/kubectl=kubectl"
  "etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3=etcd"
  "pebble|github.com/letsencrypt/pebble/v2|github.com/letsencrypt/pebble/v2/cmd/pebble=pebble github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv=pebble-challtestsrv"
  "helm|helm.sh/helm/v3|helm.sh/helm/v3/cmd/helm=helm"
  "grpcurl|github.com/fullstorydev/grpcurl|github.com/fullstorydev/grpcurl/cmd/grpcurl=grpcurl"
  "grpc-health-probe|github.com/grpc-ecosystem/grpc-health-probe|github.com/grpc-ecosystem/grpc-health-probe=grpc-health-probe"
  "promtool|github.com/prometheus/prometheus|github.com/prometheus/prometheus/cmd/promtool=promtool"
  "versitygw|github.com/versity/versitygw|github.com/versity/versitygw/cmd/versitygw=versitygw"
  "mailpit|github.com/axllent/mailpit|github.com/axllent/mailpit=mailpit"
)

# Built outside the Kubernetes release tooling, the binaries would report v0.0.0-master.
version_ldflags() {
  [ "$1" = kube ] || return 0
  local v=$2 minor; minor=$(echo "$v" | cut -d. -f2)
  local pkg flags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "$flags"
}

wanted=("$@")
is_wanted() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1
}

for entry in "${sets[@]}"; do
  IFS='|' read -r set module targets <<<"$entry"
  is_wanted "$set" || continue
  dir="$root/test/assets/$set"
  version=$(awk -v m="$module" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$dir/go.mod" | head -n1)
  [ -n "$version" ] || { echo "build-test-assets: no version of $module in $dir/go.mod" >&2; exit 1; }
  out="$cache/$set-$version"
  mkdir -p "$out"
  for target in $targets; do
    pkg=${target%%=*}; bin=${target##*=}
    if [ -x "$out/$bin" ]; then
      echo "build-test-assets: $bin $version cached in $out"
      continue
    fi
    echo "build-test-assets: building $bin $version ..."
    start=$(date +%s)
    (cd "$dir" && go build -trimpath -ldflags="-s -w $(version_ldflags "$set" "$version")" -o "$out/$bin.tmp" "$pkg")
    mv "$out/$bin.tmp" "$out/$bin"
    echo "build-test-assets: built $bin $version in $(( $(date +%s) - start )) s"
  done
done
