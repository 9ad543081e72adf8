"""AG2 users' objects and habits work: `ag2.eval.BudgetThresholds` from `eval_budgets`."""

from __future__ import annotations

import pytest

from .helpers import read_single_run

BUDGET_CONFTEST = '''
import time, pytest
from ag2.eval import BudgetThresholds

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        time.sleep(0.05)
        return prompt
    return agent

@pytest.fixture(scope="session")
def eval_budgets():
    return BudgetThresholds(max_tokens_per_task=1000, max_seconds_per_task=0.01)
'''


def test_ag2_budget_thresholds_from_eval_budgets_are_budgets(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BUDGET_CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "slow", "inputs": {"input": "hi"}}\n')
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*BudgetExceededWarning: slow: seconds budget exceeded: * > 0.01*"])
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert [(v["budget"], v["limit"]) for v in task["budget_violations"]] == [("seconds", 0.01)]


def test_an_eval_budgets_fixture_returning_something_else_fails_with_what_to_return(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BUDGET_CONFTEST.replace("return BudgetThresholds(max_tokens_per_task=1000, "
                                                  "max_seconds_per_task=0.01)", "return 5"))
    (pytester.path / "s.jsonl").write_text('{"task_id": "slow", "inputs": {"input": "hi"}}\n')
    result = pytester.runpytest("--eval-suite=s.jsonl")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*eval_budgets returned int; return pytest_agenteval.Budgets*BudgetThresholds*"])


def test_budgets_set_by_the_fixture_are_recorded_in_the_runs_config(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BUDGET_CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "slow", "inputs": {"input": "hi"}}\n'
                                           '{"task_id": "slow-2", "inputs": {"input": "ho"}}\n')
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=2, warnings=2)
    run = read_single_run(pytester.path / "runs")
    assert (run["config"]["max_tokens"], run["config"]["max_seconds"], run["config"]["max_cost"]) == (1000, 0.01, None)
    assert [task["budgets"] for task in run["tasks"]] == [{"max_tokens": 1000, "max_seconds": 0.01}] * 2
