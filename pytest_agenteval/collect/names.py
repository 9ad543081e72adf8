"""How a task id and its tags appear to pytest: the item's node name (percent-encoding only what pytest, the
command line and IDE adapters cannot parse), its bracketed variant and repeat (and reading them back), and which
tags become markers. Pure; imports nothing from pytest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from pytest_agenteval.task import Task

# pytest splits a node id on "::" and reads "[...]" as parametrization; VS Code passes the ids to run one per
# line (str.splitlines), so line and paragraph breaks and other control characters cannot stay either. "%" is
# encoded so that the name decodes back to exactly one task id.
_UNPARSABLE = re.compile(r"%|\[|\]|:{2,}|[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# What pytest's `-m` grammar reads as one name (`_pytest/mark/expression.py`), without ':' (a registered marker's
# name ends at the first ':') and '(' (where its arguments start).
_MARKER_NAME = re.compile(r"[\w+\-.\[\]\\/]+")
_EXPRESSION_WORDS = frozenset({"and", "or", "not"})

# Tags with these names stay tags (groups, gates, `-k`) but never become marks: each already means something to
# pytest or a common plugin, and a tag must not skip, xfail, rerun or time out the task it labels.
RESERVED_MARKERS = frozenset({
    "skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings",  # pytest itself
    "asyncio", "anyio", "trio",  # pytest-asyncio (our dependency), anyio, pytest-trio: run the item in a loop
    "flaky", "timeout", "repeat", "order", "xdist_group", "forked", "dependency", "django_db",
})


def node_name(task_id: str) -> str:
    """The item name of a task: the task id, with only what pytest cannot parse percent-encoded."""
    return _UNPARSABLE.sub(_percent_encode, task_id)


def item_params(task: Task) -> str | None:
    """What follows the task id in brackets: the variant, the repeat, both (`variant-r2`), or nothing."""
    repeat = f"r{task.repeat}" if task.repeats > 1 else None
    if task.variant is None:
        return repeat
    variant = node_name(task.variant)
    return variant if repeat is None else f"{variant}-{repeat}"


_REPEAT = re.compile(r"(?:(?P<variant>.+)-)?r(?P<repeat>\d+)")


def read_item_params(params: str, repeats: int) -> tuple[str | None, int]:
    """(variant, repeat) back from `item_params`' text: with repeats every item ends in `rK`, without none does,
    so the text is read the same whichever variants the run had (an unreadable one: no variant, repeat 1)."""
    if repeats == 1:
        return (task_id_of(params) if params else None), 1
    found = _REPEAT.fullmatch(params)
    if found is None:
        return None, 1
    variant = found.group("variant")
    return (task_id_of(variant) if variant is not None else None), int(found.group("repeat"))


def task_id_of(name: str) -> str:
    """The task id an item name (without its `[rN]` repeat suffix) was made from."""
    return unquote(name)


def is_marker_name(tag: str) -> bool:
    """Whether `-m TAG` can select this tag: a name pytest's marker grammar reads, and not a reserved mark."""
    return (_MARKER_NAME.fullmatch(tag) is not None and not tag.startswith("_")
            and tag not in _EXPRESSION_WORDS and tag not in RESERVED_MARKERS)


def marker_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags that become pytest markers."""
    return tuple(tag for tag in tags if is_marker_name(tag))


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode())
