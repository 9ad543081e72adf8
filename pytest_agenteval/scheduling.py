"""Which upcoming items may have their agent calls started early.

Only items that will run next in this process, get the very same agent object (a session-scoped,
unparametrized `eval_agent`), and are not marked skip. Reads pytest's and xdist's run order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .runtime import PendingTask

ORDER_KEY = pytest.StashKey[dict[str, int]]()
CANDIDATE_KEY = pytest.StashKey[Any]()
AGENT_FIXTURE = "eval_agent"


def shared_agent_definition(item: pytest.Function) -> Any | None:
    """The FixtureDef that gives this item its agent, when every item using it gets the same object."""
    # `_fixtureinfo` is private but stable; pytest-asyncio reads it the same way.
    definitions = item._fixtureinfo.name2fixturedefs.get(AGENT_FIXTURE, ())
    if not definitions:
        return None
    definition = definitions[-1]
    return definition if definition.scope == "session" and not definition.params else None


def upcoming_tasks(item: pytest.Function, limit: int) -> list[PendingTask]:
    """The next eval items this process will run that share `item`'s agent, at most `limit`."""
    definition = shared_agent_definition(item)
    if definition is None or limit <= 0:
        return []
    found: list[PendingTask] = []
    for following in _following_items(item):
        if len(found) >= limit:
            break
        task = getattr(following, "task", None)
        if task is not None and isinstance(following, pytest.Function) and _candidate(following) is definition:
            found.append(PendingTask(following.nodeid, task))
    return found


def _candidate(item: pytest.Function) -> Any | None:
    """The shared agent definition of an item that may be started early (not skipped); computed once per
    item, since each item looks at the window after it."""
    if CANDIDATE_KEY not in item.stash:
        item.stash[CANDIDATE_KEY] = None if _skipped(item) else shared_agent_definition(item)
    return item.stash[CANDIDATE_KEY]


def _skipped(item: pytest.Item) -> bool:
    return any(item.iter_markers("skip")) or any(item.iter_markers("skipif"))


def _following_items(item: pytest.Item) -> Iterator[pytest.Item]:
    items = item.session.items
    worker = _xdist_worker(item.config)
    if worker is not None:  # an xdist worker only knows the indices it was handed so far
        with worker.torun.lock() as queue:
            indices = [worker.nextitem_index, *queue]
        yield from (items[i] for i in indices if isinstance(i, int))
        return
    order = item.config.stash.get(ORDER_KEY, None)
    if order is None:
        order = item.config.stash[ORDER_KEY] = {each.nodeid: index for index, each in enumerate(items)}
    position = order.get(item.nodeid)
    if position is not None:
        yield from (items[index] for index in range(position + 1, len(items)))


def _xdist_worker(config: pytest.Config) -> Any | None:
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "WorkerInteractor" and hasattr(plugin, "torun"):
            return plugin
    return None
