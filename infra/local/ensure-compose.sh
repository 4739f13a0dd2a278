#!/usr/bin/env bash
# Makes `docker compose` available for validating infra/docker-compose.yml (`docker compose config` needs no engine).
# The machines here ship the docker client without the compose plugin; it is built from the Go module proxy.
set -euo pipefail
version=v2.39.2
if docker compose version >/dev/null 2>&1; then exit 0; fi
command -v docker >/dev/null || { echo "ensure-compose: no docker client; skipping" >&2; exit 0; }
command -v go >/dev/null || { echo "ensure-compose: no Go toolchain to build the compose plugin; skipping" >&2; exit 0; }
echo "ensure-compose: building docker compose $version from the Go module proxy (a few minutes, once)" >&2
dir=$(go mod download -json "github.com/docker/compose/v2@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
mkdir -p "$HOME/.docker/cli-plugins"
# Built inside the module so that its go.mod replace directives apply (go install refuses modules that have them).
(cd "$dir" && go build -o "$HOME/.docker/cli-plugins/docker-compose" ./cmd)
docker compose version >&2
