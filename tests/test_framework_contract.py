"""What every framework adapter must do, one parametrized test per property: the stored trace has the tool
call, its failure, the tokens and the answer; a provider crash is the task's error; concurrent tasks never
mix spans. Each framework is a case of data; its own quirks are tested in tests/test_framework_<name>.py."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from types import ModuleType
from typing import Any

import pytest
from opentelemetry.trace import TracerProvider

from pytest_agenteval.tracing.capture import TaskTracer

from .fake_openai_server import FakeOpenAIServer
from .framework_runs import run_traced
from .helpers import record, stored_steps, stored_tasks, write_suite


def tokens(input_tokens: int, output_tokens: int, cache_read: int = 0) -> dict[str, int]:
    """A stored task's token totals."""
    return {"input": input_tokens, "output": output_tokens, "cache_creation": 0, "cache_read": cache_read,
            "reasoning": 0, "total": input_tokens + output_tokens}


@dataclass(frozen=True)
class ToolFailure:
    """A task whose tool raises, and what the stored task shows of it."""

    prompt: str
    tool: str
    arguments: dict[str, str]
    error: dict[str, str]
    result: str | None  # fnmatch pattern of the tool result the model was sent; None: no result
    answer: str | None  # fnmatch pattern of the agent's answer after the failure; None: the failure ended the run
    input_tokens: int


@dataclass(frozen=True)
class Framework:
    """One adapter's case of the contract: how a user wires its test agent and what that agent's script does.

    The agent gets a tool call "get_weather" for a city (`prompt`), answers `answer`, and counts its calls
    in flight in its module's `IN_FLIGHT` (or, for the OpenAI-based agents, the fake server counts them).
    """

    name: str
    needs: tuple[str, ...]  # the framework's modules; the case is skipped without them
    module: str  # the test agent's module
    conftest: str  # what a user writes; "{url}" is the fake OpenAI server's base URL
    build: Callable[[ModuleType, str, TracerProvider], Any]  # the same agent, for a direct run
    prompt: str  # "{city}" is the city
    answer: str
    call_id: str | None  # the tool call id, when the script fixes it ("{city}" is the city)
    models: tuple[str | None, str | None]  # (model, provider) of each model call
    call_input_tokens: tuple[int, int]  # of the tool-call turn and the answer turn
    tokens: dict[str, int]
    agents: tuple[str, ...]  # the agent steps' names, outermost first
    failure: ToolFailure
    crash: tuple[str, str]  # the exception type and an fnmatch pattern of its message when the model fails
    crash_call_error: tuple[str, str] | None = None  # the failed model call's error, if not the exception
    finish_reasons: tuple[str | None, str | None] = (None, None)
    counted_by_server: bool = False  # the fake server counts the calls in flight, not the agent's module
    client_instrumented: bool = False  # the openai client is instrumented on the task's provider

    def in_flight(self, server: FakeOpenAIServer) -> dict[str, int]:
        """The live counter of calls in flight (`now`, `peak`) that proves the tasks overlapped."""
        if self.counted_by_server:
            return server.in_flight
        counts: dict[str, int] = importlib.import_module(self.module).IN_FLIGHT
        return counts


def agent_conftest(imports: str, agent: str) -> str:
    """A conftest whose session-scoped eval_agent returns `agent`."""
    return f'''
import pytest
{imports}

@pytest.fixture(scope="session")
def eval_agent():
    return {agent}
'''


