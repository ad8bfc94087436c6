#!/usr/bin/env bash
# The setup `npm test`, `npm run demo` and `npm run bench` do for themselves on a fresh clone:
# install the npm dependencies when missing or stale, then build (or reuse from the cache) the
# pinned upstream binaries, unless KUBEBUILDER_ASSETS or USE_EXISTING_CLUSTER makes them unneeded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

sets=("$@")
if [ -n "${KUBEBUILDER_ASSETS:-}" ] || [ "${USE_EXISTING_CLUSTER:-}" = true ]; then
  # Only the control plane comes from elsewhere; other peers are still built.
  filtered=()
  for s in "${sets[@]}"; do [ "$s" = kube ] || [ "$s" = etcd ] || filtered+=("$s"); done
  sets=("${filtered[@]}")
  [ ${#sets[@]} -eq 0 ] && exit 0
fi
bash scripts/build-test-assets.sh "${sets[@]}"
