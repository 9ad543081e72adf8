"""Agent adapters: anything users hand us becomes `async call(task) -> return value`; outputs get AG2's shape.

Imports nothing from pytest; framework types are recognised by duck typing, never imported.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from opentelemetry.trace import TracerProvider

from pytest_agenteval.agents.ag2 import held_ag2_agents, instrument_held_agents
from pytest_agenteval.agents.base import AgentCall, FrameworkAdapter
from pytest_agenteval.agents.frameworks import FRAMEWORK_ADAPTERS
from pytest_agenteval.agents.model_config import config_keywords, refuse_config
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import RaisedInThread

# Tried in order: AG2 `ask`, pydantic-ai `run`, LangChain/LangGraph `ainvoke` then `invoke`.
AGENT_METHODS = ("ask", "run", "ainvoke", "invoke")


class AgentTypeError(TypeError):
    """The object given as the agent cannot be called."""


def adapt_agent(agent: Any, executor: Executor | None = None, provider: TracerProvider | None = None) -> AgentCall:
    """Wrap a framework agent, a callable, or an object with `ask`/`run`/`ainvoke`/`invoke` into one async call.

    Framework adapters come first (they bind tracing to `provider`). Sync code runs on `executor`
    (a thread) with the caller's context copied, so spans nest under the task.
    """
    adapter = _framework_of(agent)
    if adapter is not None and provider is not None:
        return adapter.bind(agent, provider, executor)
    found = _method_of(agent)
    if found is not None:
        if provider is not None:
            instrument_held_agents(agent, provider)  # an AG2-style wrapper around ag2 agents
        return _bind(found[1], executor, wants_task=False)
    if callable(agent):
        return _bind(agent, executor, wants_task=_wants_task(agent))
    raise AgentTypeError(
        f"cannot run {type(agent).__name__!r} as an agent: give a sync or async callable taking the input "
        f"(or a parameter named 'task'), or an object with one of: {', '.join(AGENT_METHODS)}"
    )


def describe_agent(agent: Any) -> str | None:
    """What the agent is, for a warning when it leaves no spans; None for a plain callable, which may well make
    no model calls at all."""
    adapter = _framework_of(agent)
    if adapter is not None:
        return f"the {type(adapter).__name__.removesuffix('Adapter')} agent {type(agent).__name__!r}"
    found = _method_of(agent)
    if found is None:
        return None
    held_count = len(held_ag2_agents(agent))
    held = f", holding {held_count} ag2 agent(s)" if held_count else ""
    return f"the agent {type(agent).__name__!r} (called through its `{found[0]}` method{held})"


def _framework_of(agent: Any) -> FrameworkAdapter | None:
    return next((adapter for adapter in FRAMEWORK_ADAPTERS if adapter.matches(agent)), None)


def _method_of(agent: Any) -> tuple[str, Callable[..., Any]] | None:
    """The first of AGENT_METHODS an agent object (not a class) has."""
    if inspect.isclass(agent):
        return None
    for name in AGENT_METHODS:
        method = getattr(agent, name, None)
        if callable(method):
            return name, method
    return None


def _bind(fn: Callable[..., Any], executor: Executor | None, *, wants_task: bool) -> AgentCall:
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)
    no_config = None if _takes_config(fn) else \
        f"the agent {getattr(fn, '__qualname__', type(fn).__name__)!r} (no `config` parameter)"

    async def call(task: Task) -> Any:
        argument = task if wants_task else task.input
        if no_config is not None:
            refuse_config(task, no_config)
        target = fn if task.model_config is None else functools.partial(fn, **config_keywords(task, "config"))
        if is_async:
            return await target(argument)
        loop = asyncio.get_running_loop()
        run_in_context = functools.partial(contextvars.copy_context().run, target, argument)
        try:
            returned = await loop.run_in_executor(executor, run_in_context)
        except RaisedInThread as carried:
            raise carried.original from None  # raised here, in the coroutine, it is caught like any error
        return await returned if inspect.isawaitable(returned) else returned

    return call


def _takes_config(fn: Callable[..., Any]) -> bool:
    try:
        return "config" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _wants_task(fn: Callable[..., Any]) -> bool:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if not parameters:
        return False
    first = parameters[0]
    return first.name == "task" or first.annotation in (Task, "Task")


def normalize_outputs(returned: Any) -> dict[str, Any]:
    """AG2's outputs shape: `{"body": text, "content": parsed JSON or text, "raw": returned}`; `{}` for None."""
    value = _unwrap(returned)
    if value is None:
        return {}
    if isinstance(value, str):
        return {"body": value, "content": _parse_json(value), "raw": returned}
    content = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    return {"body": _body_text(content), "content": content, "raw": returned}


def _body_text(content: Any) -> str:
    """The answer as text: JSON when it is JSON-able, else its str; never raises (a hostile `__str__`, a cycle
    or an integer too long to print is stored in a safe, marked form later, and its item fails)."""
    try:
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        pass
    try:
        return str(content)
    except Exception:  # __str__ and __repr__ are user code
        return f"<{type(content).__name__} that cannot be shown as text>"


def _unwrap(returned: Any) -> Any:
    """Reach the answer inside framework results (AG2 reply, pydantic-ai run, LangChain message/state)."""
    if isinstance(returned, (str, int, float, bool, list)) or returned is None:
        return returned
    if isinstance(returned, dict):
        messages = returned.get("messages")
        if isinstance(messages, list) and messages:
            return _unwrap(messages[-1])
        return returned
    for attribute in ("body", "output", "content"):
        inner = getattr(returned, attribute, None)
        if inner is not None and not callable(inner):
            return _unwrap(inner)
    return returned


JSON_STARTS = frozenset('{["-0123456789tfn')  # what a JSON text can begin with (after blanks)


def _parse_json(text: str) -> Any:
    if text.lstrip()[:1] not in JSON_STARTS:  # prose: no parse (and no exception raised and caught) needed
        return text
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
