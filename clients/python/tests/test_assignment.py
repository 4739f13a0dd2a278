"""Reading the router's answers (docs/router.md, API): the JSON and gRPC shapes, and what is refused as malformed."""

from __future__ import annotations

from typing import Any

import pytest

from learnloop import Assignment, HttpRouterClient, RunTags, ShadowTarget
from learnloop._generated import router_pb2
from learnloop.assignment import AssignRequest, BadAnswer, fail_safe, from_grpc_answer, from_json_answer

REQUEST = AssignRequest(agent_id="support-agent", run_id="run-8c1f", unit_id="user-7", live_version_id="v-live")


def answer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "agentId": "support-agent",
        "runId": "run-8c1f",
        "versionId": "v-12",
        "experimentId": None,
        "arm": None,
        "shadow": None,
    }
    return {**base, **fields}


def test_a_run_not_enrolled_gets_the_routers_version_and_no_tags() -> None:
    a = from_json_answer(REQUEST, answer())
    assert a == Assignment(agent_id="support-agent", run_id="run-8c1f", unit_id="user-7", version_id="v-12")
    assert a.run == RunTags(agent_id="support-agent", run_id="run-8c1f", agent_version_id="v-12", unit_id="user-7")
    assert a.shadow_run is None


def test_a_router_that_knows_no_version_leaves_the_callers_live_version() -> None:
    a = from_json_answer(REQUEST, answer(versionId=None))
    assert a.version_id == "v-live"
    assert a.fail_safe is None


def test_an_enrolled_run_carries_its_experiment_and_arm() -> None:
    a = from_json_answer(REQUEST, answer(versionId="v-13", experimentId="exp-1", arm="candidate"))
    assert a.run == RunTags(
        agent_id="support-agent",
        run_id="run-8c1f",
        agent_version_id="v-13",
        experiment_id="exp-1",
        arm="candidate",
        unit_id="user-7",
    )


def test_a_shadowed_run_serves_the_baseline_and_reports_the_shadow_with_the_same_run_id() -> None:
    a = from_json_answer(
        REQUEST,
        answer(
            versionId="v-12",
            experimentId="exp-1",
            arm="baseline",
            shadow={"versionId": "v-13", "experimentId": "exp-1"},
        ),
    )
    assert a.version_id == "v-12"
    assert a.shadow == ShadowTarget(version_id="v-13", experiment_id="exp-1")
    assert a.run.arm == "baseline"
    assert a.shadow_run == RunTags(
        agent_id="support-agent",
        run_id="run-8c1f",
        agent_version_id="v-13",
        experiment_id="exp-1",
        arm="shadow",
        unit_id="user-7",
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "the body must be a JSON object"),
        (answer(runId="run-other"), "runId: answers 'run-other'"),
        (answer(agentId=None), "agentId: answers None"),
        (answer(arm="shadow", experimentId="exp-1"), "arm: must be baseline, candidate or null"),
        (answer(arm=1, experimentId="exp-1"), "arm: must be a string or null"),
        (answer(experimentId="exp-1"), "experimentId and arm must be set together"),
        (answer(arm="candidate"), "experimentId and arm must be set together"),
        (answer(versionId=None, experimentId="exp-1", arm="candidate"), "versionId: an enrolled run must have"),
        (answer(versionId=""), "versionId: must be a non-empty string or null"),
        (answer(versionId=12), "versionId: must be a non-empty string or null"),
        (
            answer(experimentId="exp-1", arm="candidate", shadow={"versionId": "v-13", "experimentId": "exp-1"}),
            "shadow: only a run served the baseline has a shadow",
        ),
        (answer(experimentId="exp-1", arm="baseline", shadow={"versionId": "v-13"}), "shadow: needs versionId"),
        (answer(experimentId="exp-1", arm="baseline", shadow="v-13"), "shadow: must be an object or null"),
    ],
)
def test_a_malformed_answer_is_refused_with_what_was_wrong(body: object, problem: str) -> None:
    with pytest.raises(BadAnswer, match=problem):
        from_json_answer(REQUEST, body)


