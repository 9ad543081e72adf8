"""AG2 (`ag2.Agent`): `ask` with a `TelemetryMiddleware` that writes its spans to the plugin's provider.

An object of the user's own with `ask` that holds ag2 agents (an AG2-style wrapper) gets the same middleware on
each agent it holds. Imports ag2 only when it binds, so the core never needs it.
"""

from __future__ import annotations

import importlib
from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.model_config import config_keywords
from pytest_agenteval.task import Task


class AG2Adapter:
    """An object with an async `ask` whose class (or a base) comes from `ag2`: an `ag2.Agent` or a subclass."""

    def matches(self, agent: Any) -> bool:
        return is_ag2_agent(agent)

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        telemetry = importlib.import_module("ag2.middleware.builtin").TelemetryMiddleware
        # An agent that already carries TelemetryMiddleware would emit every span twice with ours.
        middleware = () if has_middleware(agent, telemetry) else (telemetry_for(agent, provider),)

        async def call(task: Task) -> Any:
            # each ask gets its own stream; `config=` is the task's model config, if it has one
            return await agent.ask(task.input, middleware=middleware, **config_keywords(task, "config"))

        return call


def is_ag2_agent(agent: Any) -> bool:
    """An object with `ask` whose class (or a base) comes from `ag2`."""
    from_ag2 = any(cls.__module__.split(".", 1)[0] == "ag2" for cls in type(agent).__mro__)
    return from_ag2 and callable(getattr(agent, "ask", None))


def held_ag2_agents(wrapper: Any) -> list[Any]:
    """The ag2 agents a wrapper object keeps in its attributes, directly or in a list, tuple or dict value."""
    found: list[Any] = []
    for value in getattr(wrapper, "__dict__", {}).values():
        members = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
        found.extend(member for member in members if is_ag2_agent(member) and member not in found)
    return found


def instrument_held_agents(wrapper: Any, provider: TracerProvider) -> None:
    """Add a TelemetryMiddleware on `provider` to every ag2 agent the wrapper holds (once: an agent that has one
    keeps it). Spans reach each task by context, so one middleware serves all its tasks."""
    agents = held_ag2_agents(wrapper)
    if agents:
        telemetry = importlib.import_module("ag2.middleware.builtin").TelemetryMiddleware
        for agent in agents:
            if not has_middleware(agent, telemetry):
                agent.add_middleware(telemetry_for(agent, provider))


def telemetry_for(agent: Any, provider: TracerProvider) -> Any:
    telemetry = importlib.import_module("ag2.middleware.builtin").TelemetryMiddleware
    return telemetry(tracer_provider=provider, capture_content=True, agent_name=getattr(agent, "name", None))


def has_middleware(agent: Any, kind: type) -> bool:
    """True when the agent's own middleware list holds an instance of `kind`."""
    return any(isinstance(getattr(entry, "middleware", entry), kind) for entry in getattr(agent, "middleware", ()))
