#!/usr/bin/env bash
# Regenerates src/generated/ from proto/: TypeScript for grpc-js (ts-proto) and the descriptor
# set the worker's reflection service serves (OTLP's
# files with their own template: see proto/buf.gen.otlp.yaml). Never edit src/generated/ by hand; the tests fail
# when it differs from what this script writes.
#   scripts/generate-proto.sh [OUT]   OUT defaults to the repository root
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
cd "$root"
mkdir -p "$out/src/generated"
npx buf generate proto --template proto/buf.gen.yaml --path proto/gateway -o "$out"
npx buf generate proto --template proto/buf.gen.otlp.yaml --path proto/opentelemetry -o "$out"
npx buf build proto -o "$out/src/generated/gateway-worker.binpb"
