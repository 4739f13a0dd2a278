#!/usr/bin/env bash
# Regenerates src/learnloop/_generated/ from schemas/router.proto (the router's gRPC API; docs/router.md).
# The stubs are committed so that `pip install` needs no code generator. grpcio-tools is pinned (here and in the test
# extra) because the generated code checks, on import, that the installed protobuf and grpcio are at least the versions
# that generated it: 1.71.2 gives floors of protobuf 5.29 and grpcio 1.71, old enough for most agent runtimes.
# tests/test_generated.py fails when the committed stubs differ from what this script makes.
# Usage: scripts/generate-grpc.sh [output directory, default src]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/src}"
python="${PYTHON:-$here/.venv/bin/python}"
want=1.71.2
have="$("$python" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "generate-grpc: needs grpcio-tools==$want in $python (found '${have:-none}'); run scripts/test.sh once" >&2
  exit 1
fi
# -I maps the proto's directory onto the package path, so that the generated modules import each other as
# learnloop._generated.* rather than as top-level modules.
"$python" -m grpc_tools.protoc \
  "-Ilearnloop/_generated=$here/../../schemas" \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  "$here/../../schemas/router.proto"
