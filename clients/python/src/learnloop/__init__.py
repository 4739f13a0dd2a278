"""learnloop's client for agent runtimes written in Python (clients/python/README.md).

- ``HttpRouterClient`` / ``GrpcRouterClient``: ``assign()`` asks the router which agent version serves a run, and
  falls back to the caller's live version, untagged and counted, whenever the router cannot say.
- ``bucket_of()``: the router's assignment hash.
"""

from learnloop.assignment import Arm, Assignment, FailSafeReason, RunTags, ShadowTarget
from learnloop.hashing import BUCKETS, bucket_of
from learnloop.router import DEFAULT_TIMEOUT, GrpcRouterClient, HttpRouterClient, RouterClient

__all__ = [
    "BUCKETS",
    "DEFAULT_TIMEOUT",
    "Arm",
    "Assignment",
    "FailSafeReason",
    "GrpcRouterClient",
    "HttpRouterClient",
    "RouterClient",
    "RunTags",
    "ShadowTarget",
    "bucket_of",
]
