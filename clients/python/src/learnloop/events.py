"""The two events an agent service and its evaluators publish (docs/producers.md): their shape, how they are built
from a run's tags, and the checks Avro cannot make (non-empty ids, ranges, time order). Pure: no Kafka here.

The field names are the Avro schemas' (schemas/agent.run.completed.v1.avsc, schemas/agent.run.evaluated.v1.avsc);
tests/test_events.py checks them against those files.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, TypedDict

from learnloop.assignment import Arm, RunTags

RunStatus = Literal["succeeded", "failed", "timed_out", "cancelled"]
Severity = Literal["low", "medium", "high"]

RUN_COMPLETED_TOPIC = "agent.run.completed.v1"
RUN_EVALUATED_TOPIC = "agent.run.evaluated.v1"


class GuardrailHit(TypedDict):
    rule: str
    severity: Severity


class RunCompleted(TypedDict):
    eventId: str
    runId: str
    agentId: str
    agentVersionId: str
    experimentId: str | None
    arm: Arm | None
    status: RunStatus
    startedAt: datetime
    completedAt: datetime
    latencyMs: int
    costUsd: float
    inputTokens: int
    outputTokens: int
    toolCalls: int
    toolErrors: int
    guardrailHits: list[GuardrailHit]
    userFeedback: int | None
    unitId: str | None


"""``learnloop.v1.RunCompleted``, as sent: times are timezone-aware datetimes, truncated to milliseconds."""


class RunEvaluated(TypedDict):
    eventId: str
    runId: str
    agentId: str
    agentVersionId: str
    experimentId: str | None
    arm: Arm | None
    evaluatorId: str
    score: float
    passed: bool
    failureCategories: list[str]
    evaluatedAt: datetime


"""``learnloop.v1.RunEvaluated``, as sent."""


@dataclass(frozen=True)
class FieldProblem:
    """One field of an event and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class EventValidationError(ValueError):
    """An event that breaks the contract; nothing was sent. ``problems`` names each field at fault."""

    def __init__(self, topic: str, problems: Sequence[FieldProblem]) -> None:
        self.topic = topic
        self.problems = tuple(problems)
        super().__init__(f"invalid {topic} event: {'; '.join(str(p) for p in self.problems)}")


_INT_MAX = 2**31 - 1
_LONG_MAX = 2**63 - 1
_ARMS = ("baseline", "candidate", "shadow")
_STATUSES = ("succeeded", "failed", "timed_out", "cancelled")
_SEVERITIES = ("low", "medium", "high")

Check = Callable[[object], str | None]


