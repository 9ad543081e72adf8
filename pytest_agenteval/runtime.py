"""The per-process runtime: an event loop in a daemon thread where agent calls and scorers run.

Items block on their own future; the loop keeps OTel context per task. Imports nothing from pytest.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from .agents import adapt_agent
from .budgets import Budgets
from .evaluation import Evaluation, grade, run_agent_traced
from .scoring import Scorer
from .task import Task
from .tracing.capture import TaskTracer

T = TypeVar("T")


class EvalRuntime:
    """Runs agents on a private event loop; one per pytest process, made at the first eval item."""

    def __init__(self, run_id: str, *, threads: int = 4) -> None:
        self.run_id = run_id
        self.tracer = TaskTracer()
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agenteval-agent")
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="agenteval-loop", daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def evaluate(self, task: Task, agent: Any, scorers: Sequence[Scorer], budgets: Budgets) -> Evaluation:
        """Run, trace and grade one task; blocks the calling (pytest) thread until done."""
        call = adapt_agent(agent, self.executor)
        captured = self.submit(run_agent_traced(task, call, self.tracer, self.run_id)).result()
        return self.submit(grade(task, captured, scorers, budgets)).result()

    def close(self) -> None:
        """Cancel what is still pending, stop the loop, detach tracing."""
        async def cancel_pending() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for each in pending:
                each.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        if self.loop.is_running():
            self.submit(cancel_pending()).result(timeout=5)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.tracer.close()
