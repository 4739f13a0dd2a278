"""assign() against a running router-sidecar (docs/router.md): HTTP and gRPC give the same arm for the same unit, the
arm the hash implies; whatever goes wrong, the caller's live version, untagged and counted."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest
from integration.services import Router, Stack, World, eventually, start_router

from learnloop import Assignment, GrpcRouterClient, HttpRouterClient, RouterClient, bucket_of

LIVE = "v-live-from-the-caller"
# Generous: the machine running the tests is busy; the fail-safe tests set their own.
TIMEOUT = 5.0


@pytest.fixture
def clients(router: Router) -> Iterator[tuple[HttpRouterClient, GrpcRouterClient]]:
    with (
        HttpRouterClient(router.http_url, timeout=TIMEOUT) as http,
        GrpcRouterClient(router.grpc_target, timeout=TIMEOUT) as grpc,
    ):
        yield http, grpc


def enrolled(client: RouterClient, agent_id: str, experiment_id: str) -> Assignment:
    """Waits until the router has read the experiment's state and enrolls runs in it."""

    def probe() -> Assignment | None:
        a = client.assign(agent_id=agent_id, run_id="warm-up", live_version_id=LIVE)
        return a if a.experiment_id == experiment_id else None

    return eventually("the router enrolling runs in the experiment", probe)


def test_http_and_grpc_assign_each_unit_to_the_arm_its_bucket_gives(
    world: World, clients: tuple[HttpRouterClient, GrpcRouterClient]
) -> None:
    http, grpc = clients
    e = world.ab
    enrolled(http, e.agent_id, e.experiment_id)
    arms = set()
    for i in range(40):
        unit = f"user-{i}"
        by_http = http.assign(agent_id=e.agent_id, run_id=f"http-{i}", unit_id=unit, live_version_id=LIVE)
        by_grpc = grpc.assign(agent_id=e.agent_id, run_id=f"grpc-{i}", unit_id=unit, live_version_id=LIVE)
        # Candidate [0, 5000), measured baseline [5000, 10000): the split client-world.ts seeds.
        expected = "candidate" if bucket_of(e.salt, unit) < 5000 else "baseline"
        version = e.candidate_version_id if expected == "candidate" else e.baseline_version_id
        for a in (by_http, by_grpc):
            assert (a.arm, a.experiment_id, a.version_id, a.shadow, a.fail_safe) == (
                expected,
                e.experiment_id,
                version,
                None,
                None,
            ), unit
            assert a.unit_id == unit
        arms.add(expected)
    assert arms == {"baseline", "candidate"}
    assert http.fail_safe_total == grpc.fail_safe_total == 0


def test_a_shadowed_run_serves_the_baseline_and_names_the_shadow_over_both_transports(
    world: World, clients: tuple[HttpRouterClient, GrpcRouterClient]
) -> None:
    http, grpc = clients
    e = world.shadow
    enrolled(grpc, e.agent_id, e.experiment_id)
    for client in (http, grpc):
        a = client.assign(agent_id=e.agent_id, run_id=f"shadowed-{type(client).__name__}", live_version_id=LIVE)
        assert (a.arm, a.version_id, a.experiment_id) == ("baseline", e.baseline_version_id, e.experiment_id)
        assert a.shadow_run is not None
        assert (a.shadow_run.arm, a.shadow_run.agent_version_id, a.shadow_run.run_id) == (
            "shadow",
            e.candidate_version_id,
            a.run_id,
        )


def test_an_agent_the_router_never_heard_of_gets_the_callers_live_version_without_a_fail_safe(
    clients: tuple[HttpRouterClient, GrpcRouterClient],
) -> None:
    for client in clients:
        a = client.assign(agent_id="an-agent-nobody-runs", run_id="r-1", live_version_id=LIVE)
        assert (a.version_id, a.experiment_id, a.arm, a.fail_safe) == (LIVE, None, None, None)


def test_a_request_the_router_refuses_falls_back_and_is_counted(
    world: World, clients: tuple[HttpRouterClient, GrpcRouterClient]
) -> None:
    for client in clients:
        # The router refuses ids over 512 characters (400 / INVALID_ARGUMENT).
        a = client.assign(agent_id=world.ab.agent_id, run_id="r" * 600, live_version_id=LIVE)
        assert (a.version_id, a.experiment_id, a.arm, a.fail_safe) == (LIVE, None, None, "rejected")
        assert client.fail_safe_counts() == {"rejected": 1}


def test_a_router_that_stops_leaves_every_run_on_the_live_version_counted(
    stack: Stack, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    router = start_router(stack, world)
    try:
        http = HttpRouterClient(router.http_url, timeout=TIMEOUT)
        grpc = GrpcRouterClient(router.grpc_target, timeout=TIMEOUT)
        for client in (http, grpc):
            assert enrolled(client, world.ab.agent_id, world.ab.experiment_id).fail_safe is None
    finally:
        router.service.stop()
    for client in (http, grpc):
        for i in range(3):
            a = client.assign(agent_id=world.ab.agent_id, run_id=f"down-{i}", unit_id="user-1", live_version_id=LIVE)
            assert (a.version_id, a.experiment_id, a.arm, a.shadow, a.fail_safe) == (
                LIVE,
                None,
                None,
                None,
                "unreachable",
            )
        assert client.fail_safe_counts() == {"unreachable": 3}
        assert client.fail_safe_total == 3
        client.close()
    # One warning per client and reason, not one per run.
    warnings = [r for r in caplog.records if r.name == "learnloop.router"]
    assert [r.getMessage().split(":")[0] for r in warnings] == ["router fail-safe (unreachable)"] * 2


@pytest.fixture
def silent_peer() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung router."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_router_that_does_not_answer_in_time_falls_back_as_a_timeout(silent_peer: int) -> None:
    for client in (
        HttpRouterClient(f"http://127.0.0.1:{silent_peer}", timeout=0.2),
        GrpcRouterClient(f"127.0.0.1:{silent_peer}", timeout=0.2),
    ):
        with client:
            a = client.assign(agent_id="support-agent", run_id="r-1", live_version_id=LIVE)
            assert (a.version_id, a.arm, a.fail_safe) == (LIVE, None, "timeout")
            assert client.fail_safe_counts() == {"timeout": 1}


class _NotARouter(http.server.BaseHTTPRequestHandler):
    """Answers 200 with a body no router would send."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        body = b'{"agentId": "support-agent", "runId": "r-1", "versionId": "v-1", "arm": "winner"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_an_answer_of_the_wrong_shape_falls_back_as_a_bad_answer() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotARouter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with HttpRouterClient(f"http://127.0.0.1:{server.server_address[1]}", timeout=TIMEOUT) as client:
            a = client.assign(agent_id="support-agent", run_id="r-1", live_version_id=LIVE)
            assert (a.version_id, a.arm, a.experiment_id, a.fail_safe) == (LIVE, None, None, "bad_answer")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