FRAMEWORKS = [
    Framework(
        name="ag2",
        needs=("ag2.middleware.builtin.telemetry",),
        module="tests.ag2_weather",
        conftest=agent_conftest("from tests.ag2_weather import build_agent", "build_agent()"),
        build=lambda agent, url, provider: agent.build_agent(),
        prompt="weather in {city}",
        answer="It is sunny in {city}.",
        call_id=None,  # AG2 makes up a uuid
        models=(None, None),  # AG2's TestClient names no model
        call_input_tokens=(20, 35),
        tokens=tokens(55, 17),  # the agent's record_usage is not added again
        agents=("weather_bot",),
        failure=ToolFailure(  # AG2 sends the traceback to the model, which carries on
            prompt="forecast in Oslo", tool="get_forecast", arguments={"city": "Oslo"},
            error={"type": "ConnectionError", "message": "forecast service down for Oslo"},
            result="Traceback*ConnectionError: forecast service down for Oslo*", answer="It is sunny in Oslo.",
            input_tokens=55),
        crash=("ValueError", "provider exploded"),
    ),
    Framework(
        name="pydantic_ai",
        needs=("pydantic_ai",),
        module="tests.pydantic_ai_weather",
        conftest=agent_conftest("from tests.pydantic_ai_weather import build_agent", "build_agent()"),
        build=lambda agent, url, provider: agent.build_agent(),
        prompt="weather in {city}",
        answer="It is sunny in {city}.",
        call_id="call_{city}",
        models=("weather-fn", "function"),
        call_input_tokens=(30, 50),
        tokens=tokens(80, 12),  # the agent span's total is not added again
        agents=("weather_agent",),
        failure=ToolFailure(  # in pydantic-ai a tool that raises ends the run
            prompt="forecast in Oslo", tool="get_forecast", arguments={"city": "Oslo"},
            error={"type": "ConnectionError", "message": "forecast service down for Oslo"},
            result=None, answer=None, input_tokens=30),
        crash=("ValueError", "provider exploded"),
    ),
    Framework(
        name="langchain",
        needs=("langgraph", "openinference.instrumentation.langchain"),
        module="tests.langchain_agent",
        conftest=agent_conftest("from tests.langchain_agent import build_weather_graph",
                                "build_weather_graph(handle_tool_errors=True, delay=0.05)"),
        build=lambda agent, url, provider: agent.build_weather_graph(handle_tool_errors=True, delay=0.05),
        prompt="{city}",
        answer="answer: sunny in {city}",
        call_id="call_{city}",
        models=("scripted-chat", "scriptedchatmodel"),
        call_input_tokens=(22, 40),
        tokens=tokens(62, 16, cache_read=8),
        agents=("weather_agent", "agent", "agent"),  # the graph, then its model node each time it runs
        failure=ToolFailure(  # ToolNode(handle_tool_errors=True) sends the error to the model
            prompt="Atlantis", tool="get_weather", arguments={"city": "Atlantis"},
            error={"type": "RuntimeError", "message": "weather service down"},
            result="*weather service down*", answer="answer: Error: RuntimeError*", input_tokens=62),
        crash=("ValueError", "provider exploded"),
    ),
    Framework(
        name="openai_agents",
        needs=("agents", "openinference.instrumentation.openai_agents"),
        module="tests.openai_agents_agent",
        conftest=agent_conftest("from tests.openai_agents_agent import build_weather_agent",
                                'build_weather_agent("{url}")'),
        build=lambda agent, url, provider: agent.build_weather_agent(url),
        prompt="{city}",
        answer="sunny in {city}",
        call_id=None,  # the fake server's
        models=("fake-gpt", "openai"),
        call_input_tokens=(22, 40),
        tokens=tokens(62, 16),  # the SDK's generation spans carry no cache tokens
        agents=("Agent workflow", "weather_agent"),
        failure=ToolFailure(  # the SDK keeps no exception type
            prompt="Atlantis", tool="get_weather", arguments={"city": "Atlantis"},
            error={"type": "Error", "message": "weather service down"},
            result="tool failed: weather service down", answer="tool failed: weather service down",
            input_tokens=62),
        crash=("InternalServerError", "*500*"),
        crash_call_error=("Error", "Error getting response: *500*"),  # the SDK's span keeps no exception type
        counted_by_server=True,
    ),
    Framework(
        name="openai_client",
        needs=("openai", "openinference.instrumentation.openai"),
        module="tests.openai_client_agent",
        # What docs/frameworks.md tells users to write (plus the uninstrument, for pytester's many sessions).
        conftest='''
import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor
from tests.openai_client_agent import build_client_agent

@pytest.fixture(scope="session")
def eval_agent(eval_tracer_provider):
    OpenAIInstrumentor().instrument(tracer_provider=eval_tracer_provider)
    yield build_client_agent("{url}", eval_tracer_provider)
    OpenAIInstrumentor().uninstrument()
''',
        build=lambda agent, url, provider: agent.build_client_agent(url, provider),
        prompt="{city}",
        answer="sunny in {city}",
        call_id=None,  # the fake server's
        models=("fake-gpt", "openai"),
        finish_reasons=("tool_calls", "stop"),
        call_input_tokens=(22, 40),
        tokens=tokens(62, 16, cache_read=8),
        agents=(),  # a hand-written loop has no agent span
        failure=ToolFailure(  # the result is read from the next request's tool message
            prompt="Atlantis", tool="get_weather", arguments={"city": "Atlantis"},
            error={"type": "RuntimeError", "message": "weather service down"},
            result="tool failed: weather service down", answer="tool failed: weather service down",
            input_tokens=62),
        crash=("InternalServerError", "*500*"),
        counted_by_server=True,
        client_instrumented=True,
    ),
]


