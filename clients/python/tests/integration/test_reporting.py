"""Reporting against the real stack: both events for each arm reach Kafka in the Confluent wire format with the
router's tags, and the experiment judge counts them, arm by arm, in its tables (docs/producers.md)."""

from __future__ import annotations

import itertools
import socket
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from integration.services import Router, Service, Stack, World, eventually

from learnloop import (
    Assignment,
    DeliveryError,
    Evaluation,
    EventValidationError,
    GrpcRouterClient,
    HttpRouterClient,
    RegistryError,
    ReportStats,
    RunCompleted,
    RunEvaluated,
    RunOutcome,
    RunReporter,
    run_shadow,
)

LIVE = "v-live-from-the-caller"


@pytest.fixture(scope="module")
def reporter(stack: Stack, world: World) -> Iterator[RunReporter]:
    with RunReporter(brokers=stack.brokers, registry_url=stack.registry_url, topic_prefix=world.prefix) as made:
        yield made


@pytest.fixture(scope="module")
def sent(router: Router, judge: Service, reporter: RunReporter, world: World) -> dict[str, list[Any]]:
    """What an agent runtime and its evaluator report for 16 A/B runs and 6 shadowed runs, half of the assignments
    over HTTP and half over gRPC; the judge is running while they arrive."""
    events: dict[str, list[Any]] = {"completed": [], "evaluated": [], "assignments": []}
    clients = (HttpRouterClient(router.http_url, timeout=5.0), GrpcRouterClient(router.grpc_target, timeout=5.0))
    transports = itertools.cycle(clients)

    def assign(agent_id: str, experiment_id: str, run_id: str, unit_id: str | None) -> Assignment:
        client = next(transports)
        # The router enrolls once it has read the states client-world.ts published.
        return eventually(
            "an enrolled assignment",
            lambda: (
                a
                if (
                    a := client.assign(agent_id=agent_id, run_id=run_id, unit_id=unit_id, live_version_id=LIVE)
                ).experiment_id
                == experiment_id
                else None
            ),
        )

    def report(a: Assignment, score: float) -> None:
        now = datetime.now(timezone.utc)
        events["completed"].append(
            reporter.report_run(
                a,
                status="succeeded",
                started_at=now - timedelta(milliseconds=800),
                completed_at=now,
                cost_usd=0.004,
                input_tokens=500,
                output_tokens=200,
                tool_calls=1,
                guardrail_hits=[{"rule": "pii-output", "severity": "low"}],
            )
        )
        events["evaluated"].append(
            reporter.report_evaluation(a, evaluator_id="llm-judge-v3", score=score, passed=score >= 0.5)
        )

    for i in range(16):
        a = assign(world.ab.agent_id, world.ab.experiment_id, f"ab-run-{i}", f"user-{i}")
        events["assignments"].append(a)
        report(a, 0.6 if a.arm == "baseline" else 0.7)

    def execute(input_text: str) -> Any:
        def run(version_id: str) -> RunOutcome[str]:
            if input_text.endswith("-5"):
                raise RuntimeError("the candidate crashed on this input")
            return RunOutcome(output=f"{version_id} answers {input_text}", cost_usd=0.005, input_tokens=510)

        return run

    def evaluate(output: str) -> Evaluation:
        assert output.endswith(("-0", "-1", "-2", "-3", "-4")), output
        return Evaluation(evaluator_id="llm-judge-v3", score=0.8, passed=True)

    for i in range(6):
        a = assign(world.shadow.agent_id, world.shadow.experiment_id, f"shadow-run-{i}", None)
        events["assignments"].append(a)
        report(a, 0.6)
        shadow = run_shadow(reporter, a, execute(f"input-{i}"), evaluate)
        assert shadow is not None
        events["completed"].append(shadow.completed)
        if shadow.evaluated is not None:
            events["evaluated"].append(shadow.evaluated)
    reporter.flush()
    for client in clients:
        assert client.fail_safe_total == 0
        client.close()
    return events


def arm_counts(events: list[Any], experiment_id: str) -> Counter[str]:
    return Counter(e["arm"] for e in events if e["experimentId"] == experiment_id)


def test_the_runs_cover_every_arm(sent: dict[str, list[Any]], world: World) -> None:
    ab = arm_counts(sent["completed"], world.ab.experiment_id)
    assert ab["baseline"] > 0
    assert ab["candidate"] > 0
    assert ab["baseline"] + ab["candidate"] == 16
    assert arm_counts(sent["completed"], world.shadow.experiment_id) == {"baseline": 6, "shadow": 6}
    # The crashed shadow execution is reported as a failed run, and not evaluated.
    shadows = [e for e in sent["completed"] if e["arm"] == "shadow"]
    assert Counter(e["status"] for e in shadows) == {"succeeded": 5, "failed": 1}
    assert arm_counts(sent["evaluated"], world.shadow.experiment_id) == {"baseline": 6, "shadow": 5}


