"""`eval_model_config`: one config, a mapping by task id (`id#k` for one repeat), or a function, handed to a
shared agent on each call at full concurrency; an AG2 agent's verdicts equal `run_agent(model_config=)`'s."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import read_single_run, record, write_suite

pytest.importorskip("ag2.testing", reason="needs the frameworks extra")

TASKS = [record("a", "question a"), record("b", "question b"), record("c", "question c")]
# Each task's scripted model answers; "b" answers wrong. The agent itself has no config of its own.
CONFTEST = '''
import pytest
from ag2 import Agent
from ag2.testing import TestConfig
from pytest_agenteval import scorer

ANSWERS = {"a": "yes", "b": "no", "c": "yes"}

@scorer
def said_yes(outputs):
    return outputs.get("body") == "yes"

@pytest.fixture(scope="session")
def eval_agent():
    return Agent("bot")

@pytest.fixture
def eval_scorers():
    return [said_yes]

@pytest.fixture(scope="session")
def eval_model_config():
    return CONFIG
'''
MAPPING = '{task_id: TestConfig(answer) for task_id, answer in ANSWERS.items()}'


def run(pytester: pytest.Pytester, config: str, *args: str) -> tuple[pytest.RunResult, dict[str, dict[str, Any]]]:
    pytester.makeconftest(CONFTEST + f"\nCONFIG = {config}\n")
    write_suite(pytester.path / "s.jsonl", TASKS)
    for old in (pytester.path / "runs").glob("*.json"):
        old.unlink()
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-concurrency=3", *args)
    return result, {task["task_id"]: task for task in read_single_run(pytester.path / "runs")["tasks"]}


def test_a_mapping_by_task_id_gives_each_task_its_config_with_the_verdicts_of_run_agent(
        pytester: pytest.Pytester) -> None:
    import ag2.eval
    from ag2 import Agent
    from ag2.testing import TestConfig

    result, tasks = run(pytester, MAPPING)
    result.assert_outcomes(passed=2, failed=1)
    assert {task_id: task["verdict"] for task_id, task in tasks.items()} == {"a": "passed", "b": "failed",
                                                                               "c": "passed"}

    @ag2.eval.scorer
    def said_yes(outputs: dict[str, object]) -> bool:
        return outputs.get("body") == "yes"

    answers = {"a": "yes", "b": "no", "c": "yes"}
    theirs = asyncio.run(ag2.eval.run_agent(
        ag2.eval.Suite.from_list([dict(each) for each in TASKS]), agent=Agent("bot"), scorers=[said_yes],
        model_config={task_id: TestConfig(answer) for task_id, answer in answers.items()}, concurrency=3))
    assert {task.task.task_id: ("passed" if all(fb.score for fb in task.feedback) else "failed")
            for task in theirs.tasks} == {task_id: task["verdict"] for task_id, task in tasks.items()}


def test_a_repeat_can_have_its_own_config_and_a_function_can_choose(pytester: pytest.Pytester) -> None:
    _, tasks = run(pytester, '{**' + MAPPING + ', "b#2": TestConfig("yes")}', "--eval-repeats=2")
    assert tasks["b#1"]["verdict"] == "failed" and tasks["b#2"]["verdict"] == "passed"
    _, tasks = run(pytester, 'lambda task: TestConfig("yes" if task.task_id != "c" else "no")')
    assert {task_id: task["verdict"] for task_id, task in tasks.items()} == {"a": "passed", "b": "passed",
                                                                               "c": "failed"}


def test_a_mapping_without_a_task_is_that_tasks_error_naming_it(pytester: pytest.Pytester) -> None:
    result, tasks = run(pytester, '{"a": TestConfig("yes"), "c": TestConfig("yes")}')
    result.assert_outcomes(passed=2, failed=1)
    error = tasks["b"]["exception"]
    assert error["type"] == "ModelConfigError"
    assert "no config for task 'b' (nor for b#1); it has 'a', 'c'" in error["message"]


CALLABLE_CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt, config=None):
        return f"{prompt} via {config}"
    return agent

@pytest.fixture(scope="session")
def eval_model_config():
    return "model-x"
'''


def test_a_callable_with_a_config_parameter_gets_it_and_one_without_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CALLABLE_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a", "hi")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert task["outputs"]["body"] == "hi via model-x"
    pytester.makeconftest(CALLABLE_CONFTEST.replace("prompt, config=None", "prompt"))
    for old in Path(pytester.path / "runs").glob("*.json"):
        old.unlink()
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(failed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert "no `config` parameter" in json.dumps(task["exception"])
