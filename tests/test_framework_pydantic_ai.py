"""pydantic-ai's own quirks (the shared adapter contract is in test_framework_contract.py): instrumentation is
bound to the plugin's provider for each run, and a user's own instrumentation setting is kept."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pytest_agenteval.agents.calls import adapt_agent
from pytest_agenteval.task import Task

from .helpers import read_single_run, record, stored_steps, write_suite

pytest.importorskip("pydantic_ai", reason="needs pydantic-ai-slim (the examples extra)")

# The user's own choice: instrumented, without content. The plugin must keep it.
NO_CONTENT_CONFTEST = '''
import pytest
from pydantic_ai import InstrumentationSettings
from tests.pydantic_ai_weather import build_agent


@pytest.fixture(scope="session")
def eval_agent():
    agent = build_agent()
    agent.instrument = InstrumentationSettings(include_content=False)
    return agent
'''


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
