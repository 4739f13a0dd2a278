"""The real stack for the integration tests: Kafka, the schema registry and Postgres named by the environment, and
learnloop's own services started as processes, in a world of this run's own: a topic prefix and a database made
before the tests and deleted after them (test/fixtures/client-world.ts)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from integration.services import Router, Service, Stack, World, delete_world, make_world, start_router

CONNECTION = ("KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "DATABASE_URL")


@pytest.fixture(scope="session")
def stack() -> Stack:
    missing = [name for name in CONNECTION if not os.environ.get(name)]
    if missing:
        pytest.skip(
            f"the integration tests need the real stack: {', '.join(missing)} not set "
            "(`learnloop stack up` starts one and prints the variables; .ci/run sets them)"
        )
    node = shutil.which("node")
    if node is None:
        pytest.fail("the integration tests start learnloop's services with Node, and there is none on PATH")
    return Stack(
        brokers=os.environ["KAFKA_BROKERS"],
        registry_url=os.environ["SCHEMA_REGISTRY_URL"],
        database_url=os.environ["DATABASE_URL"],
        node=node,
    )


@pytest.fixture(scope="session")
def world(stack: Stack) -> Iterator[World]:
    made = make_world(stack)
    yield made
    delete_world(stack, made)


@pytest.fixture(scope="session")
def router(stack: Stack, world: World) -> Iterator[Router]:
    running = start_router(stack, world)
    yield running
    running.service.stop()


@pytest.fixture(scope="session")
def judge(stack: Stack, world: World) -> Iterator[Service]:
    running = Service(stack, world, "experiment-judge", {})
    yield running
    running.stop()
