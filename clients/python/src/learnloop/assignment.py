"""What the router answers, as plain values, and the pure rules that read its answers (docs/router.md, API).

Nothing here does I/O: the transports in ``router.py`` hand these functions what they received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from learnloop._generated import router_pb2

Arm = Literal["baseline", "candidate", "shadow"]
"""Which side of an experiment a run belongs to (the Avro enum ``learnloop.v1.Arm``)."""

AssignedArm = Literal["baseline", "candidate"]
"""The arms the router assigns a served run to; ``shadow`` is only ever a second, unserved execution."""

FailSafeReason = Literal["timeout", "unreachable", "rejected", "bad_answer", "internal_error"]
"""Why the client served the caller's live version without asking the router's opinion:

- ``timeout``: no answer within the client's timeout;
- ``unreachable``: no connection (the router is down, or the address is wrong);
- ``rejected``: the router answered with an error (a bad request, a wrong token, a server error);
- ``bad_answer``: the answer does not have the documented shape;
- ``internal_error``: an exception in the client itself (a bug; logged with its traceback).
"""


@dataclass(frozen=True)
class ShadowTarget:
    """The version to run as a shadow on the same input, never served, reported with arm ``shadow``."""

    version_id: str
    experiment_id: str


@dataclass(frozen=True)
class RunTags:
    """Which run an event is about and the router's tags for it: what ``report_run`` and ``report_evaluation`` copy
    onto the events. A run is identified by (``run_id``, ``arm``): a shadow execution shares its baseline's run id.
    An evaluator that scores runs it did not assign builds one from the run's completed event."""

    agent_id: str
    run_id: str
    agent_version_id: str
    experiment_id: str | None = None
    arm: Arm | None = None
    unit_id: str | None = None


@dataclass(frozen=True)
class Assignment:
    """Which version serves a run, and how to report it.

    ``version_id`` is the version to serve: the router's answer, or the caller's live version when the router knows
    no version for the agent or when the client fell back (``fail_safe`` then says why; no tags). ``experiment_id``
    and ``arm`` are set when the run is enrolled in an experiment. ``shadow`` is set when the candidate should also
    run on the same input, unserved.
    """

    agent_id: str
    run_id: str
    unit_id: str | None
    version_id: str
    experiment_id: str | None = None
    arm: AssignedArm | None = None
    shadow: ShadowTarget | None = None
    fail_safe: FailSafeReason | None = None

    @property
    def run(self) -> RunTags:
        """The served run's identity and tags."""
        return RunTags(
            agent_id=self.agent_id,
            run_id=self.run_id,
            agent_version_id=self.version_id,
            experiment_id=self.experiment_id,
            arm=self.arm,
            unit_id=self.unit_id,
        )

    @property
    def shadow_run(self) -> RunTags | None:
        """The shadow execution's identity and tags: the same run id, arm ``shadow``, the shadow's version."""
        if self.shadow is None:
            return None
        return RunTags(
            agent_id=self.agent_id,
            run_id=self.run_id,
            agent_version_id=self.shadow.version_id,
            experiment_id=self.shadow.experiment_id,
            arm="shadow",
            unit_id=self.unit_id,
        )


@dataclass(frozen=True)
class AssignRequest:
    agent_id: str
    run_id: str
    unit_id: str | None
    live_version_id: str


class BadAnswer(Exception):
    """The router's answer does not have the documented shape; the message says what was wrong."""


def fail_safe(request: AssignRequest, reason: FailSafeReason) -> Assignment:
    """The caller's live version, untagged."""
    return Assignment(
        agent_id=request.agent_id,
        run_id=request.run_id,
        unit_id=request.unit_id,
        version_id=request.live_version_id,
        fail_safe=reason,
    )


def _optional_str(answer: Mapping[str, object], field: str) -> str | None:
    value = answer.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise BadAnswer(f"{field}: must be a non-empty string or null (got {value!r})")
    return value


