"""The run's life-cycle hooks (`pytest_agenteval_run_started`, `..._task_evaluated`, `..._run_finished`): once per
event, on the controller only (never on xdist workers), with the public result types; not called at all in a
session without suites."""

from __future__ import annotations

import json

import pytest

from .helpers import record, write_suite

CONFTEST = '''
import json
import pytest
from pytest_agenteval.results import RunResult, TaskResult

def log(config, event):
    with open(config.rootpath / "events.jsonl", "a") as out:
        out.write(json.dumps({**event, "worker": hasattr(config, "workerinput")}) + "\\n")

def pytest_agenteval_run_started(config, run_id):
    log(config, {"event": "started", "run_id": run_id})

def pytest_agenteval_task_evaluated(config, result):
    assert isinstance(result, TaskResult)
    log(config, {"event": "task", "task_id": result.task_id, "verdict": result.verdict})

def pytest_agenteval_run_finished(config, run, path):
    assert isinstance(run, RunResult)
    log(config, {"event": "finished", "run_id": run.run_id, "tasks": len(run.tasks),
                 "path": None if path is None else path.name})

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: "no" if prompt == "bad" else prompt

@pytest.fixture
def eval_scorers():
    return [lambda inputs, outputs: outputs.get("body") == inputs["input"]]
'''


def events(pytester: pytest.Pytester) -> list[dict[str, object]]:
    return [json.loads(line) for line in (pytester.path / "events.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["single", "xdist"])
def test_each_event_once_on_the_controller(pytester: pytest.Pytester, workers: tuple[str, ...]) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a"), record("b"), record("c", "bad"), record("d")])
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                           *workers)
    result.assert_outcomes(passed=3, failed=1)
    seen = events(pytester)
    assert seen[0] == {"event": "started", "run_id": "r1", "worker": False}
    assert seen[-1] == {"event": "finished", "run_id": "r1", "tasks": 4, "path": "r1.json", "worker": False}
    tasks = sorted((event["task_id"], event["verdict"]) for event in seen[1:-1])
    assert tasks == [("a", "passed"), ("b", "passed"), ("c", "failed"), ("d", "passed")]
    assert not any(event["worker"] for event in seen)


def test_a_session_without_suites_calls_none(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    assert not (pytester.path / "events.jsonl").exists()
