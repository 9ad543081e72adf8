"""`RuntimeHost`: the one owner of this process's runtime. It creates it at the first eval item, cancels its
pending calls (on `-x`, Ctrl+C, or items xdist never ran) while the event loop still runs, and closes it.

Registered in `pytest_configure` in every process; the runtime itself is imported only when first needed.
"""

from __future__ import annotations

import atexit
import functools
import gc
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agenteval.keys import INFLIGHT_DIR, SUSPECTS
from pytest_agenteval.task import Task
from pytest_agenteval.warning_types import TraceWarning

if TYPE_CHECKING:
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.run.runtime import EvalRuntime
    from pytest_agenteval.tracing.stored import StoredTraces

EVENT_LOOP_FIXTURE = "agenteval_event_loop"
FREEZE_EVERY = 1000  # results held between two freezes


class RuntimeHost:
    """Creates, cancels and closes the runtime; nothing else touches its life cycle."""

    def __init__(self, options: EvalOptions, workerinput: Mapping[str, Any] | None = None) -> None:
        self.options = options
        self.runtime: EvalRuntime | None = None
        workerinput = workerinput or {}
        # From the controller, on xdist workers: where to log calls in flight, and the items that must run
        # alone because a worker died while they may have been running.
        self.inflight_dir: str | None = workerinput.get(INFLIGHT_DIR)
        self.worker_id: str = str(workerinput.get("workerid", "main"))
        self.suspects: frozenset[str] = frozenset(workerinput.get(SUSPECTS, ()))
        self.frozen = False
        missing = [str(path) for path in options.traces if not path.exists()]
        if missing:
            raise pytest.UsageError(f"--eval-traces: no such file or directory: {', '.join(missing)}")

    def runtime_for(self, request: pytest.FixtureRequest) -> EvalRuntime:
        """This process's runtime, started at the first eval item that runs."""
        if self.runtime is None:
            from pytest_agenteval.run.runtime import EvalRuntime

            # pytest-asyncio's session loop, so agents made by its session-scoped async fixtures work.
            has_asyncio = request.config.pluginmanager.hasplugin("asyncio")
            loop = request.getfixturevalue(EVENT_LOOP_FIXTURE) if has_asyncio else None
            log = None
            if self.inflight_dir is not None:
                from pytest_agenteval.run.inflight import InflightLog

                log = InflightLog(Path(self.inflight_dir) / self.worker_id)
            replay = None
            if self.options.cassettes is not None:
                from pytest_agenteval.replay.session import ReplaySession

                replay = ReplaySession(self.options.cassettes, self.options.record, self.options.allow_hosts,
                                       self.options.redact, self.options.match_on)
                replay.start()
            self.runtime = EvalRuntime(self.options.run_id, concurrency=self.options.concurrency,
                                       timeout=self.options.timeout, scorer_timeout=self.options.scorer_timeout,
                                       loop=loop, inflight_log=log, replay=replay,
                                       export_traces=self.options.export_traces, stored=self._stored_traces())
        return self.runtime

    def _stored_traces(self) -> StoredTraces | None:
        """With --eval-traces, every stored trace, read once per process; what cannot be read is warned about
        (file and line) and reaches the error of each task left without a trace."""
        if not self.options.traces:
            return None
        from pytest_agenteval.tracing.stored import TraceFileError, read_stored_traces

        try:
            stored = read_stored_traces(self.options.traces, self.options.trace_task_attribute)
        except TraceFileError as exc:  # removed since configure
            raise pytest.UsageError(f"--eval-traces: {exc}") from None
        for problem in stored.problems:
            warnings.warn(TraceWarning(f"--eval-traces: {problem}"), stacklevel=1)
        return stored

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Collected objects (items, tasks, records) live to the end: frozen, full collections skip them. At
        exit everything left is frozen too, so the interpreter's last collections do not walk the whole heap
        (seconds at tens of thousands of tasks); the process ends, the memory goes back all the same."""
        if not self.frozen and any(isinstance(getattr(item, "task", None), Task) for item in session.items):
            self._freeze()

    def results_held(self, count: int) -> None:
        """The recorder holds `count` results to the end now. Every FREEZE_EVERY results the young generations are
        collected and what survives is frozen, so the full collections a growing run triggers do not walk every
        result held so far (13% of the CPU at 20,000 tasks). Unfrozen at the end, as the collected items."""
        if count % FREEZE_EVERY == 0:
            gc.collect(1)
            self._freeze()

    def _freeze(self) -> None:
        gc.freeze()
        self.frozen = True
        freeze_at_exit()

    def unfreeze(self, config: pytest.Config) -> None:
        """Give the frozen objects back to the collector: a config cleanup registered before pytest's own, so it runs
        after them all, pytest's last collection pass for unraisable exceptions included (at 50,000 tasks that pass
        walked every held result and item when they were unfrozen first). An in-process run (pytester) must not
        leave its objects out of the collector; an xdist worker is a process of its own that ends now."""
        if self.frozen and not hasattr(config, "workerinput"):
            gc.unfreeze()
            self.frozen = False

    async def cancel_pending(self) -> None:
        """Cancel calls started for items that never ran; called from the event loop fixture's teardown."""
        if self.runtime is not None:
            await self.runtime.cancel_pending()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is None:
            return
        runtime.close()
        for thread in runtime.threads_left_running():
            warnings.warn(TraceWarning(
                f"thread {thread.name!r} was started during the run and is still running: Python waits for "
                "non-daemon threads at exit, so this session may not end until it does; make the agent stop it "
                "or start it with daemon=True"), stacklevel=1)
        if runtime.tracer.orphan_spans:
            warnings.warn(TraceWarning(
                f"{runtime.tracer.orphan_spans} span(s) started after their task had finished and are in no "
                "trace: an agent left work running in the background"), stacklevel=1)


@functools.cache  # registered once per process
def freeze_at_exit() -> None:
    atexit.register(gc.freeze)
