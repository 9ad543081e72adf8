"""LangGraph + openinference-instrumentation-langchain, offline: the LangChain quirks (the shared adapter
contract is in test_framework_contract.py)."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("langgraph", reason="needs the frameworks extra")
pytest.importorskip("openinference.instrumentation.langchain", reason="needs the frameworks extra")

from pytest_agenteval.agents.frameworks import FRAMEWORK_ADAPTERS
from pytest_agenteval.agents.langchain import LangChainAdapter
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage

from .framework_runs import run_traced
from .langchain_agent import ScriptedChatModel, build_weather_graph


def test_a_compiled_graph_and_a_chat_model_are_taken_by_the_langchain_adapter() -> None:
    adapter = next(a for a in FRAMEWORK_ADAPTERS if isinstance(a, LangChainAdapter))
    assert adapter.matches(build_weather_graph())
    assert adapter.matches(ScriptedChatModel())
    assert not adapter.matches(lambda prompt: prompt)


def test_tool_that_raises_is_a_tool_error_and_the_runs_exception() -> None:
    ((captured, trace),) = asyncio.run(run_traced(build_weather_graph(), ["Atlantis"]))

    assert isinstance(captured.exception, RuntimeError)  # LangGraph's ToolNode re-raises by default
    (tool,) = trace.tool_errors()
    assert tool.error == ErrorInfo("RuntimeError", "weather service down")
    assert tool.arguments == {"city": "Atlantis"}
    assert trace.exception == ErrorInfo("RuntimeError", "weather service down")
    assert trace.tokens == TokenUsage(input=22, output=7, cache_read=4)


def test_a_runnable_without_messages_input_gets_the_string_as_is() -> None:
    ((captured, trace),) = asyncio.run(run_traced(ScriptedChatModel(), ["hello"]))

    assert captured.output == "answer: hello"
    (call,) = trace.model_calls()
    assert call.tokens == TokenUsage(input=40, output=9, cache_read=4)
