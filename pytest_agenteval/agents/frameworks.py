"""Framework adapters: run a framework's agent with its tracing bound to the plugin's provider.

Each adapter recognises its framework by the classes of the agent and imports the framework only
when it binds, so no framework is ever a core dependency.
"""

from __future__ import annotations

from pytest_agenteval.agents.ag2 import AG2Adapter
from pytest_agenteval.agents.base import AgentCall, FrameworkAdapter
from pytest_agenteval.agents.langchain import LangChainAdapter
from pytest_agenteval.agents.openai_agents import OpenAIAgentsAdapter
from pytest_agenteval.agents.pydantic_ai import PydanticAIAdapter

__all__ = ["FRAMEWORK_ADAPTERS", "AgentCall", "FrameworkAdapter"]

FRAMEWORK_ADAPTERS: tuple[FrameworkAdapter, ...] = (
    AG2Adapter(), PydanticAIAdapter(), LangChainAdapter(), OpenAIAgentsAdapter()
)
