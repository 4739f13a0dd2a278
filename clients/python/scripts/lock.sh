#!/usr/bin/env bash
# Rewrites constraints.txt with the newest versions pyproject.toml allows (the package's dependencies and its test
# extra), resolved in a scratch environment. scripts/test.sh installs exactly these, so that a test run today and one
# next month use the same packages.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"${PYTHON:-python3}" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check hatchling "$here[test]"
{
  echo "# The versions scripts/test.sh installs; scripts/lock.sh rewrites this file."
  "$scratch/venv/bin/python" -m pip freeze --exclude learnloop
} >"$here/constraints.txt"
echo "lock: wrote $here/constraints.txt"
