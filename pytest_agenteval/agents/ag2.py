"""AG2 (`ag2.Agent`): `ask` with a `TelemetryMiddleware` that writes its spans to the plugin's provider.

Imports ag2 only in `bind`, so the core never needs it.
"""

from __future__ import annotations

import importlib
from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.task import Task


class AG2Adapter:
    """An object with an async `ask` whose class (or a base) comes from `ag2`: an `ag2.Agent` or a subclass."""

    def matches(self, agent: Any) -> bool:
        from_ag2 = any(cls.__module__.split(".", 1)[0] == "ag2" for cls in type(agent).__mro__)
        return from_ag2 and callable(getattr(agent, "ask", None))

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        telemetry = importlib.import_module("ag2.middleware.builtin").TelemetryMiddleware
        # An agent that already carries TelemetryMiddleware would emit every span twice with ours.
        middleware = () if has_middleware(agent, telemetry) else (
            telemetry(tracer_provider=provider, capture_content=True, agent_name=getattr(agent, "name", None)),
        )

        async def call(task: Task) -> Any:
            return await agent.ask(task.input, middleware=middleware)  # each ask gets its own stream

        return call


def has_middleware(agent: Any, kind: type) -> bool:
    """True when the agent's own middleware list holds an instance of `kind`."""
    return any(isinstance(getattr(entry, "middleware", entry), kind) for entry in getattr(agent, "middleware", ()))
