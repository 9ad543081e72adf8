"""The per-process runtime: agent calls run as asyncio tasks, up to `concurrency` at once.

Items prefetch the agent calls of the items after them and wait for their own; the loop runs
only while an item waits (on its own loop or pytest-asyncio's). Imports nothing from pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pytest_agenteval.agents.base import AgentCall
from pytest_agenteval.agents.calls import adapt_agent, describe_agent
from pytest_agenteval.agents.model_config import configured
from pytest_agenteval.budgets import Budgets
from pytest_agenteval.replay.cassettes import TaskCassette
from pytest_agenteval.replay.router import task_cassette
from pytest_agenteval.replay.session import ReplaySession
from pytest_agenteval.run.grade import Evaluation, grade, task_attributes
from pytest_agenteval.run.inflight import InflightLog
from pytest_agenteval.run.interrupts import InterruptWatch
from pytest_agenteval.run.isolation import TaskOutput, current_output, route_output
from pytest_agenteval.run.stored_traces import TraceLookupError, output_attributes, stored_capture
from pytest_agenteval.run.threads import DaemonExecutor
from pytest_agenteval.scoring.core import Scorer, ScoringLimits
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.capture import CapturedRun, TaskTracer
from pytest_agenteval.tracing.conventions import SpanConvention
from pytest_agenteval.tracing.otlp import otlp_document
from pytest_agenteval.tracing.stored import StoredTraces

T = TypeVar("T")
SCORER_THREADS = 8  # sync scorers run on threads only when --eval-scorer-timeout bounds them


class TaskTimeoutError(TimeoutError):
    """The agent did not finish within --eval-timeout; its call was cancelled."""


@dataclass(frozen=True, slots=True)
class AgentRun:
    """A finished agent call: its capture, what it printed or logged, and its cassette (still open: the task's LLM
    judges record and replay in it too; it is finished once the task is graded)."""

    captured: CapturedRun
    output: TaskOutput
    cassette: TaskCassette | None = None


@dataclass(frozen=True, slots=True)
class PendingTask:
    """An item that may be prefetched: its key (node id) and its task."""

    key: str
    task: Task


class EvalRuntime:
    """Runs agent calls concurrently; one per pytest process, made at the first eval item."""

    def __init__(self, run_id: str, *, concurrency: int, timeout: float | None = None,
                 scorer_timeout: float | None = None, loop: asyncio.AbstractEventLoop | None = None,
                 inflight_log: InflightLog | None = None, replay: ReplaySession | None = None,
                 export_traces: Path | None = None, stored: StoredTraces | None = None) -> None:
        self.run_id = run_id
        self.stored = stored  # with --eval-traces: tasks are graded from these, no agent is called
        self.export_traces = export_traces  # with --eval-export-traces: each task's spans as OTLP/JSON
        self.replay = replay  # with --eval-cassettes: each task's HTTP calls go to its own cassette
        self.concurrency = concurrency
        self.timeout = timeout
        self.window = 2 * concurrency  # how far ahead calls are started; at most this much is wasted on -x
        self.tracer = TaskTracer()
        self.interrupts = InterruptWatch()
        self.interrupts.install()
        self.executor = DaemonExecutor(max_workers=concurrency, thread_name_prefix="agenteval-agent")
        self.scoring = ScoringLimits(
            timeout=scorer_timeout, propagates=self.interrupts.stops_the_session,
            executor=DaemonExecutor(max_workers=SCORER_THREADS, thread_name_prefix="agenteval-scorer"))
        self.threads_before = frozenset(threading.enumerate())
        self.inflight_log = inflight_log  # on xdist workers: which agent calls run, for the controller
        self.running: set[str] = set()
        self.owns_loop = loop is None
        self.loop = loop or asyncio.new_event_loop()
        self.pending: dict[str, asyncio.Task[AgentRun]] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._adapted: tuple[Any, AgentCall, str | None] | None = None

    def evaluate(self, key: str, task: Task, agent: Any, scorers: Sequence[Scorer], budgets: Budgets,
                 upcoming: Sequence[PendingTask] = (), conventions: Sequence[SpanConvention] = (),
                 *, alone: bool = False, model_config: Any = None) -> tuple[Evaluation, TaskOutput]:
        """Run (or collect the prefetched run of) one task, prefetch `upcoming`, then grade it (user span
        conventions tried before the built-in ones). `alone`: no other agent call runs meanwhile. With stored
        traces, the task's stored trace is graded instead, and `agent` is not used."""
        if self.stored is not None:
            captured = stored_capture(self.stored, task, conventions)
            evaluation = self.wait(grade(task, captured, scorers, budgets, conventions, self.scoring))
            if isinstance(captured.exception, TraceLookupError):
                evaluation = replace(evaluation, failed_in="--eval-traces")
            return evaluation, TaskOutput()
        call = self._call_for(agent)
        if alone and key not in self.pending and self.pending:
            self.wait(asyncio.wait(list(self.pending.values())))  # let earlier prefetches finish first
        own = self.pending.pop(key, None) or self._start(key, task, call, model_config)
        for each in upcoming[: self.window]:
            if each.key not in self.pending:
                self.pending[each.key] = self._start(each.key, each.task, call, model_config)
        described = self._adapted[2] if self._adapted is not None else None

        async def run_then_grade() -> tuple[Evaluation, TaskOutput]:
            run = await own
            if run.cassette is None:
                evaluation = await grade(task, run.captured, scorers, budgets, conventions, self.scoring, described)
                return evaluation, run.output
            misses = tuple(run.cassette.misses)  # the agent's own: a judge's miss is its feedback's error
            with task_cassette(run.cassette):  # a judge's model call is recorded and replayed like the agent's
                evaluation = await grade(task, run.captured, scorers, budgets, conventions, self.scoring, described,
                                         misses)
            return replace(evaluation, replay=run.cassette.finish()), run.output

        with route_output():
            return self.wait(run_then_grade())  # one turn of the loop per item

    def _call_for(self, agent: Any) -> AgentCall:
        """The agent's call, adapted once per agent object (the common shared agent costs nothing per item)."""
        if self._adapted is None or self._adapted[0] is not agent:
            self._adapted = (agent, adapt_agent(agent, self.executor, self.tracer.provider), describe_agent(agent))
        return self._adapted[1]

    def wait(self, awaitable: asyncio.Task[T] | Coroutine[Any, Any, T]) -> T:
        """Drive the loop until `awaitable` is done; other started calls progress meanwhile. Interrupted (Ctrl+C),
        the awaited work is cancelled, so a later run of the same loop (pytest-asyncio's teardown) cannot resume it."""
        future = asyncio.ensure_future(awaitable, loop=self.loop)
        try:
            return self.loop.run_until_complete(future)
        except BaseException:
            if not future.done():
                future.cancel()
            raise

    def _start(self, key: str, task: Task, call: AgentCall, model_config: Any = None) -> asyncio.Task[AgentRun]:
        return self.loop.create_task(self._run_agent(key, task, call, model_config),
                                     name=f"agenteval:{task.run_task_id}")

    async def _run_agent(self, key: str, task: Task, call: AgentCall, model_config: Any = None) -> AgentRun:
        output = TaskOutput()
        current_output.set(output)  # this asyncio task's own context: its prints and logs are its own
        cassette = self.replay.cassette_for(task) if self.replay is not None else None
        async with self._limit():
            self._in_flight(key, running=True)
            try:
                with task_cassette(cassette) if cassette is not None else contextlib.nullcontext():
                    captured = await self.tracer.run(lambda: self._call(task, call, model_config),
                                                     attributes=task_attributes(task, self.run_id),
                                                     propagates=self.interrupts.stops_the_session,
                                                     keep_root=self.export_traces is not None)
                if self.export_traces is not None:
                    captured = write_otlp(self.export_traces, captured)
            finally:
                self._in_flight(key, running=False)
        return AgentRun(captured, output, cassette)

    def _in_flight(self, key: str, *, running: bool) -> None:
        if self.inflight_log is None:
            return
        if running:
            self.running.add(key)
        else:
            self.running.discard(key)
        self.inflight_log.write(self.running)

    async def _call(self, task: Task, call: AgentCall, model_config: Any = None) -> Any:
        task = configured(task, model_config)  # a mapping without this task's id raises here: the task's error
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
        self.interrupts.cancelling = True
        try:
            for each in pending:
                each.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            self.interrupts.cancelling = False

    def close(self) -> None:
        """Cancel what is left, leave abandoned threads behind (they are daemons), detach tracing."""
        try:
            if self.pending and not self.loop.is_closed():
                self.loop.run_until_complete(self.cancel_pending())
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)
            if self.scoring.executor is not None:
                self.scoring.executor.shutdown(wait=False, cancel_futures=True)
            if self.owns_loop and not self.loop.is_closed():
                self.loop.close()
            self.tracer.close()
            self.interrupts.uninstall()
            if self.replay is not None:
                self.replay.stop()
            if self.inflight_log is not None:
                self.inflight_log.close()

    def threads_left_running(self) -> list[threading.Thread]:
        """Non-daemon threads started since the runtime began (by agents) and still alive: the interpreter
        waits for them at exit."""
        return [thread for thread in threading.enumerate()
                if thread not in self.threads_before and thread.is_alive() and not thread.daemon]


def write_otlp(directory: Path, captured: CapturedRun) -> CapturedRun:
    """Write `directory/<trace id>.json`, the task's whole trace (root span first, with the agent's answer on it,
    so `--eval-traces` grades it again), whole or not at all. A write that fails (a full disk) is a note on the
    run, never the task's error: the agent's answer is still graded."""
    root = captured.root
    if root is not None and captured.exception is None:
        root = replace(root, attributes={**root.attributes, **output_attributes(captured.output)})
    spans = (*((root,) if root is not None else ()), *captured.spans)
    target = directory / f"{captured.trace_id}.json"
    partial = target.with_suffix(".json.partial")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(otlp_document(spans), ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        return replace(captured, notes=(*captured.notes, f"trace not exported to {target}: {exc.strerror or exc}"))
    return captured
