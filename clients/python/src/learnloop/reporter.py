"""Reporting runs and evaluations to Kafka (docs/producers.md): Avro in the Confluent wire format through
confluent-kafka's ``AvroSerializer``, keyed by the agent id, through an idempotent producer (``acks=all``).

The schemas are the ones registered under ``<topic>-value`` (``learnloop schemas register`` registers them): the
serializer uses the subject's latest version rather than registering a copy, so that there is one source of the
contract, the registry, and a later version's new optional fields get their defaults.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx2
from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from learnloop.assignment import Assignment, RunTags
from learnloop.events import (
    RUN_COMPLETED_TOPIC,
    RUN_EVALUATED_TOPIC,
    GuardrailHit,
    RunCompleted,
    RunEvaluated,
    RunStatus,
    run_completed,
    run_evaluated,
)

logger = logging.getLogger("learnloop.reporter")

Event = RunCompleted | RunEvaluated


class RegistryError(Exception):
    """The schema registry could not give the schema to write with; nothing was sent."""


@dataclass(frozen=True)
class DeliveryFailure:
    """An event Kafka did not acknowledge. Resending it as it is (same ``eventId``) is safe: consumers deduplicate."""

    topic: str
    event: Event
    error: str


class DeliveryError(Exception):
    """Events not acknowledged by Kafka: those that failed, and how many were still waiting when time ran out."""

    def __init__(self, failures: Sequence[DeliveryFailure], undelivered: int) -> None:
        self.failures = tuple(failures)
        self.undelivered = undelivered
        parts = [f"{len(self.failures)} failed ({self.failures[0].error}, ...)"] if self.failures else []
        if undelivered:
            parts.append(f"{undelivered} still waiting for Kafka")
        super().__init__(f"events not delivered: {'; '.join(parts)}")


@dataclass(frozen=True)
class ReportStats:
    delivered: int
    failed: int
    pending: int


def _subject_strategy(topic: str) -> Callable[[SerializationContext | None, str | None], str]:
    """TopicNameStrategy on the catalog's topic name: a prefixed topic keeps the subject learnloop registered."""
    subject = f"{topic}-value"
    return lambda _context, _record_name: subject


