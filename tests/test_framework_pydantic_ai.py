"""pydantic-ai agents through the plugin: instrumentation bound to the plugin's provider for each run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pytest_agenteval.agents.calls import adapt_agent
from pytest_agenteval.task import Task

from .conftest import read_single_run, record, write_suite
from .framework_runs import stored_steps

pytest.importorskip("pydantic_ai", reason="needs pydantic-ai-slim (the examples extra)")

AGENT_SOURCE = (Path(__file__).parent / "pydantic_ai_weather.py").read_text(encoding="utf-8")

CONFTEST = AGENT_SOURCE + '''
import pytest


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()


def pytest_sessionfinish(session):
    with open("peak.txt", "w") as file:
        file.write(str(TOOLS_RUNNING["peak"]))
'''

# The user's own choice: instrumented, without content. The plugin must keep it.
NO_CONTENT_CONFTEST = AGENT_SOURCE + '''
import pytest
from pydantic_ai import InstrumentationSettings


@pytest.fixture(scope="session")
def eval_agent():
    agent = build_agent()
    agent.instrument = InstrumentationSettings(include_content=False)
    return agent
'''


def test_stored_trace_has_tool_calls_errors_tokens_and_output(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "pai.jsonl", [record("weather", "weather in Paris"),
                                              record("forecast", "forecast in Oslo"),
                                              record("crash"), record("hello")])
    result = pytester.runpytest("--eval-suite=pai.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=2, failed=2)
    tasks = {task["task_id"]: task for task in read_single_run(pytester.path / "runs")["tasks"]}

    weather = tasks["weather"]
    (tool,) = stored_steps(weather, "tool_call")
    assert (tool["name"], tool["arguments"], tool["result"], tool["call_id"], tool["error"]) == (
        "get_weather", {"city": "Paris"}, "sunny in Paris", "call_Paris", None)
    assert weather["tokens"]["input"] == 80 and weather["tokens"]["output"] == 12  # agent span's total not added
    assert [(call["model"], call["provider"]) for call in stored_steps(weather, "model_call")] == [
        ("weather-fn", "function"), ("weather-fn", "function")]
    assert weather["outputs"] == {"body": "It is sunny in Paris.", "content": "It is sunny in Paris."}
    assert [agent["name"] for agent in stored_steps(weather, "agent")] == ["weather_agent"]

    forecast = tasks["forecast"]  # in pydantic-ai a tool that raises ends the run
    (failed,) = stored_steps(forecast, "tool_call")
    assert (failed["name"], failed["arguments"]) == ("get_forecast", {"city": "Oslo"})
    assert failed["error"] == {"type": "ConnectionError", "message": "forecast service down for Oslo"}
    assert forecast["exception"] == failed["error"] and forecast["verdict"] == "error"
    assert forecast["tokens"]["input"] == 30

    crash = tasks["crash"]
    assert crash["exception"] == {"type": "ValueError", "message": "provider exploded"}
    assert crash["verdict"] == "error" and crash["outputs"] == {}

    assert tasks["hello"]["outputs"]["body"] == "hello" and tasks["hello"]["tokens"]["total"] == 16


def test_ten_concurrent_tasks_of_one_shared_agent_keep_their_own_spans(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    cities = [f"City{i}" for i in range(10)]
    write_suite(pytester.path / "many.jsonl", [record(city, f"weather in {city}") for city in cities])
    result = pytester.runpytest("--eval-suite=many.jsonl", "--eval-store=runs", "--eval-concurrency=10")
    result.assert_outcomes(passed=10)
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    for task in tasks:
        (tool,) = stored_steps(task, "tool_call")
        assert (tool["arguments"], tool["call_id"]) == ({"city": task["task_id"]}, f"call_{task['task_id']}")
        assert task["outputs"]["body"] == f"It is sunny in {task['task_id']}."
        assert task["tokens"]["total"] == 92
    assert int((pytester.path / "peak.txt").read_text()) > 1  # the tool calls really overlapped


def test_a_users_instrumentation_setting_is_kept(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(NO_CONTENT_CONFTEST)
    write_suite(pytester.path / "pai.jsonl", [record("weather", "weather in Paris")])
    pytester.runpytest("--eval-suite=pai.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    (tool,) = stored_steps(task, "tool_call")
    assert tool["name"] == "get_weather" and tool["arguments"] is None  # include_content=False dropped them
    assert task["tokens"]["input"] == 80


def test_binding_instruments_the_run_without_touching_the_shared_agent() -> None:
    from .pydantic_ai_weather import build_agent

    agent, exporter, provider = build_agent(), InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    call = adapt_agent(agent, provider=provider)

    async def both() -> list[Any]:
        return list(await asyncio.gather(call(Task("a", {"input": "hello"})), call(Task("b", {"input": "hi"}))))

    assert [result.output for result in asyncio.run(both())] == ["hello", "hi"]
    assert agent.instrument is None
    assert sorted(span.name for span in exporter.get_finished_spans()) == [
        "chat weather-fn", "chat weather-fn", "invoke_agent weather_agent", "invoke_agent weather_agent"]
