"""What every framework adapter is: the `FrameworkAdapter` protocol and the `AgentCall` it makes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from opentelemetry.trace import TracerProvider

from pytest_agenteval.task import Task

AgentCall = Callable[[Task], Awaitable[Any]]


class FrameworkAdapter(Protocol):
    """Turns one framework's agent object into an `AgentCall`, with instrumentation switched on."""

    def matches(self, agent: Any) -> bool:
        """True when `agent` belongs to this framework (decided without importing it)."""
        ...

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        """The call that runs `agent` on a task, its spans going to `provider`."""
        ...
