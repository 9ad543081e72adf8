"""A crash keeps its traceback: stored in the run, shown with -vv, without the plugin's own frames."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import read_single_run

CRASHING_CONFTEST = '''
import pytest

def look_up_forecast(city):
    raise ConnectionError(f"forecast service down for {city}")

def agent(prompt):
    return look_up_forecast(prompt)

def divide_by_nothing(outputs):
    return 1 / 0

@pytest.fixture(scope="session")
def eval_agent():
    return agent

@pytest.fixture
def eval_scorers():
    return [divide_by_nothing]
'''


@pytest.fixture
def crashing_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CRASHING_CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "oslo", "inputs": {"input": "Oslo"}}\n')
    return pytester


def stored_task(pytester: pytest.Pytester) -> dict[str, Any]:
    task: dict[str, Any] = read_single_run(pytester.path / "runs")["tasks"][0]
    return task


def test_the_agent_and_scorer_tracebacks_are_stored_without_plugin_frames(crashing_project: pytest.Pytester) -> None:
    crashing_project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(failed=1)
    task = stored_task(crashing_project)
    agent_traceback = str(task["traceback"])
    assert "in look_up_forecast" in agent_traceback and "in agent" in agent_traceback
    assert agent_traceback.rstrip().endswith("ConnectionError: forecast service down for Oslo")
    (feedback,) = task["feedback"]
    assert "in divide_by_nothing" in feedback["traceback"] and "ZeroDivisionError" in feedback["traceback"]
    for shown in (agent_traceback, feedback["traceback"]):
        assert "pytest_agenteval" not in shown and "asyncio" not in shown and "concurrent" not in shown


def test_tracebacks_are_shown_with_vv_only(crashing_project: pytest.Pytester) -> None:
    quiet = crashing_project.runpytest("--eval-suite=s.jsonl")
    assert "agent traceback:" not in quiet.stdout.str()
    loud = crashing_project.runpytest("--eval-suite=s.jsonl", "-vv")
    loud.stdout.fnmatch_lines(["*agent traceback:*", "*in look_up_forecast*",
                               "*ConnectionError: forecast service down for Oslo*",
                               "*scorer divide_by_nothing traceback:*", "*ZeroDivisionError*"])
