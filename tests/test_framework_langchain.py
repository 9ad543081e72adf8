"""LangGraph + openinference-instrumentation-langchain, offline: traced directly and end to end through pytest."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("langgraph", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.langchain", reason="needs the frameworks extra")

from pytest_agenteval.agents.frameworks import FRAMEWORK_ADAPTERS
from pytest_agenteval.agents.langchain import LangChainAdapter
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage

from .conftest import record, write_suite
from .framework_runs import run_traced, stored_steps, stored_tasks
from .langchain_agent import IN_FLIGHT, ScriptedChatModel, build_weather_graph

CONFTEST = '''
import pytest
from tests.langchain_agent import build_weather_graph

@pytest.fixture(scope="session")
def eval_agent():
    return build_weather_graph(handle_tool_errors=True, delay=0.05)
'''


def test_a_compiled_graph_and_a_chat_model_are_taken_by_the_langchain_adapter() -> None:
    adapter = next(a for a in FRAMEWORK_ADAPTERS if isinstance(a, LangChainAdapter))
    assert adapter.matches(build_weather_graph())
    assert adapter.matches(ScriptedChatModel())
    assert not adapter.matches(lambda prompt: prompt)


def test_graph_run_traces_tool_arguments_result_tokens_once_and_output() -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_graph(), ["Paris"]))

    assert captured.output == "answer: sunny in Paris"
    (tool,) = trace.tool_calls()
    assert (tool.name, tool.arguments, tool.result, tool.call_id) == (
        "get_weather", {"city": "Paris"}, "sunny in Paris", "call_Paris")
    assert [call.model for call in trace.model_calls()] == ["scripted-chat", "scripted-chat"]
    assert trace.model_calls()[0].tool_requests[0].arguments == {"city": "Paris"}
    assert trace.tokens == TokenUsage(input=62, output=16, cache_read=8)
    assert trace.output == "answer: sunny in Paris"
    assert trace.agents()[0].name == "weather_agent"


def test_tool_that_raises_is_a_tool_error_and_the_runs_exception() -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_graph(), ["Atlantis"]))

    assert isinstance(captured.exception, RuntimeError)  # LangGraph's ToolNode re-raises by default
    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("RuntimeError", "weather service down")
    assert tool.arguments == {"city": "Atlantis"}
    assert trace.exception == ErrorInfo("RuntimeError", "weather service down")
    assert trace.tokens == TokenUsage(input=22, output=7, cache_read=4)


def test_handled_tool_error_keeps_its_type_and_the_run_goes_on() -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_graph(handle_tool_errors=True), ["Atlantis"]))

    assert captured.exception is None
    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("RuntimeError", "weather service down")
    assert "weather service down" in str(tool.result)  # the text the model was sent
    assert trace.output.startswith("answer: Error: RuntimeError")


def test_a_runnable_without_messages_input_gets_the_string_as_is() -> None:
    ((captured, trace),) = asyncio.run(run_traced(ScriptedChatModel(), ["hello"]))

    assert captured.output == "answer: hello"
    (call,) = trace.model_calls()
    assert call.tokens == TokenUsage(input=40, output=9, cache_read=4)


def test_ten_concurrent_graph_runs_keep_their_own_spans() -> None:
    cities = [f"city-{i}" for i in range(10)]
    runs = asyncio.run(run_traced(build_weather_graph(delay=0.05), cities))

    for city, (captured, trace) in zip(cities, runs, strict=True):
        assert [tool.arguments for tool in trace.tool_calls()] == [{"city": city}]
        assert {span.trace_id for span in captured.spans} == {captured.trace_id}
        assert trace.output == f"answer: sunny in {city}"


def test_suite_run_stores_tool_calls_errors_and_tokens(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "weather.jsonl", [record("paris", "Paris"), record("atlantis", "Atlantis")])

    result = pytester.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs")

    result.assert_outcomes(passed=2)
    tasks = stored_tasks(pytester.path / "runs")
    (paris_tool,) = stored_steps(tasks["paris"], "tool_call")
    assert paris_tool["arguments"] == {"city": "Paris"} and paris_tool["result"] == "sunny in Paris"
    assert tasks["paris"]["outputs"]["body"] == "answer: sunny in Paris"
    assert tasks["paris"]["tokens"] | {"total": 0} == {"input": 62, "output": 16, "cache_read": 8,
                                                        "cache_creation": 0, "reasoning": 0, "total": 0}
    (atlantis_tool,) = stored_steps(tasks["atlantis"], "tool_call")
    assert atlantis_tool["error"] == {"type": "RuntimeError", "message": "weather service down"}


def test_ten_concurrent_suite_tasks_never_mix_spans(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "weather.jsonl", [record(f"t{i}", f"city-{i}") for i in range(10)])
    IN_FLIGHT["max"] = 0

    result = pytester.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs", "--eval-concurrency=10")

    result.assert_outcomes(passed=10)
    assert IN_FLIGHT["max"] > 1
    for task_id, task in stored_tasks(pytester.path / "runs").items():
        city = task["inputs"]["input"]
        assert [step["arguments"] for step in stored_steps(task, "tool_call")] == [{"city": city}], task_id
        assert len(stored_steps(task, "model_call")) == 2
        assert task["tokens"]["input"] == 62
