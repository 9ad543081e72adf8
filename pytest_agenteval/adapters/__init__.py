"""Framework adapters: run a framework's agent with its tracing bound to the plugin's provider.

Each adapter recognises its framework by the agent's module name and imports the framework only
when it binds, so no framework is ever a core dependency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from opentelemetry.trace import TracerProvider

from ..task import Task

AgentCall = Callable[[Task], Awaitable[Any]]


class FrameworkAdapter(Protocol):
    """Turns one framework's agent object into an `AgentCall`, with instrumentation switched on."""

    def matches(self, agent: Any) -> bool:
        """True when `agent` belongs to this framework (decided without importing it)."""
        ...

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        """The call that runs `agent` on a task, its spans going to `provider`."""
        ...


def module_of(agent: Any) -> str:
    """The top-level package an object's class comes from (`pydantic_ai`, `ag2`, ...)."""
    return type(agent).__module__.split(".", 1)[0]


# Each adapter module imports the names above, so the registry is filled last.
from .ag2 import AG2Adapter  # noqa: E402
from .langchain import LangChainAdapter  # noqa: E402
from .openai_agents import OpenAIAgentsAdapter  # noqa: E402
from .pydantic_ai import PydanticAIAdapter  # noqa: E402

FRAMEWORK_ADAPTERS: tuple[FrameworkAdapter, ...] = (
    AG2Adapter(), PydanticAIAdapter(), LangChainAdapter(), OpenAIAgentsAdapter()
)
