"""The package as `pip install` leaves it: what the tests import, its typing marker and its metadata."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import learnloop


def test_the_tests_run_against_the_installed_package_not_the_source_tree() -> None:
    assert "site-packages" in Path(learnloop.__file__).parts


def test_the_package_is_typed_and_ships_its_grpc_stubs() -> None:
    installed = Path(learnloop.__file__).parent
    assert (installed / "py.typed").is_file()
    assert (installed / "_generated" / "router_pb2.pyi").is_file()


def test_the_metadata_states_the_licence_and_the_dependencies() -> None:
    metadata = importlib.metadata.metadata("learnloop")
    assert metadata["License-Expression"] == "Apache-2.0"
    requires = " ".join(importlib.metadata.requires("learnloop") or [])
    for dependency in ("confluent-kafka[avro]", "grpcio", "httpx2", "protobuf", "mmh3"):
        assert dependency in requires
