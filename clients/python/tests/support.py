"""What the tests share: where the repository's contract files are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
"""The learnloop repository: the schemas, the shared test fixtures and the CLI the integration tests start."""


def read_json(relative: str) -> Any:
    return json.loads((REPO / relative).read_text(encoding="utf-8"))
