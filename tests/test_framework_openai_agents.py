"""OpenAI Agents SDK + openinference-instrumentation-openai-agents on a fake chat.completions server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("agents", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.openai_agents", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.openai", reason="needs the frameworks extra")

from openinference.instrumentation.openai import OpenAIInstrumentor

from pytest_agenteval.agents.frameworks import FRAMEWORK_ADAPTERS
from pytest_agenteval.agents.openai_agents import OpenAIAgentsAdapter
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage

from .conftest import record, write_suite
from .fake_openai_server import FakeOpenAIServer, serve
from .framework_runs import run_traced, stored_steps, stored_tasks
from .openai_agents_agent import build_weather_agent

CONFTEST = '''
import pytest
from tests.openai_agents_agent import build_weather_agent

@pytest.fixture(scope="session")
def eval_agent():
    return build_weather_agent("{url}")
'''


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with serve(delay=0.02) as server:
        yield server


@pytest.fixture
def client_instrumented() -> Iterator[None]:
    """The openai client instrumented too (on the global provider), as users often do."""
    OpenAIInstrumentor().instrument()
    yield
    OpenAIInstrumentor().uninstrument()


def test_agents_sdk_agent_is_taken_by_its_adapter(fake_openai: FakeOpenAIServer) -> None:
    matching = [a for a in FRAMEWORK_ADAPTERS if a.matches(build_weather_agent(fake_openai.url))]
    assert [type(a) for a in matching] == [OpenAIAgentsAdapter]


def test_run_traces_tool_arguments_result_tokens_and_final_output(fake_openai: FakeOpenAIServer) -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_agent(fake_openai.url), ["Paris"]))

    assert captured.output == "sunny in Paris"
    (tool,) = trace.tool_calls()
    assert (tool.name, tool.arguments, tool.result, tool.error) == (
        "get_weather", {"city": "Paris"}, "sunny in Paris", None)
    assert tool.call_id is not None and tool.call_id.startswith("call_")  # linked from the model's request
    assert [call.model for call in trace.model_calls()] == ["fake-gpt", "fake-gpt"]
    assert trace.tokens == TokenUsage(input=62, output=16)  # the SDK's generation spans carry no cache tokens
    assert [agent.name for agent in trace.agents()] == ["Agent workflow", "weather_agent"]


def test_nested_openai_client_spans_count_tokens_once_and_add_cache_reads(
    fake_openai: FakeOpenAIServer, client_instrumented: None
) -> None:
    ((_, trace),) = asyncio.run(run_traced(build_weather_agent(fake_openai.url), ["Paris"]))

    assert [span.name for span in trace.spans].count("ChatCompletion") == 2
    assert len(trace.model_calls()) == 2
    assert trace.tokens == TokenUsage(input=62, output=16, cache_read=8)
    assert [call.finish_reason for call in trace.model_calls()] == ["tool_calls", "stop"]


def test_tool_that_raises_is_a_tool_error_and_the_run_goes_on(fake_openai: FakeOpenAIServer) -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_agent(fake_openai.url), ["Atlantis"]))

    assert captured.exception is None
    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("Error", "weather service down")  # the SDK keeps no exception type
    assert tool.result == "tool failed: weather service down"
    assert trace.output == "tool failed: weather service down"


def test_default_tool_error_function_redacts_the_error_in_the_trace(fake_openai: FakeOpenAIServer) -> None:
    agent = build_weather_agent(fake_openai.url, redact_tool_errors=True)
    ((_, trace),) = asyncio.run(run_traced(agent, ["Atlantis"]))

    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("Error", "Tool execution failed. Error details are redacted.")


def test_sdk_default_exporter_never_uploads_the_eval_runs(fake_openai: FakeOpenAIServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.tracing import get_trace_provider
    from agents.tracing.processors import BackendSpanExporter

    exported: list[object] = []
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used")
    monkeypatch.setattr(BackendSpanExporter, "export", lambda self, items: exported.extend(items))

    asyncio.run(run_traced(build_weather_agent(fake_openai.url), ["Paris"]))
    get_trace_provider().force_flush()

    assert exported == []


def test_ten_concurrent_runs_keep_their_own_spans(fake_openai: FakeOpenAIServer) -> None:
    cities = [f"city-{i}" for i in range(10)]
    runs = asyncio.run(run_traced(build_weather_agent(fake_openai.url), cities))

    for city, (captured, trace) in zip(cities, runs, strict=True):
        assert [tool.arguments for tool in trace.tool_calls()] == [{"city": city}]
        assert {span.trace_id for span in captured.spans} == {captured.trace_id}
        assert captured.output == f"sunny in {city}"


def test_suite_run_stores_tool_calls_errors_and_tokens(pytester: pytest.Pytester,
                                                       fake_openai: FakeOpenAIServer) -> None:
    pytester.makeconftest(CONFTEST.format(url=fake_openai.url))
    write_suite(pytester.path / "weather.jsonl", [record("paris", "Paris"), record("atlantis", "Atlantis")])

    result = pytester.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs")

    result.assert_outcomes(passed=2)
    tasks = stored_tasks(pytester.path / "runs")
    (paris_tool,) = stored_steps(tasks["paris"], "tool_call")
    assert paris_tool["arguments"] == {"city": "Paris"} and paris_tool["result"] == "sunny in Paris"
    assert tasks["paris"]["outputs"]["body"] == "sunny in Paris"
    assert (tasks["paris"]["tokens"]["input"], tasks["paris"]["tokens"]["output"]) == (62, 16)
    (atlantis_tool,) = stored_steps(tasks["atlantis"], "tool_call")
    assert atlantis_tool["error"] == {"type": "Error", "message": "weather service down"}


def test_ten_concurrent_suite_tasks_never_mix_spans(pytester: pytest.Pytester,
                                                     fake_openai: FakeOpenAIServer) -> None:
    pytester.makeconftest(CONFTEST.format(url=fake_openai.url))
    write_suite(pytester.path / "weather.jsonl", [record(f"t{i}", f"city-{i}") for i in range(10)])
    fake_openai.max_in_flight = 0

    result = pytester.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs", "--eval-concurrency=10")

    result.assert_outcomes(passed=10)
    assert fake_openai.max_in_flight > 1
    for task_id, task in stored_tasks(pytester.path / "runs").items():
        city = task["inputs"]["input"]
        assert [step["arguments"] for step in stored_steps(task, "tool_call")] == [{"city": city}], task_id
        assert task["outputs"]["body"] == f"sunny in {city}"
        assert task["tokens"]["input"] == 62
