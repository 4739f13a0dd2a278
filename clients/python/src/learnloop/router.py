"""Asking the router which version serves a run (docs/router.md), over HTTP or gRPC, with a fail-safe of the client's
own: whatever goes wrong (no answer in time, no connection, an error, an answer of the wrong shape, a bug here), the
run gets the live version the caller passed, untagged, and the reason is counted. ``assign`` never raises for
anything the router does; it raises ``ValueError`` only for arguments that could never be assigned (empty ids).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc
import httpx2

from learnloop._generated import router_pb2, router_pb2_grpc
from learnloop.assignment import (
    Assignment,
    AssignRequest,
    BadAnswer,
    FailSafeReason,
    fail_safe,
    from_grpc_answer,
    from_json_answer,
)

logger = logging.getLogger("learnloop.router")

Client = TypeVar("Client", bound="RouterClient")

DEFAULT_TIMEOUT = 0.1
"""Seconds. The router answers from memory in well under a millisecond; the timeout bounds what a stuck or distant
router can add to a run before the live version is served instead."""

_LOG_INTERVAL = 10.0
"""A router that is down fails every run: one warning per reason per interval, then the count of those not logged."""


class RouterFailure(Exception):
    """The router could not be asked, or refused: the run falls back to the live version."""

    def __init__(self, reason: FailSafeReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: FailSafeReason = reason
        self.detail = detail


def _required_id(name: str, value: object) -> str:
    if not isinstance(value, str) or value == "":
        raise ValueError(f"{name}: must be a non-empty string (got {value!r})")
    return value


class RouterClient(ABC):
    """What both transports share: argument checks, the fail-safe, its counters and its rate-limited warnings."""

    def __init__(self, *, timeout: float) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout: must be a positive number of seconds (got {timeout!r})")
        self.timeout = timeout
        self._lock = threading.Lock()
        self._fail_safes: Counter[FailSafeReason] = Counter()
        self._logged_at: dict[FailSafeReason, float] = {}
        self._unlogged: Counter[FailSafeReason] = Counter()

    def assign(self, *, agent_id: str, run_id: str, live_version_id: str, unit_id: str | None = None) -> Assignment:
        """Which version serves this run. ``unit_id`` is the stickiness unit (a user, a conversation); without one
        the run is its own unit. ``live_version_id`` is what to serve when the router cannot say."""
        if unit_id is not None and not isinstance(unit_id, str):
            raise ValueError(f"unit_id: must be a string or None (got {unit_id!r})")
        request = AssignRequest(
            agent_id=_required_id("agent_id", agent_id),
            run_id=_required_id("run_id", run_id),
            unit_id=unit_id or None,
            live_version_id=_required_id("live_version_id", live_version_id),
        )
        reason: FailSafeReason
        error: Exception | None = None
        try:
            return self._ask(request)
        except RouterFailure as failure:
            reason, detail = failure.reason, failure.detail
        except BadAnswer as bad:
            reason, detail = "bad_answer", str(bad)
        except Exception as unexpected:
            reason, detail, error = "internal_error", repr(unexpected), unexpected
        self._fell_back(reason, detail, error)
        return fail_safe(request, reason)

    @property
    def fail_safe_total(self) -> int:
        """Runs served the live version because of the client's fail-safe, since this client was made."""
        with self._lock:
            return sum(self._fail_safes.values())

    def fail_safe_counts(self) -> dict[FailSafeReason, int]:
        """The same, by reason."""
        with self._lock:
            return dict(self._fail_safes)

    def _fell_back(self, reason: FailSafeReason, detail: str, error: BaseException | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            self._fail_safes[reason] += 1
            last = self._logged_at.get(reason)
            if last is not None and now - last < _LOG_INTERVAL:
                self._unlogged[reason] += 1
                return
            self._logged_at[reason] = now
            unlogged = self._unlogged.pop(reason, 0)
        more = f" ({unlogged} more since the last warning)" if unlogged else ""
        logger.warning(
            "router fail-safe (%s): %s; serving the live version, untagged%s", reason, detail, more, exc_info=error
        )

    @abstractmethod
    def _ask(self, request: AssignRequest) -> Assignment:
        """The router's answer; raises RouterFailure or BadAnswer."""

    @abstractmethod
    def close(self) -> None:
        """Closes the connections."""

    def __enter__(self: Client) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class HttpRouterClient(RouterClient):
    """``POST /v1/assign`` through a pool of keep-alive connections (thread-safe: share one per process).

    ``url`` is the router's base URL, e.g. ``http://127.0.0.1:7070``. ``timeout`` (seconds) bounds connecting and
    waiting for the answer, each. ``token``: the router's ``LEARNLOOP_ROUTER_TOKEN``, if it has one.
    """

    def __init__(
        self, url: str, *, timeout: float = DEFAULT_TIMEOUT, token: str | None = None, max_connections: int = 20
    ) -> None:
        super().__init__(timeout=timeout)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = httpx2.Client(
            base_url=url,
            headers=headers,
            timeout=httpx2.Timeout(timeout),
            # Below Node's keep-alive timeout (5 s), so that a pooled connection is not reused as the router closes it.
            limits=httpx2.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=4.0
            ),
        )

    def _ask(self, request: AssignRequest) -> Assignment:
        body = {"agentId": request.agent_id, "runId": request.run_id, "unitId": request.unit_id}
        try:
            response = self._client.post("/v1/assign", json=body)
        except httpx2.TimeoutException as error:
            raise RouterFailure("timeout", f"no answer within {self.timeout} s ({type(error).__name__})") from error
        except httpx2.TransportError as error:
            raise RouterFailure("unreachable", f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise RouterFailure("rejected", f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            answer = response.json()
        except ValueError as error:
            raise BadAnswer(f"the body is not JSON: {response.text[:300]!r}") from error
        return from_json_answer(request, answer)

    def close(self) -> None:
        self._client.close()


class GrpcRouterClient(RouterClient):
    """``learnloop.router.v1.Router/Assign`` on one channel (thread-safe: share one per process).

    ``target`` is ``host:port``, e.g. ``127.0.0.1:7071``; ``timeout`` (seconds) is the call's deadline. Without
    ``credentials`` the channel is plaintext, as the sidecar serves it. A call on a channel that cannot connect fails
    at once instead of waiting for the deadline; the channel retries the connection within 5 s.
    """

    def __init__(
        self,
        target: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        token: str | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        super().__init__(timeout=timeout)
        # gRPC's reconnect backoff grows to 120 s by default: a router back after an outage would go unasked that long.
        channel_options = [
            ("grpc.initial_reconnect_backoff_ms", 500),
            ("grpc.max_reconnect_backoff_ms", 5000),
            *options,
        ]
        self._channel = (
            grpc.secure_channel(target, credentials, channel_options)
            if credentials is not None
            else grpc.insecure_channel(target, channel_options)
        )
        # The generated stub is untyped; its Assign takes and returns the typed messages of router_pb2.
        self._call = router_pb2_grpc.RouterStub(self._channel).Assign  # type: ignore[no-untyped-call]
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None

    def _ask(self, request: AssignRequest) -> Assignment:
        message = router_pb2.AssignRequest(agent_id=request.agent_id, run_id=request.run_id)
        if request.unit_id is not None:
            message.unit_id = request.unit_id
        try:
            answer = self._call(message, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            code = error.code()
            detail = f"{code.name}: {error.details()}"
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise RouterFailure("timeout", detail) from error
            if code == grpc.StatusCode.UNAVAILABLE:
                raise RouterFailure("unreachable", detail) from error
            raise RouterFailure("rejected", detail) from error
        return from_grpc_answer(request, answer)

    def close(self) -> None:
        self._channel.close()
