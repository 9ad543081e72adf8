"""The plain openai client + openinference-instrumentation-openai: what its trace holds when the tools have no
spans (the shared adapter contract, wired with `eval_tracer_provider`, is in test_framework_contract.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("openai", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.openai", reason="needs the frameworks extra")

from openinference.instrumentation.openai import OpenAIInstrumentor

from pytest_agenteval.tracing.capture import TaskTracer

from .fake_openai_server import FakeOpenAIServer
from .framework_runs import run_traced
from .openai_client_agent import build_client_agent


@pytest.fixture
def tracer() -> Iterator[TaskTracer]:
    """A task tracer with the openai client instrumented on its provider."""
    task_tracer = TaskTracer()
    OpenAIInstrumentor().instrument(tracer_provider=task_tracer.provider)
    yield task_tracer
    OpenAIInstrumentor().uninstrument()
    task_tracer.close()


def test_tools_without_spans_leave_only_the_models_requests(fake_openai: FakeOpenAIServer,
                                                             tracer: TaskTracer) -> None:
    agent = build_client_agent(fake_openai.url, tracer.provider, traced_tools=False)
    ((_, trace),) = asyncio.run(run_traced(agent, ["Paris"], tracer))

    assert trace.tool_calls() == []
    (request,) = trace.model_calls()[0].tool_requests
    assert (request.name, request.arguments) == ("get_weather", {"city": "Paris"})
