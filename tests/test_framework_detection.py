"""LangChain and Agents SDK adapters without the frameworks installed: which objects they take, and the
warning when an instrumentor is missing."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import pytest_agenteval
from pytest_agenteval.agents.langchain import LangChainAdapter, instrument_langchain, last_message_content
from pytest_agenteval.agents.openai_agents import OpenAIAgentsAdapter, instrument_openai_agents


def made_in(module: str, name: str, **methods: Any) -> Any:
    """An instance of a class that claims to come from `module`."""
    return type(name, (), {"__module__": module, **methods})()


async def _ainvoke(self: Any, value: Any) -> Any:
    return value


def test_langchain_adapter_takes_runnables_by_their_package_and_ainvoke() -> None:
    adapter = LangChainAdapter()
    assert adapter.matches(made_in("langgraph.graph.state", "CompiledStateGraph", ainvoke=_ainvoke))
    assert adapter.matches(made_in("langchain_core.runnables.base", "RunnableLambda", ainvoke=_ainvoke))
    assert not adapter.matches(made_in("langgraph.graph.state", "StateGraph"))  # not compiled: no ainvoke
    assert not adapter.matches(made_in("my_app.chains", "Chain", ainvoke=_ainvoke))


def test_agents_sdk_adapter_wants_the_sdks_agent_class_not_any_agents_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adapter = OpenAIAgentsAdapter()
    monkeypatch.setitem(sys.modules, "agents", types.ModuleType("agents"))  # a user's own `agents`
    assert not adapter.matches(made_in("agents.agent", "Agent"))
    sdk = types.ModuleType("agents")
    sdk.Runner = object  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agents", sdk)
    assert adapter.matches(made_in("agents.agent", "Agent"))
    assert not adapter.matches(made_in("agents.tool", "FunctionTool"))


def test_last_message_content_reads_states_messages_and_text_blocks() -> None:
    message = made_in("langchain_core.messages.ai", "AIMessage")
    message.content = [{"type": "text", "text": "sunny"}, {"type": "tool_use", "id": "x"}]
    assert last_message_content({"messages": ["ignored", message]}) == "sunny"
    assert last_message_content({"answer": 42}) == {"answer": 42}


@pytest.mark.parametrize(
    ("module", "instrument", "package"),
    [
        ("openinference.instrumentation.langchain", instrument_langchain, "openinference-instrumentation-langchain"),
        ("openinference.instrumentation.openai_agents", instrument_openai_agents,
         "openinference-instrumentation-openai-agents"),
    ],
)
def test_missing_instrumentor_warns_that_traces_will_be_empty_and_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, instrument: Any, package: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError

    with pytest.warns(pytest_agenteval.TraceWarning, match=rf"^{package} is not installed, .* pip install {package}$"):
        instrument(TracerProvider())
