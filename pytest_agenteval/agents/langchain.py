"""LangChain runnables and LangGraph compiled graphs: `ainvoke`, traced by openinference-instrumentation-langchain.

Imports nothing from LangChain; the instrumentor is imported in `bind`, so the core never needs either.
"""

from __future__ import annotations

import importlib
import warnings
from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.model_config import refuse_config
from pytest_agenteval.task import Task
from pytest_agenteval.warning_types import TraceWarning

LANGCHAIN_PACKAGES = frozenset({"langchain_core", "langgraph"})
INSTRUMENTOR_MODULE = "openinference.instrumentation.langchain"


class LangChainAdapter:
    """A LangChain `Runnable` (a LangGraph compiled graph included): its class or a base comes from LangChain."""

    def matches(self, agent: Any) -> bool:
        packages = {cls.__module__.split(".", 1)[0] for cls in type(agent).__mro__}
        return bool(packages & LANGCHAIN_PACKAGES) and callable(getattr(agent, "ainvoke", None))

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        instrument_langchain(provider)
        wants_messages = takes_messages(agent)

        async def call(task: Task) -> Any:
            refuse_config(task, "a LangChain runnable")
            value = task.input
            if wants_messages and isinstance(value, str):
                value = {"messages": [("user", value)]}
            return last_message_content(await agent.ainvoke(value))

        return call


def instrument_langchain(provider: TracerProvider) -> None:
    """Switch on OpenInference's LangChain instrumentation with `provider`, once per process.

    An instrumentation already on (the user's, or an earlier session's) is left as it is.
    """
    try:
        instrumentor = importlib.import_module(INSTRUMENTOR_MODULE).LangChainInstrumentor()
    except ImportError:
        warnings.warn(
            "openinference-instrumentation-langchain is not installed, so LangChain emits no spans and "
            "traces hold no model or tool calls; pip install openinference-instrumentation-langchain",
            TraceWarning,
            stacklevel=2,
        )
        return
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def takes_messages(agent: Any) -> bool:
    """True when the runnable's input schema has a `messages` field (a LangGraph messages graph)."""
    try:
        schema = agent.get_input_jsonschema()
    except Exception:  # a runnable whose schema cannot be built takes its input as is
        return False
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return isinstance(properties, dict) and "messages" in properties


def last_message_content(returned: Any) -> Any:
    """The content of the last message of a graph state or a message; anything else unchanged."""
    if isinstance(returned, dict) and isinstance(returned.get("messages"), list) and returned["messages"]:
        returned = returned["messages"][-1]
    content = getattr(returned, "content", None)
    if content is None or callable(content):
        return returned
    if isinstance(content, list):  # content blocks: keep the text ones
        texts = [block if isinstance(block, str) else block.get("text") for block in content
                 if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")]
        text = "".join(text for text in texts if isinstance(text, str))
        return text if texts else content
    return content
