"""Shadow executions (docs/producers.md, Experiments and shadow executions): the candidate runs on the same input as
the served baseline, its output is never served, and it is reported as arm ``shadow`` with the same run id, so that
the judge compares the two on the same input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Generic, TypeVar

from learnloop.assignment import Assignment
from learnloop.events import GuardrailHit, RunCompleted, RunEvaluated, RunStatus
from learnloop.reporter import RunReporter

logger = logging.getLogger("learnloop.shadow")

Output = TypeVar("Output")


@dataclass(frozen=True)
class RunOutcome(Generic[Output]):
    """What one execution of an agent version produced: its output and what it cost."""

    output: Output
    status: RunStatus = "succeeded"
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    guardrail_hits: Sequence[GuardrailHit] = ()


@dataclass(frozen=True)
class Evaluation:
    """An evaluator's judgement of an output."""

    evaluator_id: str
    score: float
    passed: bool
    failure_categories: Sequence[str] = ()


@dataclass(frozen=True)
class ShadowReport:
    """The events a shadow execution was reported with. Its output is deliberately not here."""

    completed: RunCompleted
    evaluated: RunEvaluated | None


def run_shadow(
    reporter: RunReporter,
    assignment: Assignment,
    execute: Callable[[str], RunOutcome[Output]],
    evaluate: Callable[[Output], Evaluation] | None = None,
) -> ShadowReport | None:
    """Runs the assignment's shadow version, if it has one, and reports it; returns None when it has none.

    ``execute(version_id)`` runs that version on the run's input (a closure over it) and returns its outcome. An
    exception from it is the candidate failing on this input: logged, and reported as a ``failed`` run. ``evaluate``,
    if given, scores the output; its evaluation is reported with the same tags. Call it after serving the baseline,
    on a thread of its own if the caller must not wait (``executor.submit(run_shadow, ...)``).
    """
    run = assignment.shadow_run
    if run is None:
        return None
    started_at = datetime.now(timezone.utc)
    try:
        outcome = execute(run.agent_version_id)
    except Exception:
        logger.warning(
            "shadow execution of %s (version %s) for run %s failed",
            run.agent_id,
            run.agent_version_id,
            run.run_id,
            exc_info=True,
        )
        failed = reporter.report_run(
            run,
            status="failed",
            started_at=started_at,
            completed_at=datetime.now(timezone.utc),
            cost_usd=0.0,
            input_tokens=0,
            output_tokens=0,
        )
        return ShadowReport(completed=failed, evaluated=None)
    completed = reporter.report_run(
        run,
        status=outcome.status,
        started_at=started_at,
        completed_at=datetime.now(timezone.utc),
        cost_usd=outcome.cost_usd,
        input_tokens=outcome.input_tokens,
        output_tokens=outcome.output_tokens,
        tool_calls=outcome.tool_calls,
        tool_errors=outcome.tool_errors,
        guardrail_hits=outcome.guardrail_hits,
    )
    if evaluate is None:
        return ShadowReport(completed=completed, evaluated=None)
    evaluation = evaluate(outcome.output)
    evaluated = reporter.report_evaluation(
        run,
        evaluator_id=evaluation.evaluator_id,
        score=evaluation.score,
        passed=evaluation.passed,
        failure_categories=evaluation.failure_categories,
    )
    return ShadowReport(completed=completed, evaluated=evaluated)
