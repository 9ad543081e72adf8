"""pydantic-ai (`pydantic_ai.Agent`): `run` with instrumentation bound to the plugin's provider.

Imports pydantic-ai only in `bind`. The instrumentation rides on each call (`capabilities=`), so a
shared agent is never mutated and concurrent runs cannot race.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.model_config import config_keywords
from pytest_agenteval.task import Task


class PydanticAIAdapter:
    """A pydantic-ai agent: an object with an async `run` whose class (or a base) comes from `pydantic_ai`."""

    def matches(self, agent: Any) -> bool:
        from_pydantic_ai = any(cls.__module__.split(".", 1)[0] == "pydantic_ai" for cls in type(agent).__mro__)
        return from_pydantic_ai and callable(getattr(agent, "run", None))

    def bind(self, agent: Any, provider: TracerProvider, executor: Executor | None) -> AgentCall:
        from pydantic_ai import InstrumentationSettings
        from pydantic_ai.capabilities import Instrumentation

        # One capability serves every run: its `for_run` copies it, so per-run state is never shared.
        extra = () if instrumented_by_user(agent) else (
            Instrumentation(settings=InstrumentationSettings(tracer_provider=provider)),
        )

        async def call(task: Task) -> Any:
            return await agent.run(task.input, capabilities=list(extra) or None, **config_keywords(task, "model"))

        return call


def instrumented_by_user(agent: Any) -> bool:
    """True when the user chose instrumentation: `agent.instrument`, `Agent.instrument_all`,
    an `InstrumentedModel`, or an `Instrumentation` capability on the agent (their choice wins)."""
    from pydantic_ai.capabilities import Instrumentation
    from pydantic_ai.capabilities.abstract import leaf_capabilities
    from pydantic_ai.models.instrumented import InstrumentedModel

    if getattr(agent, "instrument", None) is not None or getattr(type(agent), "_instrument_default", False):
        return True
    if isinstance(getattr(agent, "model", None), InstrumentedModel):
        return True
    root = getattr(agent, "root_capability", None)
    return root is not None and any(isinstance(leaf, Instrumentation) for leaf in leaf_capabilities(root))
