"""`DaemonExecutor`: the threads sync agents and scorers run on. Daemon threads, so a call abandoned after its
timeout (or hung for good) never keeps the process alive after the session; the pool grows up to its size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from pytest_agenteval.tracing.model import RaisedInThread

T = TypeVar("T")
_STOP = None


class DaemonExecutor(Executor):
    """A thread pool of daemon threads; `shutdown` never waits for a call still running."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)  # released by each thread that waits for work, as in ThreadPoolExecutor
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = _Call(self)
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot run new calls after the executor was shut down")
            self._work.put((future, lambda: fn(*args, **kwargs)))
            if not self._idle.acquire(timeout=0) and len(self._threads) < self._max_workers:
                thread = threading.Thread(target=self._serve, name=f"{self._prefix}_{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def _serve(self) -> None:
        while True:
            entry = self._work.get()
            if entry is _STOP:
                return
            future, call = entry
            if isinstance(future, _Call):
                future.thread = threading.current_thread()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except Exception as exc:
                    future.set_exception(exc)
                except BaseException as exc:  # the caller decides what a SystemExit in user code means
                    future.set_exception(RaisedInThread(exc))
            if isinstance(future, _Call) and future.abandoned:
                return  # its place in the pool went to a new thread when its caller gave up on it
            self._idle.release()

    def _abandon(self, thread: threading.Thread | None) -> None:
        """The caller gave up on the call `thread` runs (a timeout: pytest-timeout's, or the cancelled task): the
        thread leaves the pool, so a hung call never holds a place the next calls wait for."""
        with self._lock:
            if thread in self._threads:
                self._threads.remove(thread)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking calls; queued ones are cancelled, running ones are left to finish (or hang) alone."""
        with self._lock:
            self._closed = True
        while True:
            try:
                entry = self._work.get_nowait()
            except queue.Empty:
                break
            if entry is not _STOP:
                entry[0].cancel()
        for _ in self._threads:
            self._work.put(_STOP)
        if wait:
            for thread in self._threads:
                thread.join()


class _Call(Future[Any]):
    """A call of the pool; cancelled while running (it cannot stop), its thread is abandoned."""

    def __init__(self, executor: DaemonExecutor) -> None:
        super().__init__()
        self.executor = executor
        self.thread: threading.Thread | None = None
        self.abandoned = False

    def cancel(self) -> bool:
        if super().cancel():
            return True
        if self.running() and not self.abandoned:
            self.abandoned = True
            self.executor._abandon(self.thread)
        return False
