"""A scorer that reads the trace never silently grades an empty one as real: an agent object that emitted no
span gets a TraceWarning saying why and how to instrument it; a plain callable is not warned about."""

from __future__ import annotations

import pytest

AGENTS = '''
import pytest
from pytest_agenteval.scorers import tool_called

class Wrapper:  # AG2-style: an object with `ask`, but no framework (and no spans) inside
    def ask(self, prompt):
        return "sunny"

@pytest.fixture(scope="session")
def eval_agent():
    return {AGENT}

@pytest.fixture
def eval_scorers():
    return [tool_called("get_weather")]
'''


def run(pytester: pytest.Pytester, agent: str) -> pytest.RunResult:
    pytester.makeconftest(AGENTS.replace("{AGENT}", agent))
    (pytester.path / "s.jsonl").write_text('{"task_id": "paris", "inputs": {"input": "weather in Paris?"}}\n')
    return pytester.runpytest("--eval-suite=s.jsonl", "-W", "always::pytest_agenteval.TraceWarning")


def test_an_agent_object_that_emits_no_span_is_warned_about(pytester: pytest.Pytester) -> None:
    result = run(pytester, "Wrapper()")
    result.assert_outcomes(failed=1, warnings=1)
    result.stdout.fnmatch_lines([
        "*TraceWarning: paris: the trace is empty: the agent 'Wrapper' (called through its `ask` method) emitted "
        "no OpenTelemetry span*tool_called[[]get_weather[]]*instrument it*"])


def test_a_plain_callable_that_makes_no_model_call_is_not_warned_about(pytester: pytest.Pytester) -> None:
    result = run(pytester, "lambda prompt: 'sunny'")
    result.assert_outcomes(failed=1)
    assert "TraceWarning" not in result.stdout.str()
