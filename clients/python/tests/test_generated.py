"""The committed gRPC stubs are what scripts/generate-grpc.sh makes from schemas/router.proto today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import REPO

PACKAGE = REPO / "clients" / "python"


def test_the_committed_stubs_are_up_to_date(tmp_path: Path) -> None:
    subprocess.run(
        [str(PACKAGE / "scripts" / "generate-grpc.sh"), str(tmp_path)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    committed = PACKAGE / "src" / "learnloop" / "_generated"
    for name in ("router_pb2.py", "router_pb2.pyi", "router_pb2_grpc.py"):
        fresh = tmp_path / "learnloop" / "_generated" / name
        assert fresh.read_text() == (committed / name).read_text(), (
            f"{name} is stale: run clients/python/scripts/generate-grpc.sh"
        )
