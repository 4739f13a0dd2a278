"""The README's example, run as written against the real stack, so that it stays true."""

from __future__ import annotations

import re

import pytest
from integration.services import Router, World, eventually
from support import REPO

from learnloop import HttpRouterClient


def readme_example() -> str:
    text = (REPO / "clients" / "python" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1, "the README has one example"
    return str(blocks[0])


def test_the_readme_example_serves_reports_and_shadows(
    router: Router, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARNLOOP_ROUTER_URL", router.http_url)
    monkeypatch.setenv("LEARNLOOP_TOPIC_PREFIX", world.prefix)
    agent = world.spare_shadow.agent_id
    with HttpRouterClient(router.http_url, timeout=5.0) as probe:
        eventually(
            "the router shadowing the agent's runs",
            lambda: probe.assign(agent_id=agent, run_id="warm-up", live_version_id="v").shadow,
        )
    # The example's agent, made one the world runs a shadow experiment on (its own: the judge's counts of the others
    # stay what test_reporting.py sent): every run is shadowed.
    code = readme_example().replace('"support-agent"', repr(agent))
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)

    assert capsys.readouterr().out.startswith(f"[{world.spare_shadow.baseline_version_id}] ")
    stats = namespace["reporter"].stats  # type: ignore[attr-defined]
    # The served run and its evaluation, the shadow execution and its evaluation, all acknowledged.
    assert (stats.delivered, stats.failed, stats.pending) == (4, 0, 0)
