"""The per-process runtime: agent calls run as asyncio tasks, up to `concurrency` at once.

Items prefetch the agent calls of the items after them and wait for their own; the loop runs
only while an item waits (on its own loop or pytest-asyncio's). Imports nothing from pytest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.calls import adapt_agent
from pytest_agenteval.budgets import Budgets
from pytest_agenteval.run.grade import Evaluation, grade, task_attributes
from pytest_agenteval.run.isolation import TaskOutput, current_output, route_output
from pytest_agenteval.scoring.core import Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.capture import CapturedRun, TaskTracer
from pytest_agenteval.tracing.conventions import SpanConvention

T = TypeVar("T")


class TaskTimeoutError(TimeoutError):
    """The agent did not finish within --eval-timeout; its call was cancelled."""


@dataclass(frozen=True, slots=True)
class AgentRun:
    """A finished agent call: its capture and what it printed or logged."""

    captured: CapturedRun
    output: TaskOutput


@dataclass(frozen=True, slots=True)
class PendingTask:
    """An item that may be prefetched: its key (node id) and its task."""

    key: str
    task: Task


class EvalRuntime:
    """Runs agent calls concurrently; one per pytest process, made at the first eval item."""

    def __init__(self, run_id: str, *, concurrency: int = 4, timeout: float | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.run_id = run_id
        self.concurrency = concurrency
        self.timeout = timeout
        self.window = 2 * concurrency  # how far ahead calls are started; at most this much is wasted on -x
        self.tracer = TaskTracer()
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="agenteval-agent")
        self.owns_loop = loop is None
        self.loop = loop or asyncio.new_event_loop()
        self.pending: dict[str, asyncio.Task[AgentRun]] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._adapted: tuple[Any, AgentCall] | None = None

    def evaluate(self, key: str, task: Task, agent: Any, scorers: Sequence[Scorer], budgets: Budgets,
                 upcoming: Sequence[PendingTask] = (), conventions: Sequence[SpanConvention] = ()
                 ) -> tuple[Evaluation, TaskOutput]:
        """Run (or collect the prefetched run of) one task, prefetch `upcoming`, then grade it (user span
        conventions tried before the built-in ones)."""
        call = self._call_for(agent)
        own = self.pending.pop(key, None) or self._start(task, call)
        for each in upcoming[: self.window]:
            if each.key not in self.pending:
                self.pending[each.key] = self._start(each.task, call)
        with route_output():
            run = self.wait(own)
            evaluation = self.wait(grade(task, run.captured, scorers, budgets, conventions))
        return evaluation, run.output

    def _call_for(self, agent: Any) -> AgentCall:
        """The agent's call, adapted once per agent object (the common shared agent costs nothing per item)."""
        if self._adapted is None or self._adapted[0] is not agent:
            self._adapted = (agent, adapt_agent(agent, self.executor, self.tracer.provider))
        return self._adapted[1]

    def wait(self, awaitable: asyncio.Task[T] | Coroutine[Any, Any, T]) -> T:
        """Drive the loop until `awaitable` is done; other started calls progress meanwhile."""
        return self.loop.run_until_complete(awaitable)

    def _start(self, task: Task, call: AgentCall) -> asyncio.Task[AgentRun]:
        return self.loop.create_task(self._run_agent(task, call), name=f"agenteval:{task.run_task_id}")

    async def _run_agent(self, task: Task, call: AgentCall) -> AgentRun:
        output = TaskOutput()
        current_output.set(output)  # this asyncio task's own context: its prints and logs are its own
        async with self._limit():
            captured = await self.tracer.run(lambda: self._call(task, call),
                                             attributes=task_attributes(task, self.run_id))
        return AgentRun(captured, output)

    async def _call(self, task: Task, call: AgentCall) -> Any:
        if self.timeout is None:
            return await call(task)
        try:
            return await asyncio.wait_for(call(task), self.timeout)
        except asyncio.TimeoutError:
            raise TaskTimeoutError(
                f"the agent did not finish within --eval-timeout={self.timeout:g}s; the call was cancelled"
            ) from None

    def _limit(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    async def cancel_pending(self) -> None:
        """Cancel calls that were started but whose items never ran (-x, Ctrl+C, deselected by xdist)."""
        pending, self.pending = list(self.pending.values()), {}
        for each in pending:
            each.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def close(self) -> None:
        """Cancel what is left, stop threads, detach tracing."""
        if self.pending and not self.loop.is_closed():
            self.loop.run_until_complete(self.cancel_pending())
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.owns_loop and not self.loop.is_closed():
            self.loop.close()
        self.tracer.close()
