"""The one read of xdist's private worker queue: pinned to the xdist versions it was checked with, and
degrading with a warning (never silently) when xdist no longer has what it reads."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import xdist

from pytest_agenteval.run.worker_queue import SUPPORTED_XDIST, find_queue_peek

from .helpers import read_single_run


def test_the_installed_xdist_is_one_the_worker_queue_was_checked_with() -> None:
    installed = tuple(int(part) for part in xdist.__version__.split(".")[:2])
    low, high = SUPPORTED_XDIST
    assert low <= installed <= high, (
        f"pytest-xdist {xdist.__version__} is outside {SUPPORTED_XDIST}: check run/worker_queue.py against "
        "xdist's WorkerInteractor (torun, nextitem_index), then widen SUPPORTED_XDIST")


class FakeQueue:
    """The shape of xdist's TestQueue that the reader relies on."""

    def __init__(self, items: list[object]) -> None:
        self.items = deque(items)
        self.guard = threading.RLock()

    @contextmanager
    def lock(self) -> Iterator[deque[object]]:
        with self.guard:
            yield self.items


class WorkerInteractor:  # named as xdist's class, which is how the reader finds it
    def __init__(self, next_index: object, queued: list[object]) -> None:
        self.nextitem_index = next_index
        self.torun = FakeQueue(queued)


def test_the_pending_indices_are_the_next_item_then_the_queue_without_markers() -> None:
    peek, problem = find_queue_peek([object(), WorkerInteractor(3, [4, 5, "SHUTDOWN"])])
    assert problem is None and peek is not None
    assert peek() == [3, 4, 5]


@pytest.mark.parametrize("plugins", [
    pytest.param([object()], id="no-worker-interactor"),
    pytest.param([type("WorkerInteractor", (), {"nextitem_index": 1})()], id="no-queue"),
    pytest.param([type("WorkerInteractor", (), {"torun": FakeQueue([])})()], id="no-next-index"),
])
def test_a_changed_xdist_turns_prefetch_off_and_says_why(plugins: list[object]) -> None:
    peek, problem = find_queue_peek(plugins)
    assert peek is None
    assert problem is not None and "no longer exposes its worker queue" in problem
    assert f"{SUPPORTED_XDIST[0][0]}.{SUPPORTED_XDIST[0][1]}" in problem


def test_a_real_xdist_worker_prefetches_without_a_prefetch_warning(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import asyncio, pytest

running = 0
peak = 0

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):
        global running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return str(peak)
    return agent
''')
    lines = [f'{{"task_id": "t{i}", "inputs": {{"input": "x"}}}}' for i in range(8)]
    (pytester.path / "s.jsonl").write_text("\n".join(lines) + "\n")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "-n", "1",
                                "--eval-concurrency=4", "-W", "error::pytest_agenteval.PrefetchWarning")
    result.assert_outcomes(passed=8)
    peaks = [int(task["outputs"]["body"]) for task in read_single_run(pytester.path / "runs")["tasks"]]
    assert max(peaks) > 1, "calls on the worker were never started ahead of their items"
