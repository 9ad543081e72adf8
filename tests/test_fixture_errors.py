"""A fixture that fails is named as the fixture that failed, not as the agent, in the failure, the summary
and the stored run; the task still counts as an error."""

from __future__ import annotations

import pytest

from .helpers import read_single_run


def test_a_failing_eval_agent_fixture_is_named_as_a_fixture_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    raise RuntimeError("no API key configured")
''')
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'eval_agent' raised RuntimeError: no API key configured*"])
    assert "agent raised RuntimeError" not in result.stdout.str().replace("'eval_agent' raised", "")
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert (task["verdict"], task["failed_in"], task["exception"]["type"]) == (
        "error", "fixture 'eval_agent'", "RuntimeError")


def test_an_agent_that_raises_is_still_the_agent(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        raise RuntimeError("provider down")
    return agent
''')
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*agent raised RuntimeError: provider down*"])
    assert read_single_run(pytester.path / "runs")["tasks"][0]["failed_in"] is None