def assignment_of(
    request: AssignRequest,
    *,
    version_id: str | None,
    experiment_id: str | None,
    arm: str | None,
    shadow: ShadowTarget | None,
) -> Assignment:
    """The assignment an answer gives, after the checks both transports share: tags come together, an enrolled run
    has a version, a shadow only goes with a served baseline."""
    if arm is not None and arm not in ("baseline", "candidate"):
        raise BadAnswer(f"arm: must be baseline, candidate or null (got {arm!r})")
    if (arm is None) != (experiment_id is None):
        raise BadAnswer(f"experimentId and arm must be set together (got {experiment_id!r} and {arm!r})")
    if arm is not None and version_id is None:
        raise BadAnswer("versionId: an enrolled run must have a version")
    if shadow is not None and arm != "baseline":
        raise BadAnswer(f"shadow: only a run served the baseline has a shadow (arm {arm!r})")
    return Assignment(
        agent_id=request.agent_id,
        run_id=request.run_id,
        unit_id=request.unit_id,
        version_id=version_id if version_id is not None else request.live_version_id,
        experiment_id=experiment_id,
        arm="baseline" if arm == "baseline" else "candidate" if arm == "candidate" else None,
        shadow=shadow,
    )


def from_json_answer(request: AssignRequest, answer: object) -> Assignment:
    """Reads ``POST /v1/assign``'s 200 body (parsed JSON)."""
    if not isinstance(answer, dict):
        raise BadAnswer(f"the body must be a JSON object (got {type(answer).__name__})")
    for field, expected in (("agentId", request.agent_id), ("runId", request.run_id)):
        if answer.get(field) != expected:
            raise BadAnswer(f"{field}: answers {answer.get(field)!r} to a request for {expected!r}")
    raw_arm = answer.get("arm")
    if raw_arm is not None and not isinstance(raw_arm, str):
        raise BadAnswer(f"arm: must be a string or null (got {raw_arm!r})")
    raw_shadow = answer.get("shadow")
    shadow: ShadowTarget | None = None
    if raw_shadow is not None:
        if not isinstance(raw_shadow, dict):
            raise BadAnswer(f"shadow: must be an object or null (got {raw_shadow!r})")
        shadow_version = _optional_str(raw_shadow, "versionId")
        shadow_experiment = _optional_str(raw_shadow, "experimentId")
        if shadow_version is None or shadow_experiment is None:
            raise BadAnswer(f"shadow: needs versionId and experimentId (got {raw_shadow!r})")
        shadow = ShadowTarget(version_id=shadow_version, experiment_id=shadow_experiment)
    return assignment_of(
        request,
        version_id=_optional_str(answer, "versionId"),
        experiment_id=_optional_str(answer, "experimentId"),
        arm=raw_arm,
        shadow=shadow,
    )


_grpc_arms: Mapping[int, str | None] = {
    router_pb2.ARM_UNSPECIFIED: None,
    router_pb2.ARM_BASELINE: "baseline",
    router_pb2.ARM_CANDIDATE: "candidate",
}


def from_grpc_answer(request: AssignRequest, answer: router_pb2.AssignResponse) -> Assignment:
    """Reads ``learnloop.router.v1.Router/Assign``'s response: unset fields are the JSON API's nulls."""
    for field, got, expected in (
        ("agent_id", answer.agent_id, request.agent_id),
        ("run_id", answer.run_id, request.run_id),
    ):
        if got != expected:
            raise BadAnswer(f"{field}: answers {got!r} to a request for {expected!r}")
    if answer.arm not in _grpc_arms:
        raise BadAnswer(f"arm: unknown value {answer.arm}")
    shadow: ShadowTarget | None = None
    if answer.HasField("shadow"):
        if answer.shadow.version_id == "" or answer.shadow.experiment_id == "":
            raise BadAnswer("shadow: needs version_id and experiment_id")
        shadow = ShadowTarget(version_id=answer.shadow.version_id, experiment_id=answer.shadow.experiment_id)
    version_id = answer.version_id if answer.HasField("version_id") else None
    experiment_id = answer.experiment_id if answer.HasField("experiment_id") else None
    if version_id == "" or experiment_id == "":
        raise BadAnswer("version_id and experiment_id: must not be empty when set")
    return assignment_of(
        request, version_id=version_id, experiment_id=experiment_id, arm=_grpc_arms[answer.arm], shadow=shadow
    )
