"""learnloop's services and a world of their own on the real stack, for the integration tests (see conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from support import REPO

T = TypeVar("T")


@dataclass(frozen=True)
class Stack:
    brokers: str
    registry_url: str
    database_url: str
    node: str


@dataclass(frozen=True)
class Experiment:
    agent_id: str
    experiment_id: str
    baseline_version_id: str
    candidate_version_id: str
    salt: str


@dataclass(frozen=True)
class World:
    """This test run's topic prefix and database, and the experiments seeded in it (test/fixtures/client-world.ts)."""

    prefix: str
    database_url: str
    ab: Experiment
    shadow: Experiment
    spare_shadow: Experiment
    """Another shadow experiment, for a test whose runs must not change the counts the others check."""


def node(stack: Stack, *args: str) -> str:
    """Runs a Node script of the repository to completion; its standard output."""
    done = subprocess.run(
        [stack.node, "--disable-warning=TimeoutNegativeWarning", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"node {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
    return done.stdout


def make_world(stack: Stack) -> World:
    made = json.loads(node(stack, "test/fixtures/client-world.ts", "setup", "ab", "shadow", "shadow"))

    def experiment(seed: dict[str, Any]) -> Experiment:
        return Experiment(
            agent_id=seed["agentId"],
            experiment_id=seed["experimentId"],
            baseline_version_id=seed["baselineVersionId"],
            candidate_version_id=seed["candidateVersionId"],
            salt=seed["salt"],
        )

    return World(
        prefix=made["prefix"],
        database_url=made["databaseUrl"],
        ab=experiment(made["experiments"][0]),
        shadow=experiment(made["experiments"][1]),
        spare_shadow=experiment(made["experiments"][2]),
    )


def delete_world(stack: Stack, world: World) -> None:
    node(stack, "test/fixtures/client-world.ts", "teardown", world.prefix, world.database_url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Service:
    """``learnloop run <name>`` as a process of its own on the world's topics and database, returned once its
    /readyz answers 200."""

    def __init__(self, stack: Stack, world: World, name: str, env: dict[str, str]) -> None:
        self.name = name
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop(): it outlives this call)
        metrics_port = free_port()
        self.process = subprocess.Popen(
            [stack.node, "--disable-warning=TimeoutNegativeWarning", "bin/learnloop.js", "run", name],
            cwd=REPO,
            env={
                **os.environ,
                "DATABASE_URL": world.database_url,
                "LEARNLOOP_TOPIC_PREFIX": world.prefix,
                "LEARNLOOP_METRICS_PORT": str(metrics_port),
                "LEARNLOOP_LOG_LEVEL": "warn",
                # A stopped member's partitions move on in seconds, not the production default of 30.
                "LEARNLOOP_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "LEARNLOOP_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                **env,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while not self._ready(metrics_port):
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise RuntimeError(f"{name} not ready within 90 s:\n{output}")
            time.sleep(0.2)

    @staticmethod
    def _ready(port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; killed if it has not exited within 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass(frozen=True)
class Router:
    http_url: str
    grpc_target: str
    service: Service


def start_router(stack: Stack, world: World) -> Router:
    http_port, grpc_port = free_port(), free_port()
    service = Service(
        stack,
        world,
        "router-sidecar",
        {"LEARNLOOP_ROUTER_HTTP_PORT": str(http_port), "LEARNLOOP_ROUTER_GRPC_PORT": str(grpc_port)},
    )
    return Router(http_url=f"http://127.0.0.1:{http_port}", grpc_target=f"127.0.0.1:{grpc_port}", service=service)


def eventually(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    """Polls ``probe`` until it returns something other than None."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)
