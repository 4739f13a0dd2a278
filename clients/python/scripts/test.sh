#!/usr/bin/env bash
# The Python client's checks, in a virtual environment of its own (clients/python/.venv, ignored by git): installs the
# package as a user would (a wheel built from this folder, not an editable install) with its test extra, at the
# versions in constraints.txt, then runs ruff (lint and format), mypy (strict) and pytest. Arguments go to pytest.
# The integration tests use the real stack named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL, and start
# learnloop's services with Node (the repository's `npm ci` must have run).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
cd "$here"

if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "python client: $python cannot make a virtual environment (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
  echo "== python client: creating $venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi
# Dependencies are reinstalled only when what pins them changes; the package itself on every run.
stamp="$venv/.installed"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== python client: installing dependencies (constraints.txt)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt hatchling ".[test]"
  echo "$want" >"$stamp"
fi
echo "== python client: installing the package"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall .

echo "== python client: ruff"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
echo "== python client: mypy"
"$venv/bin/mypy"

# The services the integration tests start need a Node that runs the project's TypeScript (`npm run test:python` puts
# it first on PATH), and a stack: the one the environment names, else the local one, started as `npm test` would.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  echo "== python client: the local stack"
  eval "$(node "$root/bin/learnloop.js" stack up)"
fi
echo "== python client: pytest"
# From tests/, so that `import learnloop` finds the installed package, not src/.
cd "$here/tests"
exec "$venv/bin/python" -m pytest -c "$here/pyproject.toml" --rootdir "$here" "$@"
