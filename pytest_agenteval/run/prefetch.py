"""Which upcoming items may have their agent calls started early.

Only items that will run next in this process, get the very same agent object (a session-scoped,
unparametrized `eval_agent`, or the same entry of a session-scoped `eval_variants`), and are not marked skip.
Reads pytest's run order, or the xdist worker's queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_agenteval.keys import CANDIDATE_KEY, ORDER_KEY, SCANNED_KEY
from pytest_agenteval.run.runtime import PendingTask
from pytest_agenteval.run.worker_queue import worker_queue

AGENT_FIXTURE = "eval_agent"
VARIANTS_FIXTURE = "eval_variants"


def shared_agent_definition(item: pytest.Function) -> tuple[Any, str | None] | None:
    """The FixtureDef that gives this item its agent, and its variant, when every item using both gets the same
    object."""
    variant = getattr(getattr(item, "task", None), "variant", None)
    inline = getattr(item.parent, "inline", None)
    if inline is not None and inline.has_agent:  # an inline suite's own agent: the same object for its items
        return inline, variant
    # `_fixtureinfo` is private but stable; pytest-asyncio reads it the same way.
    definitions = item._fixtureinfo.name2fixturedefs.get(AGENT_FIXTURE if variant is None else VARIANTS_FIXTURE, ())
    if not definitions:
        return None
    definition = definitions[-1]
    return (definition, variant) if definition.scope == "session" and not definition.params else None


def upcoming_tasks(item: pytest.Function, limit: int) -> list[PendingTask]:
    """Eval items this process will run next that share `item`'s agent and were not offered before: those
    among the next `limit` items (in a single process each position is looked at once, by the first item
    whose window reaches it), or among the first `limit` of an xdist worker's queue."""
    definition = shared_agent_definition(item)
    if definition is None or limit <= 0:
        return []
    found: list[PendingTask] = []
    for following in _following_items(item, limit):
        task = getattr(following, "task", None)
        if task is not None and isinstance(following, pytest.Function) and _candidate(following) == definition:
            found.append(PendingTask(following.nodeid, task))
    return found


def _candidate(item: pytest.Function) -> tuple[Any, str | None] | None:
    """The shared agent definition of an item that may be started early (not skipped); computed once per
    item, since each item looks at the window after it."""
    if CANDIDATE_KEY not in item.stash:
        item.stash[CANDIDATE_KEY] = None if _skipped(item) else shared_agent_definition(item)
    candidate: tuple[Any, str | None] | None = item.stash[CANDIDATE_KEY]
    return candidate


def _skipped(item: pytest.Item) -> bool:
    return any(item.iter_markers("skip")) or any(item.iter_markers("skipif"))


def _following_items(item: pytest.Item, limit: int) -> Iterator[pytest.Item]:
    items = item.session.items
    if hasattr(item.config, "workerinput"):  # an xdist worker only knows the indices it was handed so far
        peek = worker_queue(item)
        yield from (items[index] for index in peek()[:limit]) if peek is not None else ()
        return
    order = item.config.stash.get(ORDER_KEY, None)
    if order is None:
        order = item.config.stash[ORDER_KEY] = {each.nodeid: index for index, each in enumerate(items)}
    position = order.get(item.nodeid)
    if position is None:
        return
    scanned = item.config.stash.get(SCANNED_KEY, -1)
    end = min(position + limit, len(items) - 1)
    if end > scanned:
        item.config.stash[SCANNED_KEY] = end
        yield from (items[index] for index in range(max(position, scanned) + 1, end + 1))
