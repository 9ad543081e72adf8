"""The plain openai client + openinference-instrumentation-openai, wired by the user with `eval_tracer_provider`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("openai", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.openai", reason="needs the frameworks extra")

from openinference.instrumentation.openai import OpenAIInstrumentor

from pytest_agenteval.tracing.capture import TaskTracer
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage

from .conftest import record, write_suite
from .fake_openai_server import BROKEN_MODEL, FakeOpenAIServer, serve
from .framework_runs import run_traced, stored_steps, stored_tasks
from .openai_client_agent import build_client_agent

# What docs/frameworks.md tells users to write (plus the uninstrument, for pytester's many sessions).
CONFTEST = '''
import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor
from tests.openai_client_agent import build_client_agent

@pytest.fixture(scope="session")
def eval_agent(eval_tracer_provider):
    OpenAIInstrumentor().instrument(tracer_provider=eval_tracer_provider)
    yield build_client_agent("{url}", eval_tracer_provider)
    OpenAIInstrumentor().uninstrument()
'''


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with serve(delay=0.02) as server:
        yield server


@pytest.fixture
def tracer() -> Iterator[TaskTracer]:
    """A task tracer with the openai client instrumented on its provider."""
    task_tracer = TaskTracer()
    OpenAIInstrumentor().instrument(tracer_provider=task_tracer.provider)
    yield task_tracer
    OpenAIInstrumentor().uninstrument()
    task_tracer.close()


def test_tool_loop_traces_model_calls_tool_call_tokens_and_output(fake_openai: FakeOpenAIServer,
                                                                   tracer: TaskTracer) -> None:
    agent = build_client_agent(fake_openai.url, tracer.provider)
    ((captured, trace),) = asyncio.run(run_traced(agent, ["Paris"], tracer))

    assert captured.output == "sunny in Paris"
    (tool,) = trace.tool_calls()
    assert (tool.name, tool.arguments, tool.result) == ("get_weather", {"city": "Paris"}, "sunny in Paris")
    assert tool.call_id is not None  # linked to the model's request
    assert [(c.model, c.finish_reason) for c in trace.model_calls()] == [("fake-gpt", "tool_calls"),
                                                                         ("fake-gpt", "stop")]
    assert trace.tokens == TokenUsage(input=62, output=16, cache_read=8)
    assert trace.output == "sunny in Paris"


def test_tool_that_raises_is_a_tool_error_with_its_type(fake_openai: FakeOpenAIServer, tracer: TaskTracer) -> None:
    agent = build_client_agent(fake_openai.url, tracer.provider)
    ((captured, trace),) = asyncio.run(run_traced(agent, ["Atlantis"], tracer))

    assert captured.exception is None
    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("RuntimeError", "weather service down")
    assert tool.result == "tool failed: weather service down"  # read from the next request's tool message


def test_failed_model_call_is_the_runs_exception_and_a_model_call_error(fake_openai: FakeOpenAIServer,
                                                                          tracer: TaskTracer) -> None:
    agent = build_client_agent(fake_openai.url, tracer.provider, model=BROKEN_MODEL)
    ((captured, trace),) = asyncio.run(run_traced(agent, ["Paris"], tracer))

    assert type(captured.exception).__name__ == "InternalServerError"
    (call,) = trace.model_calls()
    assert call.error is not None and call.error.type == "InternalServerError"
    assert trace.exception is not None and trace.exception.type == "InternalServerError"


def test_tools_without_spans_leave_only_the_models_requests(fake_openai: FakeOpenAIServer,
                                                             tracer: TaskTracer) -> None:
    agent = build_client_agent(fake_openai.url, tracer.provider, traced_tools=False)
    ((_, trace),) = asyncio.run(run_traced(agent, ["Paris"], tracer))

    assert trace.tool_calls() == []
    (request,) = trace.model_calls()[0].tool_requests
    assert (request.name, request.arguments) == ("get_weather", {"city": "Paris"})


def test_ten_concurrent_runs_keep_their_own_spans(fake_openai: FakeOpenAIServer, tracer: TaskTracer) -> None:
    cities = [f"city-{i}" for i in range(10)]
    agent = build_client_agent(fake_openai.url, tracer.provider)
    runs = asyncio.run(run_traced(agent, cities, tracer))

    for city, (captured, trace) in zip(cities, runs, strict=True):
        assert [tool.arguments for tool in trace.tool_calls()] == [{"city": city}]
        assert {span.trace_id for span in captured.spans} == {captured.trace_id}


def test_suite_run_with_eval_tracer_provider_stores_tool_calls_and_tokens(pytester: pytest.Pytester,
                                                                          fake_openai: FakeOpenAIServer) -> None:
    pytester.makeconftest(CONFTEST.format(url=fake_openai.url))
    write_suite(pytester.path / "weather.jsonl", [record("paris", "Paris"), record("atlantis", "Atlantis")])

    result = pytester.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs")

    result.assert_outcomes(passed=2)
    tasks = stored_tasks(pytester.path / "runs")
    (paris_tool,) = stored_steps(tasks["paris"], "tool_call")
    assert paris_tool["arguments"] == {"city": "Paris"} and paris_tool["result"] == "sunny in Paris"
    assert tasks["paris"]["tokens"] | {"total": 0} == {"input": 62, "output": 16, "cache_read": 8,
                                                        "cache_creation": 0, "reasoning": 0, "total": 0}
    (atlantis_tool,) = stored_steps(tasks["atlantis"], "tool_call")
    assert atlantis_tool["error"] == {"type": "RuntimeError", "message": "weather service down"}


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
        assert len(stored_steps(task, "model_call")) == 2
