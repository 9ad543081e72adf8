"""LLM judges in real pytest runs: the verdict fails or passes the item, the judge's own spans never enter the task's
trace, its tokens and cost are stored per task and summed per run apart from the agent's, shown in the summary, and
bounded by their own budget."""

from __future__ import annotations

import json

import pytest

from pytest_agenteval.budgets import Budgets
from pytest_agenteval.tracing.model import Trace

from .helpers import TESTS_IMPORTABLE, read_single_run, record, stored_steps, write_suite

pytest.importorskip("pydantic_ai", reason="needs the judge extra")

# The agent is the instrumented pydantic-ai weather agent (2 model calls: 80 input and 12 output tokens). The judge
# is instrumented on the very provider the plugin listens on, so its spans are there to be mis-attributed; every
# span the provider saw is written to spans.json at the end.
CONFTEST = TESTS_IMPORTABLE + '''
import json
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import InstrumentationSettings
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage
from pytest_agenteval.judges import llm_judge
from tests.pydantic_ai_weather import build_agent

EXPORTER = InMemorySpanExporter()


def verdict(messages, info):
    prompt = messages[-1].parts[-1].content
    output = prompt.split("<output>")[1]
    passed = "sunny" in output
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name,
                                             {"reason": "says sunny" if passed else "no weather", "passed": passed})],
                         usage=RequestUsage(input_tokens=300, output_tokens=40))


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()


@pytest.fixture(scope="session")
def eval_scorers(eval_tracer_provider):
    eval_tracer_provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    yield [llm_judge("The answer gives the weather.", model=FunctionModel(verdict, model_name="judge-fn"),
                     key="weather_judge", instrument=InstrumentationSettings(tracer_provider=eval_tracer_provider))]
    with open("spans.json", "w") as out:
        json.dump([span.name for span in EXPORTER.get_finished_spans()], out)
'''
TASKS = [record("paris", "weather in Paris"), record("hello", "hello")]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", TASKS)
    return pytester


def test_the_verdict_decides_the_item_and_the_judges_tokens_stay_apart_from_the_agents(
        project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*weather_judge: False - no weather*"])
    run = read_single_run(project.path / "runs")
    paris, hello = run["tasks"]
    assert [fb["comment"] for fb in paris["feedback"]] == ["says sunny"]
    # the agent's tokens are the agent's alone: the weather model's 2 calls, 1 for the echo
    assert (paris["tokens"]["input"], paris["tokens"]["output"], paris["trace"]["model_calls"]) == (80, 12, 2)
    assert (hello["tokens"]["total"], hello["trace"]["model_calls"]) == (16, 1)
    assert {step["model"] for task in run["tasks"] for step in stored_steps(task, "model_call")} == {"weather-fn"}
    for task in run["tasks"]:
        assert task["judge_tokens"] == {"input": 300, "output": 40, "cache_creation": 0, "cache_read": 0,
                                        "reasoning": 0, "total": 340}
        assert task["judge_cost"] is None  # no price is known for a FunctionModel
    assert run["aggregates"]["tokens"]["total"] == 92 + 16
    assert run["aggregates"]["judge_tokens"]["total"] == 680
    # the judge's spans were emitted on the plugin's own provider, and no task took them
    emitted = json.loads((project.path / "spans.json").read_text())
    assert emitted.count("chat judge-fn") == 2 and emitted.count("invoke_agent llm_judge") == 2
    result.stdout.fnmatch_lines(["judges: tokens input=600 output=80 total=680, cost unknown (no price for the "
                                 "judge's model) (not in the agents' tokens and cost)"])


def test_the_judge_budget_warns_per_task_apart_from_the_agent_budget(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-max-judge-tokens=300",
                               "--eval-max-tokens=100", "-W", "error::pytest_agenteval.BudgetExceededWarning")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*BudgetExceededWarning: paris: judge_tokens budget exceeded: 340 > 300*"])
    run = read_single_run(project.path / "runs")
    assert all(task["budget_violations"] == [{"budget": "judge_tokens", "limit": 300, "actual": 340}]
               for task in run["tasks"])  # the agent stayed under its own 100 tokens
    assert run["config"]["max_judge_tokens"] == 300
    assert run["aggregates"]["budget_violations_by_budget"] == {"judge_tokens": 2}


def test_eval_budgets_may_set_the_judge_budgets() -> None:
    budgets = Budgets.coerce({"max_judge_tokens": 100, "max_judge_cost": 0.01})
    assert budgets.limits() == {"max_judge_tokens": 100, "max_judge_cost": 0.01}
    assert [str(v) for v in budgets.violations(Trace(), judge_tokens=340, judge_cost=0.02)] == [
        "judge_tokens budget exceeded: 340 > 100", "judge_cost budget exceeded: 0.02 > 0.01"]
    assert budgets.violations(Trace(), judge_tokens=100, judge_cost=None) == []  # unpriced: nothing to exceed


def test_judge_totals_are_the_same_on_xdist_workers(project: pytest.Pytester, dist_args: list[str]) -> None:
    write_suite(project.path / "s.jsonl", [record(f"t{i}", "weather in Rome") for i in range(4)])
    project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", *dist_args).assert_outcomes(passed=4)
    run = read_single_run(project.path / "runs")
    assert run["aggregates"]["judge_tokens"]["total"] == 4 * 340
    assert run["aggregates"]["tokens"]["total"] == 4 * 92


def test_the_markdown_summary_and_junit_say_what_the_judges_spent(project: pytest.Pytester) -> None:
    project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-markdown=summary.md",
                      "--junitxml=junit.xml")
    assert project.path.joinpath("junit.xml").read_text().count(
        '<property name="agenteval.judge_tokens.total" value="340"') == 2
    text = (project.path / "summary.md").read_text()
    assert ("Judges: tokens input=600 output=80 total=680, cost unknown (no price for the judge's model) (not in "
            "the agents' tokens and cost).") in text
