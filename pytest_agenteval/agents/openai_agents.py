"""OpenAI Agents SDK (`agents.Agent`): `Runner.run`, traced by openinference-instrumentation-openai-agents.

Imports the SDK and the instrumentor only in `bind`, so the core never needs them.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.model_config import refuse_config
from pytest_agenteval.task import Task
from pytest_agenteval.warning_types import TraceWarning

INSTRUMENTOR_MODULE = "openinference.instrumentation.openai_agents"


class OpenAIAgentsAdapter:
    """An `agents.Agent` of the OpenAI Agents SDK (the `agents` package), or a subclass of it."""

    def matches(self, agent: Any) -> bool:
        sdk = sys.modules.get("agents")  # loaded, since the agent was made from it; a user's own `agents` has no Runner
        return hasattr(sdk, "Runner") and any(
            cls.__name__ == "Agent" and cls.__module__.split(".", 1)[0] == "agents" for cls in type(agent).__mro__
        )

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        runner = importlib.import_module("agents").Runner
        instrument_openai_agents(provider)

        async def call(task: Task) -> Any:
            refuse_config(task, "an OpenAI Agents SDK agent")
            result = await runner.run(agent, task.input)
            return result.final_output

        return call


def instrument_openai_agents(provider: TracerProvider) -> None:
    """Switch on OpenInference's Agents SDK instrumentation with `provider`, once per process.

    Its processor replaces the SDK's trace processors, so the SDK's default exporter never sends the
    eval runs to OpenAI. An instrumentation already on (the user's, or an earlier session's) is left as it is.
    """
    try:
        instrumentor = importlib.import_module(INSTRUMENTOR_MODULE).OpenAIAgentsInstrumentor()
    except ImportError:
        warnings.warn(
            "openinference-instrumentation-openai-agents is not installed, so the Agents SDK's spans do not "
            "reach the plugin and traces hold no model or tool calls; "
            "pip install openinference-instrumentation-openai-agents",
            TraceWarning,
            stacklevel=2,
        )
        return
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)