class RunReporter:
    """Publishes ``agent.run.completed.v1`` and ``agent.run.evaluated.v1`` (thread-safe: share one per process).

    ``report_run`` and ``report_evaluation`` check the event (``EventValidationError`` names each bad field), encode
    it and hand it to the producer, which sends it in the background; ``flush`` waits until Kafka has acknowledged
    everything and raises ``DeliveryError`` for what it did not. Call ``flush`` (or ``close``, or leave a ``with``
    block) before the process exits.

    ``brokers``: Kafka's bootstrap servers; ``registry_url``: the Confluent-compatible registry API, e.g.
    ``http://registry:8080/apis/ccompat/v7``; ``topic_prefix``: as learnloop's ``LEARNLOOP_TOPIC_PREFIX``
    (``<prefix>.<topic>``). ``producer_config`` and ``registry_config`` add to or override the client settings
    (security, for one).
    """

    def __init__(
        self,
        *,
        brokers: str | Sequence[str],
        registry_url: str,
        topic_prefix: str | None = None,
        client_id: str = "learnloop-python",
        producer_config: Mapping[str, Any] | None = None,
        registry_config: Mapping[str, Any] | None = None,
    ) -> None:
        registry = SchemaRegistryClient({"url": registry_url, "timeout": 10, **(registry_config or {})})
        self._registry_url = registry_url
        self._serializers = {
            topic: AvroSerializer(
                registry,
                None,
                conf={
                    "auto.register.schemas": False,
                    "use.latest.version": True,
                    "subject.name.strategy": _subject_strategy(topic),
                },
            )
            for topic in (RUN_COMPLETED_TOPIC, RUN_EVALUATED_TOPIC)
        }
        self._physical = {
            topic: f"{topic_prefix}.{topic}" if topic_prefix else topic
            for topic in (RUN_COMPLETED_TOPIC, RUN_EVALUATED_TOPIC)
        }
        self._producer = Producer(
            {
                "bootstrap.servers": brokers if isinstance(brokers, str) else ",".join(brokers),
                "client.id": client_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                **(producer_config or {}),
            }
        )
        self._lock = threading.Lock()
        self._delivered = 0
        self._pending = 0
        self._failures: list[DeliveryFailure] = []
        self._failed = 0

    def report_run(
        self,
        run: RunTags | Assignment,
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
        """Publishes the run's ``agent.run.completed.v1`` and returns the event as sent.

        ``run``: an ``Assignment`` (its served run) or ``RunTags`` (e.g. ``assignment.shadow_run``). Times must be
        timezone-aware. ``latency_ms`` defaults to the time between them, ``event_id`` to a new UUID.
        """
        event = run_completed(
            run.run if isinstance(run, Assignment) else run,
            status=status,
            started_at=started_at,
            completed_at=completed_at,
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            tool_calls=tool_calls,
            tool_errors=tool_errors,
            guardrail_hits=guardrail_hits,
            user_feedback=user_feedback,
            latency_ms=latency_ms,
            event_id=event_id,
        )
        self._send(RUN_COMPLETED_TOPIC, event)
        return event

    def report_evaluation(
        self,
        run: RunTags | Assignment,
        *,
        evaluator_id: str,
        score: float,
        passed: bool,
        failure_categories: Sequence[str] = (),
        evaluated_at: datetime | None = None,
        event_id: str | None = None,
    ) -> RunEvaluated:
        """Publishes an evaluation of the run (``agent.run.evaluated.v1``) and returns the event as sent.

        ``score`` is in [0, 1], higher is better; ``evaluated_at`` defaults to now, ``event_id`` to a new UUID.
        """
        event = run_evaluated(
            run.run if isinstance(run, Assignment) else run,
            evaluator_id=evaluator_id,
            score=score,
            passed=passed,
            failure_categories=failure_categories,
            evaluated_at=evaluated_at,
            event_id=event_id,
        )
        self._send(RUN_EVALUATED_TOPIC, event)
        return event

    @property
    def stats(self) -> ReportStats:
        """Events acknowledged, failed and waiting, since this reporter was made."""
        with self._lock:
            return ReportStats(delivered=self._delivered, failed=self._failed, pending=self._pending)

    def flush(self, timeout: float = 30.0) -> None:
        """Waits up to ``timeout`` seconds until every event reported so far is acknowledged; raises
        ``DeliveryError`` with the events that failed since the last flush and the number still waiting."""
        undelivered = self._producer.flush(timeout)
        with self._lock:
            failures, self._failures = self._failures, []
        if failures or undelivered:
            raise DeliveryError(failures, undelivered)

    def close(self, timeout: float = 30.0) -> None:
        """Flushes: see ``flush``."""
        self.flush(timeout)

    def __enter__(self) -> RunReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _send(self, topic: str, event: Event) -> None:
        physical = self._physical[topic]
        try:
            value = self._serializers[topic](event, SerializationContext(physical, MessageField.VALUE))
        except SchemaRegistryError as error:
            missing = error.error_code == 40401
            hint = " (register learnloop's schemas first: learnloop schemas register)" if missing else ""
            where = f"schema registry at {self._registry_url}, subject {topic}-value"
            raise RegistryError(f"{where}: {error}{hint}") from error
        except httpx2.TransportError as error:
            where = f"schema registry at {self._registry_url}"
            raise RegistryError(f"{where} unreachable: {type(error).__name__}: {error}") from error

        def delivered(failure: KafkaError | None, _message: Message) -> None:
            with self._lock:
                self._pending -= 1
                if failure is None:
                    self._delivered += 1
                    return
                self._failed += 1
                self._failures.append(DeliveryFailure(topic=physical, event=event, error=str(failure)))
            logger.error("%s event %s not delivered: %s", topic, event["eventId"], failure)

        with self._lock:
            self._pending += 1
        try:
            self._produce(physical, event["agentId"].encode("utf-8"), value, delivered)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise

    def _produce(self, topic: str, key: bytes, value: bytes | None, on_delivery: Callable[..., None]) -> None:
        # A full local queue means Kafka is slower than the reports: wait for room for a while, then say so.
        deadline = time.monotonic() + 10.0
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                if time.monotonic() > deadline:
                    raise
                self._producer.poll(0.1)
        self._producer.poll(0)
