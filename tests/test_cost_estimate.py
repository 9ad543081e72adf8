"""Cost from tokens and the model name (genai-prices) when spans carry none: a GenAI span with a model and its
token usage but no cost gets genai-prices' price, marked as estimated, and `--eval-max-cost` then applies."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import read_single_run, record, write_suite

genai_prices = pytest.importorskip("genai_prices", reason="needs the cost extra")

# An agent whose model call is a real OpenTelemetry span in the GenAI convention, as openai-v2 or LangGraph
# instrumentation writes it: a model and tokens, no price.
CONFTEST = '''
from typing import Any

import pytest
from opentelemetry import trace

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": MODEL, "gen_ai.system": "openai",
                      "gen_ai.usage.input_tokens": 12000, "gen_ai.usage.output_tokens": 3000}
        with trace.get_tracer("app").start_as_current_span("chat " + MODEL, attributes=attributes):
            return "done"
    return agent
'''


def run(pytester: pytest.Pytester, model: str, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    pytester.makeconftest(f"MODEL = {model!r}\n" + CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("t1", "go")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", *args)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    return result, task


def test_a_known_model_gets_an_estimated_cost_that_budgets_see(pytester: pytest.Pytester) -> None:
    expected = float(genai_prices.calc_price(genai_prices.Usage(input_tokens=12000, output_tokens=3000),
                                             "gpt-4o-mini", provider_id="openai").total_price)
    result, task = run(pytester, "gpt-4o-mini", "--eval-max-cost=0.000001")
    assert task["cost"] == pytest.approx(expected) and expected > 0
    assert task["cost_estimated"] is True
    assert task["budget_violations"][0]["budget"] == "cost"
    result.stdout.fnmatch_lines(["*BudgetExceededWarning*cost*"])


def test_an_unknown_model_keeps_no_cost(pytester: pytest.Pytester) -> None:
    _, task = run(pytester, "an-in-house-model-nobody-prices")
    assert task["cost"] is None and task["cost_estimated"] is False


def test_genai_prices_is_not_imported_for_traces_without_a_call_to_price(pytester: pytest.Pytester) -> None:
    # A fresh process (this module imported genai-prices into the test process): its import (tens of ms) is paid only by
    # a trace with a model call to price, not by the first item of every run.
    pytester.makeconftest('''
import sys
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: "done"

def pytest_sessionfinish(session):
    with open("imported.txt", "w") as out:
        out.write(str("genai_prices" in sys.modules))
''')
    write_suite(pytester.path / "s.jsonl", [record("t1", "go"), record("t2", "go")])
    pytester.runpytest_subprocess("--eval-suite=s.jsonl", "-p", "no:cacheprovider").assert_outcomes(passed=2)
    assert (pytester.path / "imported.txt").read_text() == "False"
