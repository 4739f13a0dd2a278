"""The events the client builds against the contract's schemas (schemas/*.avsc in the repository), through fastavro:
the Avro encoder confluent-kafka's AvroSerializer uses. What goes in comes out, field for field."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import read_json

from learnloop import RunTags, run_completed, run_evaluated


def round_trip(schema_file: str, event: Any) -> Any:
    schema = fastavro.parse_schema(read_json(schema_file))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, event)
    buffer.seek(0)
    return fastavro.schemaless_reader(buffer, schema, schema)


tags = st.builds(
    RunTags,
    agent_id=st.text(min_size=1),
    run_id=st.text(min_size=1),
    agent_version_id=st.text(min_size=1),
    experiment_id=st.one_of(st.none(), st.text(min_size=1)),
    arm=st.sampled_from([None, "baseline", "candidate", "shadow"]),
    unit_id=st.one_of(st.none(), st.text()),
)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))
counts = st.integers(min_value=0, max_value=2**31 - 1)


@given(
    tags,
    times,
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["succeeded", "failed", "timed_out", "cancelled"]),
    st.floats(min_value=0, max_value=1e6),
    counts,
    counts,
    st.lists(st.tuples(st.text(min_size=1), st.sampled_from(["low", "medium", "high"])), max_size=3),
    st.sampled_from([None, -1, 0, 1]),
)
def test_run_completed_round_trips(
    run: RunTags,
    started: datetime,
    duration_ms: int,
    status: Any,
    cost: float,
    tokens: int,
    calls: int,
    hits: list[tuple[str, Any]],
    feedback: int | None,
) -> None:
    event = run_completed(
        run,
        status=status,
        started_at=started,
        completed_at=started + timedelta(milliseconds=duration_ms),
        cost_usd=cost,
        input_tokens=tokens,
        output_tokens=tokens,
        tool_calls=calls,
        tool_errors=calls,
        guardrail_hits=[{"rule": rule, "severity": severity} for rule, severity in hits],
        user_feedback=feedback,
    )
    assert round_trip("schemas/agent.run.completed.v1.avsc", event) == event


@given(
    tags,
    st.floats(min_value=0, max_value=1),
    st.booleans(),
    st.lists(st.text(), max_size=3),
    times,
)
def test_run_evaluated_round_trips(
    run: RunTags, score: float, passed: bool, categories: list[str], at: datetime
) -> None:
    event = run_evaluated(
        run, evaluator_id="llm-judge-v3", score=score, passed=passed, failure_categories=categories, evaluated_at=at
    )
    assert round_trip("schemas/agent.run.evaluated.v1.avsc", event) == event


def test_a_time_in_another_zone_is_the_same_instant_after_the_round_trip() -> None:
    paris = timezone(timedelta(hours=1))
    run = RunTags(agent_id="a", run_id="r", agent_version_id="v")
    event = run_evaluated(
        run, evaluator_id="e", score=0.5, passed=True, evaluated_at=datetime(2026, 1, 1, 12, tzinfo=paris)
    )
    decoded = round_trip("schemas/agent.run.evaluated.v1.avsc", event)
    assert decoded["evaluatedAt"] == datetime(2026, 1, 1, 11, tzinfo=timezone.utc)


@pytest.mark.parametrize("schema_file", ["schemas/agent.run.completed.v1.avsc", "schemas/agent.run.evaluated.v1.avsc"])
def test_the_schemas_are_the_contract_the_docs_describe(schema_file: str) -> None:
    # The client writes with the registry's latest version of these; the arm enum is the one it fills in.
    arm = next(f for f in read_json(schema_file)["fields"] if f["name"] == "arm")
    assert arm["type"][1]["symbols"] == ["baseline", "candidate", "shadow"]
