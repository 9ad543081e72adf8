"""What an xdist worker has in flight, written where the controller can read it after the worker died.

With calls started ahead of their items, the item xdist blames for a crash may not be the one whose agent
crashed; this file tells the controller which agent calls were running at that moment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path


class InflightLog:
    """The node ids whose agent calls are running in one worker, rewritten whenever they change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None
        self._size = 0

    def write(self, node_ids: Collection[str]) -> None:
        # One pwrite() of a small buffer over the old one, padded with blanks (JSON ignores them) so the file
        # never needs truncating: a process that dies leaves either the old or the new list.
        if self._descriptor is None:
            self._descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        data = json.dumps(sorted(node_ids)).encode()
        os.pwrite(self._descriptor, data.ljust(self._size), 0)
        self._size = max(self._size, len(data))

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def read_inflight(path: Path) -> frozenset[str] | None:
    """The node ids a dead worker had in flight; None when it left no readable record."""
    try:
        loaded = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return frozenset(str(each) for each in loaded) if isinstance(loaded, list) else None


INLINE_SUITES = "inline-suites"  # in the in-flight directory: node ids of the inline suites workers collected


def note_inline_suite(directory: Path, node_id: str) -> None:
    """Tell the controller (which does not collect under xdist) that `node_id` is a suite: one appended line,
    so the workers never overwrite each other."""
    with open(directory / INLINE_SUITES, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(node_id) + "\n")


def inline_suites(directory: Path) -> frozenset[str]:
    """The inline suites any worker noted; empty when none did."""
    try:
        lines = (directory / INLINE_SUITES).read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    found = set()
    for line in lines:
        try:
            found.add(str(json.loads(line)))
        except ValueError:  # a worker died writing it
            continue
    return frozenset(found)
