"""AG2 agents through the plugin: TelemetryMiddleware attached for them, spans read into the stored trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import read_single_run, record, write_suite
from .framework_runs import stored_steps

pytest.importorskip("ag2.middleware.builtin.telemetry", reason="needs the frameworks extra")

AGENT_SOURCE = (Path(__file__).parent / "ag2_weather.py").read_text(encoding="utf-8")

CONFTEST = AGENT_SOURCE + '''
import pytest
from pytest_agenteval import scorer


@scorer
def answered(outputs):
    return bool(outputs.get("body"))


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()


@pytest.fixture
def eval_scorers():
    return [answered]


def pytest_sessionfinish(session):
    with open("peak.txt", "w") as file:
        file.write(str(TOOLS_RUNNING["peak"]))
'''

# The middleware the user attached themselves, to the provider the plugin also reads (the global one).
OWN_TELEMETRY_CONFTEST = AGENT_SOURCE + '''
import pytest
from ag2.middleware.builtin import TelemetryMiddleware


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent(middleware=[TelemetryMiddleware(agent_name="weather_bot")])
'''


def test_stored_trace_has_tool_calls_errors_tokens_and_output(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "ag2.jsonl", [record("weather", "weather in Paris"),
                                              record("forecast", "forecast in Oslo"),
                                              record("crash"), record("hello")])
    result = pytester.runpytest("--eval-suite=ag2.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=3, failed=1)
    tasks = {task["task_id"]: task for task in read_single_run(pytester.path / "runs")["tasks"]}

    weather = tasks["weather"]
    (tool,) = stored_steps(weather, "tool_call")
    assert (tool["name"], tool["arguments"], tool["result"], tool["error"]) == (
        "get_weather", {"city": "Paris"}, "sunny in Paris", None)
    assert weather["tokens"]["input"] == 55 and weather["tokens"]["output"] == 17  # record_usage not added again
    assert [call["tokens"]["input"] for call in stored_steps(weather, "model_call")] == [20, 35]
    assert stored_steps(weather, "model_call")[0]["tool_requests"][0]["call_id"] == tool["call_id"]
    assert weather["outputs"] == {"body": "It is sunny in Paris.", "content": "It is sunny in Paris."}
    assert weather["trace"]["output"] == "It is sunny in Paris."
    assert [agent["name"] for agent in stored_steps(weather, "agent")] == ["weather_bot"]

    forecast = tasks["forecast"]
    (failed,) = stored_steps(forecast, "tool_call")
    assert (failed["name"], failed["arguments"]) == ("get_forecast", {"city": "Oslo"})
    assert failed["error"] == {"type": "ConnectionError", "message": "forecast service down for Oslo"}
    assert forecast["exception"] is None and forecast["verdict"] == "passed"  # the model carried on

    crash = tasks["crash"]
    assert crash["exception"] == {"type": "ValueError", "message": "provider exploded"}
    assert crash["verdict"] == "error" and crash["outputs"] == {}
    assert stored_steps(crash, "agent")[0]["error"] == {"type": "ValueError", "message": "provider exploded"}

    assert tasks["hello"]["tokens"]["total"] == 16 and tasks["hello"]["outputs"]["body"] == "hello"


def test_ten_concurrent_tasks_of_one_shared_agent_keep_their_own_spans(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    cities = [f"City{i}" for i in range(10)]
    write_suite(pytester.path / "many.jsonl", [record(city, f"weather in {city}") for city in cities])
    result = pytester.runpytest("--eval-suite=many.jsonl", "--eval-store=runs", "--eval-concurrency=10")
    result.assert_outcomes(passed=10)
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    for task in tasks:
        (tool,) = stored_steps(task, "tool_call")
        assert tool["arguments"] == {"city": task["task_id"]}
        assert tool["result"] == f"sunny in {task['task_id']}"
        assert task["outputs"]["body"] == f"It is sunny in {task['task_id']}."
        assert task["tokens"]["total"] == 72
    assert len({task["trace_ref"]["trace_id"] for task in tasks}) == 10
    assert int((pytester.path / "peak.txt").read_text()) > 1  # the tool calls really overlapped


def test_an_agent_with_its_own_telemetry_is_not_traced_twice(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OWN_TELEMETRY_CONFTEST)
    write_suite(pytester.path / "ag2.jsonl", [record("weather", "weather in Paris")])
    pytester.runpytest("--eval-suite=ag2.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert len(stored_steps(task, "agent")) == 1 and len(stored_steps(task, "tool_call")) == 1
    assert task["tokens"]["input"] == 55


def test_a_subclass_of_an_ag2_agent_is_recognised_and_a_look_alike_is_not() -> None:
    from ag2 import Agent

    from pytest_agenteval.agents.ag2 import AG2Adapter

    class MyAgent(Agent[Any]):
        pass

    class LookAlike:
        async def ask(self, prompt: str) -> str:
            return prompt

    assert AG2Adapter().matches(MyAgent("mine"))
    assert not AG2Adapter().matches(LookAlike())
