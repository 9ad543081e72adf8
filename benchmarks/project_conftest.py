"""conftest.py of a benchmark's temp project: the workload's agent and scorers for the plugin.

BENCH_AGENT=function (default) gives the plain async agent; BENCH_AGENT=ag2 the AG2 agent, traced on
the plugin's provider. AG2 is imported at module level then, so the empty-run baseline pays for it too.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import workload

AGENT_KIND = os.environ.get("BENCH_AGENT", "function")
if AGENT_KIND == "ag2":
    import ag2.eval  # noqa: F401


@pytest.fixture(scope="session")
def eval_agent(request: pytest.FixtureRequest) -> Callable[[str], Awaitable[str]]:
    if AGENT_KIND == "ag2":
        return workload.ag2_call_for_plugin(request.getfixturevalue("eval_tracer_provider"))
    return workload.agent


@pytest.fixture(scope="session")
def eval_scorers() -> list[Callable[..., Any]]:
    return list(workload.SCORERS)