def imported(framework: Framework) -> bool:
    """Import the framework and its test agent now, so that pytester, which forgets the modules an inner
    run imports, never makes each test import them again."""
    try:
        for module in (*framework.needs, framework.module):
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def cases(frameworks: list[Framework]) -> list[Any]:
    return [pytest.param(framework, id=framework.name, marks=pytest.mark.skipif(
        not imported(framework), reason="needs the frameworks extra")) for framework in frameworks]


@pytest.fixture(params=cases(FRAMEWORKS))
def framework(request: pytest.FixtureRequest) -> Framework:
    case: Framework = request.param
    return case


@pytest.fixture
def project(pytester: pytest.Pytester, framework: Framework, fake_openai: FakeOpenAIServer) -> pytest.Pytester:
    """A pytester project whose conftest wires the framework's test agent."""
    pytester.makeconftest(framework.conftest.replace("{url}", fake_openai.url))
    return pytester


@contextmanager
def direct_agent(framework: Framework, url: str, tracer: TaskTracer) -> Iterator[Any]:
    """The framework's test agent for runs outside pytest, instrumented as its conftest does."""
    agent = framework.build(importlib.import_module(framework.module), url, tracer.provider)
    if not framework.client_instrumented:
        yield agent
        return
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tracer.provider)
    try:
        yield agent
    finally:
        OpenAIInstrumentor().uninstrument()


def matches(value: Any, pattern: str | None) -> bool:
    return value is None if pattern is None else fnmatchcase(str(value), pattern)


def check_tool_task(task: dict[str, Any], framework: Framework) -> None:
    """A task that called the tool for Paris: steps linked and in order, tokens once, the answer."""
    answer = framework.answer.format(city="Paris")
    (tool,) = stored_steps(task, "tool_call")
    assert (tool["name"], tool["arguments"], tool["result"], tool["error"]) == (
        "get_weather", {"city": "Paris"}, "sunny in Paris", None)
    assert tool["call_id"]
    if framework.call_id is not None:
        assert tool["call_id"] == framework.call_id.format(city="Paris")
    model_calls = stored_steps(task, "model_call")
    assert model_calls[0]["tool_requests"] == [  # the tool call is linked to the model's request
        {"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": tool["call_id"]}]
    assert [(call["model"], call["provider"]) for call in model_calls] == [framework.models] * 2
    assert tuple(call["finish_reason"] for call in model_calls) == framework.finish_reasons
    assert tuple(call["tokens"]["input"] for call in model_calls) == framework.call_input_tokens
    assert task["tokens"] == framework.tokens
    assert task["outputs"] == {"body": answer, "content": answer}
    assert task["trace"]["output"] == answer
    assert tuple(agent["name"] for agent in stored_steps(task, "agent")) == framework.agents


def check_tool_failure(task: dict[str, Any], failure: ToolFailure) -> None:
    """A task whose tool raised: the error on the tool call, then the run goes on or ends with it."""
    (tool,) = stored_steps(task, "tool_call")
    assert (tool["name"], tool["arguments"], tool["error"]) == (failure.tool, failure.arguments, failure.error)
    assert matches(tool["result"], failure.result), tool["result"]
    assert task["tokens"]["input"] == failure.input_tokens
    if failure.answer is None:
        assert (task["exception"], task["verdict"], task["outputs"]) == (failure.error, "error", {})
    else:
        assert (task["exception"], task["verdict"]) == (None, "passed")  # the model carried on
        assert matches(task["outputs"]["body"], failure.answer), task["outputs"]


