"""conftest.py of a benchmark's temp project: the workload's agent and scorers for the plugin.

BENCH_AGENT=function (default) gives the plain async agent; BENCH_AGENT=ag2 the AG2 agent, traced on
the plugin's provider; BENCH_AGENT=ag2-config a bare AG2 agent and one scripted config per task through
`eval_model_config`. AG2 is imported at module level then, so the empty-run baseline pays for it too.
BENCH_SESSION_CPU_FILE=PATH: the process's CPU seconds at four points of the session are written there as JSON
(session start, collection finished, run finished, unconfigure), an xdist worker's to PATH.<worker id>; scale.py
and xdist_scaling.py read them.
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import workload

AGENT_KIND = os.environ.get("BENCH_AGENT", "function")
if AGENT_KIND.startswith("ag2"):
    import ag2.eval  # noqa: F401


@pytest.fixture(scope="session")
def eval_agent(request: pytest.FixtureRequest) -> Callable[[str], Awaitable[str]] | Any:
    if AGENT_KIND == "ag2":
        return workload.ag2_call_for_plugin(request.getfixturevalue("eval_tracer_provider"))
    if AGENT_KIND == "ag2-config":
        from ag2 import Agent

        return Agent("bench")  # the plugin's AG2 adapter traces it
    return workload.agent


@pytest.fixture(scope="session")
def eval_model_config() -> Any:
    if AGENT_KIND != "ag2-config":
        return None
    suite = Path(os.environ.get("BENCH_SUITE", "suite.jsonl"))
    return workload.ag2_model_configs(json.loads(line)["task_id"] for line in suite.read_text().splitlines()
                                      if line.strip())


@pytest.fixture(scope="session")
def eval_scorers() -> list[Callable[..., Any]]:
    return list(workload.SCORERS)


SESSION_CPU: dict[str, float] = {}


def _note_cpu(point: str) -> None:
    """The process's CPU seconds now, under `point`, written out whole each time (a killed run keeps the rest)."""
    target = os.environ.get("BENCH_SESSION_CPU_FILE")
    if target:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        target = f"{target}.{worker}" if worker else target
        usage = resource.getrusage(resource.RUSAGE_SELF)
        SESSION_CPU[point] = usage.ru_utime + usage.ru_stime
        Path(target).write_text(json.dumps(SESSION_CPU))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _note_cpu("session start")


@pytest.hookimpl(trylast=True)  # after the plugin's own work at the end of collection
def pytest_collection_finish(session: pytest.Session) -> None:
    _note_cpu("collected")


@pytest.hookimpl(tryfirst=True)  # before the plugin publishes the run
def pytest_sessionfinish(session: pytest.Session) -> None:
    _note_cpu("run")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _note_cpu("unconfigure")
