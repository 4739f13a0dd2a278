"""The events' shape and the checks Avro cannot make (docs/producers.md): each bad field is named, nothing is built."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, get_type_hints

import pytest
from support import read_json

from learnloop import EventValidationError, RunCompleted, RunEvaluated, RunTags, run_completed, run_evaluated
from learnloop.events import FieldProblem, run_completed_problems, run_evaluated_problems

RUN = RunTags(
    agent_id="support-agent",
    run_id="run-8c1f",
    agent_version_id="v-13",
    experiment_id="exp-1",
    arm="candidate",
    unit_id="user-7",
)
STARTED = datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=timezone.utc)


def completed(**overrides: Any) -> RunCompleted:
    facts: dict[str, Any] = {
        "status": "succeeded",
        "started_at": STARTED,
        "completed_at": STARTED + timedelta(seconds=2),
        "cost_usd": 0.0042,
        "input_tokens": 1200,
        "output_tokens": 310,
        "tool_calls": 3,
        "tool_errors": 0,
        "guardrail_hits": [{"rule": "pii-output", "severity": "low"}],
        "event_id": "e-1",
    }
    return run_completed(RUN, **{**facts, **overrides})


def evaluated(**overrides: Any) -> RunEvaluated:
    facts: dict[str, Any] = {
        "evaluator_id": "llm-judge-v3",
        "score": 0.82,
        "passed": True,
        "failure_categories": [],
        "evaluated_at": STARTED + timedelta(minutes=1),
        "event_id": "e-2",
    }
    return run_evaluated(RUN, **{**facts, **overrides})


@pytest.mark.parametrize(
    ("schema", "event_type"),
    [("schemas/agent.run.completed.v1.avsc", RunCompleted), ("schemas/agent.run.evaluated.v1.avsc", RunEvaluated)],
)
def test_the_event_types_have_the_schemas_fields(schema: str, event_type: type) -> None:
    avro = read_json(schema)
    assert list(get_type_hints(event_type)) == [field["name"] for field in avro["fields"]]


def test_a_run_completed_carries_the_tags_and_facts_it_was_given() -> None:
    event = completed()
    assert event == {
        "eventId": "e-1",
        "runId": "run-8c1f",
        "agentId": "support-agent",
        "agentVersionId": "v-13",
        "experimentId": "exp-1",
        "arm": "candidate",
        "status": "succeeded",
        # Avro's timestamp-millis: the event holds what a consumer will read back.
        "startedAt": datetime(2026, 11, 24, 12, 0, 0, 123000, tzinfo=timezone.utc),
        "completedAt": datetime(2026, 11, 24, 12, 0, 2, 123000, tzinfo=timezone.utc),
        "latencyMs": 2000,
        "costUsd": 0.0042,
        "inputTokens": 1200,
        "outputTokens": 310,
        "toolCalls": 3,
        "toolErrors": 0,
        "guardrailHits": [{"rule": "pii-output", "severity": "low"}],
        "userFeedback": None,
        "unitId": "user-7",
    }


def test_defaults_a_fresh_event_id_and_the_latency_between_the_times() -> None:
    a = run_completed(
        RUN,
        status="failed",
        started_at=STARTED,
        completed_at=STARTED + timedelta(milliseconds=1500),
        cost_usd=0,
        input_tokens=0,
        output_tokens=0,
    )
    b = run_completed(
        RUN, status="failed", started_at=STARTED, completed_at=STARTED, cost_usd=0, input_tokens=0, output_tokens=0
    )
    assert a["latencyMs"] == 1500
    assert a["eventId"] != b["eventId"]
    assert len(a["eventId"]) == 36


def test_an_untagged_run_has_null_tags() -> None:
    untagged = RunTags(agent_id="support-agent", run_id="run-1", agent_version_id="v-12")
    event = run_evaluated(untagged, evaluator_id="llm-judge-v3", score=1, passed=True)
    assert (event["experimentId"], event["arm"], event["failureCategories"]) == (None, None, [])
    assert event["evaluatedAt"].tzinfo is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cost_usd": -0.01}, "costUsd: must not be negative (got -0.01)"),
        ({"cost_usd": float("nan")}, "costUsd: must be finite (got nan)"),
        ({"cost_usd": "0.01"}, "costUsd: must be a number (got '0.01')"),
        ({"input_tokens": -1}, "inputTokens: must not be negative (got -1)"),
        ({"output_tokens": 2.5}, "outputTokens: must be an integer (got 2.5)"),
        ({"tool_calls": True}, "toolCalls: must be an integer (got True)"),
        ({"tool_errors": 2**31}, "toolErrors: must be at most 2147483647 (got 2147483648)"),
        ({"latency_ms": -5}, "latencyMs: must not be negative (got -5)"),
        ({"status": "ok"}, "status: must be succeeded, failed, timed_out, cancelled (got 'ok')"),
        ({"user_feedback": 2}, "userFeedback: must be -1, 0, 1 or None (got 2)"),
        ({"event_id": ""}, "eventId: must not be empty"),
        (
            {"completed_at": STARTED - timedelta(seconds=1)},
            "completedAt: must not be before startedAt (got 2026-11-24T11:59:59.123000+00:00, "
            "started 2026-11-24T12:00:00.123000+00:00)",
        ),
        (
            {"started_at": datetime(2026, 11, 24, 12, 0, 0)},
            "startedAt: must be timezone-aware (got the naive 2026-11-24T12:00:00)",
        ),
        ({"started_at": 1764000000000}, "startedAt: must be a datetime (got 1764000000000)"),
        ({"guardrail_hits": [{"rule": "pii", "severity": "fatal"}]}, "guardrailHits.0.severity: must be low, medium"),
        ({"guardrail_hits": [{"rule": ""}]}, "guardrailHits.0: must have exactly rule and severity"),
        ({"guardrail_hits": "pii"}, "guardrailHits: must be a list (got 'pii')"),
    ],
)
def test_a_bad_run_completed_names_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(EventValidationError) as raised:
        completed(**overrides)
    assert str(raised.value).startswith("invalid agent.run.completed.v1 event: ")
    assert message in str(raised.value)
    assert raised.value.topic == "agent.run.completed.v1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"score": 1.01}, "score: must be in [0, 1] (got 1.01)"),
        ({"score": -0.1}, "score: must be in [0, 1] (got -0.1)"),
        ({"score": float("nan")}, "score: must be in [0, 1] (got nan)"),
        ({"score": None}, "score: must be a number (got None)"),
        ({"passed": 1}, "passed: must be True or False (got 1)"),
        ({"evaluator_id": ""}, "evaluatorId: must not be empty"),
        ({"failure_categories": "wrong_tool"}, "failureCategories: must be a list of strings (got 'wrong_tool')"),
        ({"failure_categories": ["wrong_tool", 3]}, "failureCategories: must be a list of strings (got 3 in it)"),
        ({"evaluated_at": datetime(2026, 11, 24)}, "evaluatedAt: must be timezone-aware"),
    ],
)
def test_a_bad_run_evaluated_names_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(EventValidationError) as raised:
        evaluated(**overrides)
    assert str(raised.value).startswith("invalid agent.run.evaluated.v1 event: ")
    assert message in str(raised.value)


def test_empty_tags_from_a_hand_made_run_are_refused() -> None:
    with pytest.raises(EventValidationError) as raised:
        run_evaluated(
            RunTags(agent_id="", run_id="", agent_version_id="v", arm="winner"),  # type: ignore[arg-type]
            evaluator_id="e",
            score=0.5,
            passed=True,
        )
    assert [p.field for p in raised.value.problems] == ["runId", "agentId", "arm"]


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(EventValidationError) as raised:
        completed(cost_usd=-1, input_tokens=-1, status="bad")
    assert [p.field for p in raised.value.problems] == ["status", "costUsd", "inputTokens"]


def test_the_checks_name_missing_and_unknown_fields() -> None:
    event: dict[str, object] = dict(evaluated())
    del event["score"]
    event["scores"] = 0.5
    assert run_evaluated_problems(event) == [
        FieldProblem("scores", "is not a field of this event"),
        FieldProblem("score", "is required"),
    ]
    run: dict[str, object] = dict(completed())
    del run["guardrailHits"]
    assert run_completed_problems(run) == [FieldProblem("guardrailHits", "is required")]


def test_a_valid_event_has_no_problems() -> None:
    assert run_completed_problems(dict(completed())) == []
    assert run_evaluated_problems(dict(evaluated())) == []
    assert run_completed_problems(dict(completed(user_feedback=-1, cost_usd=0, status="timed_out"))) == []