def grpc_answer(**fields: Any) -> router_pb2.AssignResponse:
    return router_pb2.AssignResponse(agent_id="support-agent", run_id="run-8c1f", **fields)


def test_grpc_unset_fields_are_the_json_nulls() -> None:
    a = from_grpc_answer(REQUEST, grpc_answer())
    assert (a.version_id, a.experiment_id, a.arm, a.shadow) == ("v-live", None, None, None)
    a = from_grpc_answer(REQUEST, grpc_answer(version_id="v-12"))
    assert (a.version_id, a.experiment_id, a.arm) == ("v-12", None, None)


def test_grpc_enrolled_and_shadowed_answers_read_as_the_json_ones() -> None:
    enrolled = from_grpc_answer(
        REQUEST, grpc_answer(version_id="v-13", experiment_id="exp-1", arm=router_pb2.ARM_CANDIDATE)
    )
    assert enrolled == from_json_answer(REQUEST, answer(versionId="v-13", experimentId="exp-1", arm="candidate"))
    shadowed = from_grpc_answer(
        REQUEST,
        grpc_answer(
            version_id="v-12",
            experiment_id="exp-1",
            arm=router_pb2.ARM_BASELINE,
            shadow=router_pb2.Shadow(version_id="v-13", experiment_id="exp-1"),
        ),
    )
    assert shadowed.shadow == ShadowTarget(version_id="v-13", experiment_id="exp-1")
    assert shadowed.arm == "baseline"


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (router_pb2.AssignResponse(agent_id="support-agent", run_id="other"), "run_id: answers 'other'"),
        (router_pb2.AssignResponse(agent_id="support-agent", run_id="run-8c1f", arm=7), "arm: unknown value 7"),  # type: ignore[arg-type]
        (
            router_pb2.AssignResponse(agent_id="support-agent", run_id="run-8c1f", arm=router_pb2.ARM_CANDIDATE),
            "experimentId and arm must be set together",
        ),
        (
            router_pb2.AssignResponse(
                agent_id="support-agent",
                run_id="run-8c1f",
                version_id="v-12",
                experiment_id="exp-1",
                arm=router_pb2.ARM_BASELINE,
                shadow=router_pb2.Shadow(version_id="v-13"),
            ),
            "shadow: needs version_id and experiment_id",
        ),
    ],
)
def test_a_malformed_grpc_answer_is_refused(message: router_pb2.AssignResponse, problem: str) -> None:
    with pytest.raises(BadAnswer, match=problem):
        from_grpc_answer(REQUEST, message)


def test_the_fail_safe_is_the_callers_live_version_untagged() -> None:
    a = fail_safe(REQUEST, "timeout")
    assert a == Assignment(
        agent_id="support-agent", run_id="run-8c1f", unit_id="user-7", version_id="v-live", fail_safe="timeout"
    )
    assert a.run.experiment_id is None
    assert a.run.arm is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"agent_id": "", "run_id": "r", "live_version_id": "v"}, "agent_id: must be a non-empty string"),
        ({"agent_id": "a", "run_id": None, "live_version_id": "v"}, "run_id: must be a non-empty string"),
        ({"agent_id": "a", "run_id": "r", "live_version_id": ""}, "live_version_id: must be a non-empty string"),
        ({"agent_id": "a", "run_id": "r", "live_version_id": "v", "unit_id": 7}, "unit_id: must be a string"),
    ],
)
def test_assign_refuses_arguments_no_router_could_assign(arguments: dict[str, Any], problem: str) -> None:
    # Refused before anything is sent: the address is never connected to.
    with HttpRouterClient("http://127.0.0.1:9") as router, pytest.raises(ValueError, match=problem):
        router.assign(**arguments)
    assert router.fail_safe_total == 0


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout: must be a positive number"):
        HttpRouterClient("http://127.0.0.1:9", timeout=0)