def _non_empty_id(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a string (got {value!r})"
    return "must not be empty" if value == "" else None


def _optional_str(value: object) -> str | None:
    return None if value is None or isinstance(value, str) else f"must be a string or None (got {value!r})"


def _one_of(symbols: Sequence[str], optional: bool = False) -> Check:
    def check(value: object) -> str | None:
        if (optional and value is None) or value in symbols:
            return None
        return f"must be {', '.join(symbols)}{' or None' if optional else ''} (got {value!r})"

    return check


def _count(maximum: int) -> Check:
    def check(value: object) -> str | None:
        # bool is an int in Python; True as a token count is a mistake, not a 1.
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be an integer (got {value!r})"
        if value < 0:
            return f"must not be negative (got {value})"
        return f"must be at most {maximum} (got {value})" if value > maximum else None

    return check


def _non_negative_number(value: object) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return f"must be a number (got {value!r})"
    if not math.isfinite(value):
        return f"must be finite (got {value})"
    return f"must not be negative (got {value})" if value < 0 else None


def _score(value: object) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return f"must be a number (got {value!r})"
    return None if 0 <= value <= 1 else f"must be in [0, 1] (got {value})"


def _time(value: object) -> str | None:
    if not isinstance(value, datetime):
        return f"must be a datetime (got {value!r})"
    if value.tzinfo is None or value.utcoffset() is None:
        return f"must be timezone-aware (got the naive {value.isoformat()})"
    return None


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else f"must be True or False (got {value!r})"


def _feedback(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or value not in (-1, 0, 1):
        return f"must be -1, 0, 1 or None (got {value!r})"
    return None


def _strings(value: object) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of strings (got {value!r})"
    wrong = [v for v in value if not isinstance(v, str)]
    return f"must be a list of strings (got {wrong[0]!r} in it)" if wrong else None


def _guardrail_problems(value: object) -> list[FieldProblem]:
    if not isinstance(value, list):
        return [FieldProblem("guardrailHits", f"must be a list (got {value!r})")]
    problems: list[FieldProblem] = []
    for i, hit in enumerate(value):
        if not isinstance(hit, Mapping) or set(hit) != {"rule", "severity"}:
            problems.append(FieldProblem(f"guardrailHits.{i}", f"must have exactly rule and severity (got {hit!r})"))
            continue
        for field, check in (("rule", _non_empty_id), ("severity", _one_of(_SEVERITIES))):
            message = check(hit[field])
            if message:
                problems.append(FieldProblem(f"guardrailHits.{i}.{field}", message))
    return problems


_COMMON: dict[str, Check] = {
    "eventId": _non_empty_id,
    "runId": _non_empty_id,
    "agentId": _non_empty_id,
    "agentVersionId": _non_empty_id,
    "experimentId": _optional_str,
    "arm": _one_of(_ARMS, optional=True),
}

_RUN_COMPLETED: dict[str, Check] = {
    **_COMMON,
    "status": _one_of(_STATUSES),
    "startedAt": _time,
    "completedAt": _time,
    "latencyMs": _count(_LONG_MAX),
    "costUsd": _non_negative_number,
    "inputTokens": _count(_LONG_MAX),
    "outputTokens": _count(_LONG_MAX),
    "toolCalls": _count(_INT_MAX),
    "toolErrors": _count(_INT_MAX),
    "userFeedback": _feedback,
    "unitId": _optional_str,
}

_RUN_EVALUATED: dict[str, Check] = {
    **_COMMON,
    "evaluatorId": _non_empty_id,
    "score": _score,
    "passed": _boolean,
    "failureCategories": _strings,
    "evaluatedAt": _time,
}


def _field_problems(event: Mapping[str, object], checks: Mapping[str, Check], extra: set[str]) -> list[FieldProblem]:
    problems = [FieldProblem(name, "is not a field of this event") for name in sorted(set(event) - set(checks) - extra)]
    for name, check in checks.items():
        if name not in event:
            problems.append(FieldProblem(name, "is required"))
            continue
        message = check(event[name])
        if message:
            problems.append(FieldProblem(name, message))
    return problems


def run_completed_problems(event: Mapping[str, object]) -> list[FieldProblem]:
    """Everything wrong with a ``RunCompleted``; empty when it may be sent."""
    problems = _field_problems(event, _RUN_COMPLETED, {"guardrailHits"})
    problems += (
        _guardrail_problems(event["guardrailHits"])
        if "guardrailHits" in event
        else [FieldProblem("guardrailHits", "is required")]
    )
    started, completed = event.get("startedAt"), event.get("completedAt")
    if (
        isinstance(started, datetime)
        and isinstance(completed, datetime)
        and _time(started) is None
        and _time(completed) is None
        and completed < started
    ):
        problems.append(
            FieldProblem(
                "completedAt",
                f"must not be before startedAt (got {completed.isoformat()}, started {started.isoformat()})",
            )
        )
    return problems


def run_evaluated_problems(event: Mapping[str, object]) -> list[FieldProblem]:
    """Everything wrong with a ``RunEvaluated``; empty when it may be sent."""
    return _field_problems(event, _RUN_EVALUATED, set())


def _millis(value: object) -> object:
    """Avro's timestamp-millis keeps milliseconds: the event holds what the consumer will read. Anything but a
    datetime stays as it is, for the checks to name."""
    if not isinstance(value, datetime):
        return value
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _identity(run: RunTags, event_id: str | None) -> dict[str, object]:
    """The fields both events open with: the event, the run and the router's tags."""
    return {
        "eventId": event_id if event_id is not None else str(uuid.uuid4()),
        "runId": run.run_id,
        "agentId": run.agent_id,
        "agentVersionId": run.agent_version_id,
        "experimentId": run.experiment_id,
        "arm": run.arm,
    }


def _latency_ms(started_at: datetime, completed_at: datetime) -> int | None:
    if _time(started_at) or _time(completed_at):
        return None
    return max(0, round((completed_at - started_at).total_seconds() * 1000))


def _list(items: object) -> object:
    """A list of the items; a string or a non-sequence stays as it is, for the checks to name."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        return items
    return [dict(item) if isinstance(item, Mapping) else item for item in items]


def run_completed(
    run: RunTags,
    *,
    status: RunStatus,
    started_at: datetime,
    completed_at: datetime,
    cost_usd: float,
    input_tokens: int,
    output_tokens: int,
    tool_calls: int = 0,
    tool_errors: int = 0,
    guardrail_hits: Sequence[GuardrailHit] = (),
    user_feedback: int | None = None,
    latency_ms: int | None = None,
    event_id: str | None = None,
) -> RunCompleted:
    """The ``RunCompleted`` of a run, checked; raises ``EventValidationError`` naming each bad field.

    ``latency_ms`` defaults to ``completed_at - started_at``; ``event_id`` to a new UUID (a retry of the same event
    must pass the same one: consumers deduplicate on it).
    """
    event = {
        **_identity(run, event_id),
        "status": status,
        "startedAt": _millis(started_at),
        "completedAt": _millis(completed_at),
        "latencyMs": latency_ms if latency_ms is not None else _latency_ms(started_at, completed_at),
        "costUsd": cost_usd,
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "toolCalls": tool_calls,
        "toolErrors": tool_errors,
        "guardrailHits": _list(guardrail_hits),
        "userFeedback": user_feedback,
        "unitId": run.unit_id,
    }
    problems = run_completed_problems(event)
    if problems:
        raise EventValidationError(RUN_COMPLETED_TOPIC, problems)
    return event  # type: ignore[return-value]


def run_evaluated(
    run: RunTags,
    *,
    evaluator_id: str,
    score: float,
    passed: bool,
    failure_categories: Sequence[str] = (),
    evaluated_at: datetime | None = None,
    event_id: str | None = None,
) -> RunEvaluated:
    """The ``RunEvaluated`` of an evaluation, checked; raises ``EventValidationError`` naming each bad field.

    ``evaluated_at`` defaults to now; ``event_id`` to a new UUID.
    """
    at = evaluated_at if evaluated_at is not None else datetime.now(timezone.utc)
    event = {
        **_identity(run, event_id),
        "evaluatorId": evaluator_id,
        "score": score,
        "passed": passed,
        "failureCategories": _list(failure_categories),
        "evaluatedAt": _millis(at),
    }
    problems = run_evaluated_problems(event)
    if problems:
        raise EventValidationError(RUN_EVALUATED_TOPIC, problems)
    return event  # type: ignore[return-value]
