#!/usr/bin/env bash
# Prints a directory holding a Node >= 22.18 binary, installing Node 24 from the npm registry's `node` package when the
# machine's Node is older. Usage: export PATH="$(infra/local/ensure-node.sh):$PATH"
set -euo pipefail
want_major=24
prefix="${LEARNLOOP_NODE_PREFIX:-$HOME/.cache/learnloop/node-$want_major}"

node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if command -v node >/dev/null 2>&1 && node_ok "$(command -v node)"; then
  dirname "$(command -v node)"
  exit 0
fi
if [ ! -x "$prefix/node_modules/.bin/node" ] || ! node_ok "$prefix/node_modules/.bin/node"; then
  echo "ensure-node: installing node@$want_major into $prefix" >&2
  mkdir -p "$prefix"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$want_major" >&2
fi
echo "$prefix/node_modules/.bin"