def check_crash(task: dict[str, Any], framework: Framework) -> None:
    """A task whose one model call failed: the task's error, also on that call and on the agent that made it."""
    error_type, message = framework.crash
    assert (task["verdict"], task["outputs"], task["exception"]["type"]) == ("error", {}, error_type)
    assert matches(task["exception"]["message"], message), task["exception"]
    (call,) = stored_steps(task, "model_call")
    innermost_agent = [agent["error"] for agent in stored_steps(task, "agent")][-1:]
    if framework.crash_call_error is None:
        assert call["error"] == task["exception"]
        assert innermost_agent == ([task["exception"]] if framework.agents else [])
    else:
        error_type, message = framework.crash_call_error
        assert call["error"]["type"] == error_type
        assert matches(call["error"]["message"], message), call["error"]
        assert innermost_agent and innermost_agent[0] is not None


def test_a_suite_run_stores_the_tool_call_its_failure_a_crash_tokens_and_the_answer(
        project: pytest.Pytester, framework: Framework) -> None:
    failure = framework.failure
    write_suite(project.path / "weather.jsonl", [record("paris", framework.prompt.format(city="Paris")),
                                                 record("failing", failure.prompt), record("crash")])

    result = project.runpytest("--eval-suite=weather.jsonl", "--eval-store=runs")

    ends_run = failure.answer is None
    result.assert_outcomes(passed=1 if ends_run else 2, failed=2 if ends_run else 1)
    tasks = stored_tasks(project.path / "runs")
    check_tool_task(tasks["paris"], framework)
    check_tool_failure(tasks["failing"], failure)
    check_crash(tasks["crash"], framework)


def test_ten_concurrent_suite_tasks_never_mix_spans(project: pytest.Pytester, framework: Framework,
                                                    fake_openai: FakeOpenAIServer) -> None:
    cities = [f"City{i}" for i in range(10)]
    write_suite(project.path / "many.jsonl", [record(city, framework.prompt.format(city=city)) for city in cities])
    in_flight = framework.in_flight(fake_openai)
    in_flight["peak"] = 0

    result = project.runpytest("--eval-suite=many.jsonl", "--eval-store=runs", "--eval-concurrency=10")

    result.assert_outcomes(passed=10)
    assert in_flight["peak"] > 1  # the calls really overlapped
    tasks = stored_tasks(project.path / "runs")
    for city in cities:
        task = tasks[city]
        (tool,) = stored_steps(task, "tool_call")
        assert (tool["arguments"], tool["result"]) == ({"city": city}, f"sunny in {city}"), city
        (first, _) = stored_steps(task, "model_call")
        assert first["tool_requests"] == [{"name": "get_weather", "arguments": {"city": city},
                                           "call_id": tool["call_id"]}], city
        if framework.call_id is not None:
            assert tool["call_id"] == framework.call_id.format(city=city)
        assert task["outputs"]["body"] == framework.answer.format(city=city)
        assert task["tokens"] == framework.tokens, city
    assert len({task["trace_ref"]["trace_id"] for task in tasks.values()}) == 10


def test_ten_concurrent_direct_runs_keep_their_own_spans(framework: Framework, fake_openai: FakeOpenAIServer) -> None:
    cities = [f"City{i}" for i in range(10)]
    tracer = TaskTracer()
    with direct_agent(framework, fake_openai.url, tracer) as agent:
        runs = asyncio.run(run_traced(agent, [framework.prompt.format(city=city) for city in cities], tracer))

    for city, (captured, trace) in zip(cities, runs, strict=True):
        assert [tool.arguments for tool in trace.tool_calls()] == [{"city": city}]
        assert {span.trace_id for span in captured.spans} == {captured.trace_id}
        assert trace.output == framework.answer.format(city=city)


@pytest.mark.parametrize("framework", cases([case for case in FRAMEWORKS if case.name in ("ag2", "pydantic_ai")]),
                         indirect=True)
def test_an_answer_without_a_tool_call_is_one_model_call_with_its_tokens(
        framework: Framework, fake_openai: FakeOpenAIServer) -> None:
    tracer = TaskTracer()
    with direct_agent(framework, fake_openai.url, tracer) as agent:  # these two scripts echo a plain prompt
        ((_, trace),) = asyncio.run(run_traced(agent, ["hello"], tracer))

    (call,) = trace.model_calls()
    assert (trace.output, trace.tokens.total, call.tokens.input) == ("hello", 16, 12)
    assert trace.tool_calls() == []
