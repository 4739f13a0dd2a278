"""What every test shares: where the repository's contract files are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
"""The learnloop repository: the schemas, the shared test fixtures and the CLI the integration tests start."""


def read_json(relative: str) -> Any:
    return json.loads((REPO / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def hash_vectors() -> dict[str, Any]:
    vectors: dict[str, Any] = read_json("test/fixtures/router/hash-vectors.json")
    return vectors
