"""learnloop's client for agent runtimes written in Python (clients/python/README.md).

- ``HttpRouterClient`` / ``GrpcRouterClient``: ``assign()`` asks the router which agent version serves a run, and
  falls back to the caller's live version, untagged and counted, whenever the router cannot say.
- ``RunReporter``: ``report_run()`` and ``report_evaluation()`` publish the run's events with the router's tags.
- ``run_shadow()``: runs the shadow candidate on the same input, reports it, never serves it.
- ``bucket_of()``: the router's assignment hash.
"""

from learnloop.assignment import Arm, Assignment, FailSafeReason, RunTags, ShadowTarget
from learnloop.events import (
    EventValidationError,
    FieldProblem,
    GuardrailHit,
    RunCompleted,
    RunEvaluated,
    RunStatus,
    run_completed,
    run_evaluated,
)
from learnloop.hashing import BUCKETS, bucket_of
from learnloop.reporter import DeliveryError, DeliveryFailure, RegistryError, ReportStats, RunReporter
from learnloop.router import DEFAULT_TIMEOUT, GrpcRouterClient, HttpRouterClient, RouterClient
from learnloop.shadow import Evaluation, RunOutcome, ShadowReport, run_shadow

__all__ = [
    "BUCKETS",
    "DEFAULT_TIMEOUT",
    "Arm",
    "Assignment",
    "DeliveryError",
    "DeliveryFailure",
    "Evaluation",
    "EventValidationError",
    "FailSafeReason",
    "FieldProblem",
    "GrpcRouterClient",
    "GuardrailHit",
    "HttpRouterClient",
    "RegistryError",
    "ReportStats",
    "RouterClient",
    "RunCompleted",
    "RunEvaluated",
    "RunOutcome",
    "RunReporter",
    "RunStatus",
    "RunTags",
    "ShadowReport",
    "ShadowTarget",
    "bucket_of",
    "run_completed",
    "run_evaluated",
    "run_shadow",
]
