"""A user's own `SpanConvention`, returned by the `eval_span_conventions` fixture, reaches the run's traces."""

from __future__ import annotations

import pytest

from .helpers import read_single_run

# An in-house dialect no built-in reader knows: `acme.kind = "tool"`, `acme.tool`, `acme.args`.
ACME_CONFTEST = '''
import pytest
from opentelemetry import trace
from pytest_agenteval import SpanReading, ToolCall, scorer

class AcmeConvention:
    def read(self, span):
        if span.attributes.get("acme.kind") != "tool":
            return None
        step = ToolCall(name=span.attributes["acme.tool"], arguments={"city": span.attributes["acme.args"]},
                        span_id=span.span_id, parent_id=span.parent_id)
        return SpanReading(step=step)

def agent(prompt):
    with trace.get_tracer("acme").start_as_current_span("acme-step") as span:
        span.set_attribute("acme.kind", "tool")
        span.set_attribute("acme.tool", "get_weather")
        span.set_attribute("acme.args", prompt)
    return f"sunny in {prompt}"

@scorer
def called_the_tool(trace):
    return [call.name for call in trace.tool_calls()] == ["get_weather"]

@pytest.fixture(scope="session")
def eval_agent():
    return agent

@pytest.fixture
def eval_scorers():
    return [called_the_tool]
'''


@pytest.fixture
def acme_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ACME_CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "paris", "inputs": {"input": "Paris"}}\n')
    return pytester


def test_a_user_convention_turns_its_spans_into_steps(acme_project: pytest.Pytester) -> None:
    acme_project.makeconftest(ACME_CONFTEST + '''
@pytest.fixture(scope="session")
def eval_span_conventions():
    return [AcmeConvention()]
''')
    acme_project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (step,) = read_single_run(acme_project.path / "runs")["tasks"][0]["trace"]["steps"]
    assert (step["kind"], step["name"], step["arguments"]) == ("tool_call", "get_weather", {"city": "Paris"})


def test_without_the_convention_the_same_spans_are_no_steps(acme_project: pytest.Pytester) -> None:
    acme_project.runpytest("--eval-suite=s.jsonl").assert_outcomes(failed=1)
