from __future__ import annotations

from typing import Any

import pytest
from support import read_json


@pytest.fixture(scope="session")
def hash_vectors() -> dict[str, Any]:
    vectors: dict[str, Any] = read_json("test/fixtures/router/hash-vectors.json")
    return vectors
