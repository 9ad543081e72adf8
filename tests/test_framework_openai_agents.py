"""OpenAI Agents SDK + openinference-instrumentation-openai-agents on a fake chat.completions server: the SDK's
quirks (the shared adapter contract is in test_framework_contract.py)."""

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

from .fake_openai_server import FakeOpenAIServer
from .framework_runs import run_traced
from .openai_agents_agent import build_weather_agent


@pytest.fixture
def client_instrumented() -> Iterator[None]:
    """The openai client instrumented too (on the global provider), as users often do."""
    OpenAIInstrumentor().instrument()
    yield
    OpenAIInstrumentor().uninstrument()


def test_agents_sdk_agent_is_taken_by_its_adapter(fake_openai: FakeOpenAIServer) -> None:
    matching = [a for a in FRAMEWORK_ADAPTERS if a.matches(build_weather_agent(fake_openai.url))]
    assert [type(a) for a in matching] == [OpenAIAgentsAdapter]


def test_nested_openai_client_spans_count_tokens_once_and_add_cache_reads(
    fake_openai: FakeOpenAIServer, client_instrumented: None
) -> None:
    ((_, trace),) = asyncio.run(run_traced(build_weather_agent(fake_openai.url), ["Paris"]))

    assert [span.name for span in trace.spans].count("ChatCompletion") == 2
    assert len(trace.model_calls()) == 2
    assert trace.tokens == TokenUsage(input=62, output=16, cache_read=8)
    assert [call.finish_reason for call in trace.model_calls()] == ["tool_calls", "stop"]


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