def judge_counts(database_url: str, experiment_id: str) -> dict[str, Any]:
    """The judge's per-arm counts (judge_experiments.state): completions counted (the failure measure has one value
    per completed run) and evaluations counted (score), and the observations it ignored, by reason."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT state FROM judge_experiments WHERE experiment_id = %s", (experiment_id,)
        ).fetchone()
    if row is None:
        return {}
    statistics = row[0]["statistics"]
    return {
        arm: {"completed": statistics[arm]["failure"]["n"], "evaluated": statistics[arm]["score"]["n"]}
        for arm in ("baseline", "candidate")
    } | {"ignored": row[0]["ignored"]}


@pytest.mark.parametrize("mode", ["ab", "shadow"])
def test_the_judge_counts_what_was_sent_arm_by_arm(sent: dict[str, list[Any]], world: World, mode: str) -> None:
    e = world.ab if mode == "ab" else world.shadow
    treated = "candidate" if mode == "ab" else "shadow"
    completed = arm_counts(sent["completed"], e.experiment_id)
    evaluated = arm_counts(sent["evaluated"], e.experiment_id)
    expected = {
        "baseline": {"completed": completed["baseline"], "evaluated": evaluated["baseline"]},
        # The judge keeps the treated arm (candidate, or shadow in shadow mode) as "candidate".
        "candidate": {"completed": completed[treated], "evaluated": evaluated[treated]},
        "ignored": {},
    }
    counts = eventually(
        f"the judge counting the {mode} runs",
        lambda: counts if (counts := judge_counts(world.database_url, e.experiment_id)) == expected else None,
        timeout=90,
    )
    assert counts == expected


def read_topic(stack: Stack, topic: str) -> list[Message]:
    """Every record of ``topic``, from the beginning to its end now (read committed)."""
    consumer = Consumer(
        {
            "bootstrap.servers": stack.brokers,
            "group.id": f"python-client-test-{topic}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        records: list[Message] = []
        unread = {p for p, end in ends.items() if end > 0}
        while unread:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: partitions {unread} not read to their end"
            assert message.error() is None, message.error()
            records.append(message)
            partition, offset = message.partition(), message.offset()
            assert partition is not None
            assert offset is not None
            if offset >= ends[partition] - 1:
                unread.discard(partition)
        return records
    finally:
        consumer.close()


@pytest.mark.parametrize(
    ("kind", "topic"), [("completed", "agent.run.completed.v1"), ("evaluated", "agent.run.evaluated.v1")]
)
def test_each_event_reaches_kafka_as_sent_in_the_confluent_wire_format(
    sent: dict[str, list[Any]], stack: Stack, world: World, kind: str, topic: str
) -> None:
    registry = SchemaRegistryClient({"url": stack.registry_url})
    latest = registry.get_latest_version(f"{topic}-value").schema_id
    decode = AvroDeserializer(registry)
    physical = f"{world.prefix}.{topic}"
    by_id: dict[str, RunCompleted | RunEvaluated] = {e["eventId"]: e for e in sent[kind]}
    received = []
    for record in read_topic(stack, physical):
        value = record.value()
        assert value is not None
        assert value[0] == 0
        assert int.from_bytes(value[1:5], "big") == latest
        event = decode(value, SerializationContext(physical, MessageField.VALUE))
        assert record.key() == event["agentId"].encode("utf-8")
        # Other tests of this run report to the same topics.
        if event["eventId"] in by_id:
            received.append(event)
    assert sorted(received, key=lambda e: e["eventId"]) == sorted(by_id.values(), key=lambda e: e["eventId"])


def test_an_invalid_event_is_refused_before_anything_is_sent(reporter: RunReporter, world: World) -> None:
    before = reporter.stats
    run = Assignment(agent_id=world.ab.agent_id, run_id="r-invalid", unit_id=None, version_id="v-1")
    with pytest.raises(EventValidationError, match=r"score: must be in \[0, 1\] \(got 1.5\)"):
        reporter.report_evaluation(run, evaluator_id="llm-judge-v3", score=1.5, passed=True)
    assert reporter.stats == before


def test_an_unreachable_registry_is_named_and_nothing_is_sent(stack: Stack) -> None:
    reporter = RunReporter(brokers=stack.brokers, registry_url="http://127.0.0.1:9/apis/ccompat/v7")
    run = Assignment(agent_id="support-agent", run_id="r-1", unit_id=None, version_id="v-1")
    with pytest.raises(RegistryError, match=r"schema registry at http://127.0.0.1:9/apis/ccompat/v7 unreachable"):
        reporter.report_evaluation(run, evaluator_id="llm-judge-v3", score=0.5, passed=True)
    assert reporter.stats.pending == 0
    reporter.flush(1)


def test_events_kafka_never_acknowledges_are_handed_back_by_flush(stack: Stack) -> None:
    # The registry answers; Kafka is a port nothing listens on, and an event gives up after 1.5 s.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = unused.getsockname()[1]
    reporter = RunReporter(
        brokers=f"127.0.0.1:{dead}", registry_url=stack.registry_url, producer_config={"message.timeout.ms": 1500}
    )
    run = Assignment(agent_id="support-agent", run_id="r-1", unit_id=None, version_id="v-1")
    event = reporter.report_evaluation(run, evaluator_id="llm-judge-v3", score=0.5, passed=True)
    with pytest.raises(DeliveryError, match="1 still waiting for Kafka") as waiting:
        reporter.flush(0.1)
    assert waiting.value.failures == ()
    with pytest.raises(DeliveryError, match="1 failed") as failed:
        reporter.flush(10)
    assert [(f.topic, f.event) for f in failed.value.failures] == [("agent.run.evaluated.v1", event)]
    assert failed.value.undelivered == 0
    assert reporter.stats == ReportStats(delivered=0, failed=1, pending=0)
    # What was handed back is not handed back twice.
    reporter.flush(1)
