"""The one place that reads xdist's private worker state: the indices of the items this worker was handed
and has not run yet. Looked up once per session; if xdist changed its internals, prefetching on workers is
turned off with a `PrefetchWarning`, never silently. Tested against the xdist versions in SUPPORTED_XDIST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_agenteval.keys import QUEUE_PEEK_KEY
from pytest_agenteval.warning_types import PrefetchWarning

SUPPORTED_XDIST = ((3, 6), (3, 8))  # first and last minor versions the worker queue was checked with
QueuePeek = Callable[[], list[int]]


def worker_queue(item: pytest.Item) -> QueuePeek | None:
    """How to read this xdist worker's queue; None outside xdist workers or when it cannot be read."""
    config = item.config
    if not hasattr(config, "workerinput"):
        return None
    if QUEUE_PEEK_KEY not in config.stash:
        peek, problem = find_queue_peek(config.pluginmanager.get_plugins())
        if problem is not None:
            item.warn(PrefetchWarning(f"agent calls are not started ahead on xdist workers: {problem}"))
        config.stash[QUEUE_PEEK_KEY] = peek
    return config.stash[QUEUE_PEEK_KEY]


def find_queue_peek(plugins: Any) -> tuple[QueuePeek | None, str | None]:
    """A reader of the worker's pending item indices, or why there is none."""
    interactor = next((each for each in plugins if type(each).__name__ == "WorkerInteractor"), None)
    queue = getattr(interactor, "torun", None)
    lock = getattr(queue, "lock", None)
    if interactor is None or not callable(lock) or not hasattr(interactor, "nextitem_index"):
        return None, ("this pytest-xdist no longer exposes its worker queue "
                      f"(checked with {_versions()}); calls run when their item runs")

    def peek() -> list[int]:
        with lock() as pending:
            return [index for index in (interactor.nextitem_index, *pending) if isinstance(index, int)]

    return peek, None


def _versions() -> str:
    (low_major, low_minor), (high_major, high_minor) = SUPPORTED_XDIST
    return f"pytest-xdist {low_major}.{low_minor} to {high_major}.{high_minor}"
