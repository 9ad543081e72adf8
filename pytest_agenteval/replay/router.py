"""The cassette vcrpy's patched clients talk to: one per process, routing each request to the cassette of
the task it was made in (found through the task's context, as spans are), never by timing.

Installed for the session when `--eval-cassettes` is given; vcrpy patches httpx (and httpx2), requests,
urllib3, aiohttp and the standard library's http.client.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
from collections.abc import Iterator
from typing import Any

from pytest_agenteval.replay.cassettes import CassetteMissError, TaskCassette

current_cassette: contextvars.ContextVar[TaskCassette | None] = contextvars.ContextVar(
    "agenteval_cassette", default=None)


class CassetteRouter:
    """Duck-types the part of vcrpy's `Cassette` its client stubs use."""

    _path = "agenteval-cassettes"  # vcrpy names its patched classes after it
    custom_patches: tuple[Any, ...] = ()
    record_mode = "per task"

    def __init__(self) -> None:
        self._patches = contextlib.ExitStack()

    def _cassette(self) -> TaskCassette:
        cassette = current_cassette.get()
        if cassette is None:
            raise CassetteMissError(
                "an HTTP request was made outside any task (a thread that did not copy the task's context, or "
                "code run at import or in a fixture) while cassettes are on: it cannot be recorded or replayed")
        return cassette

    def can_play_response_for(self, request: Any) -> bool:
        cassette = self._cassette()
        if cassette.can_play(request):
            return True
        if cassette.mode == "none":
            raise cassette.miss(request)  # before any connection is opened
        return False

    @property
    def write_protected(self) -> bool:
        return False  # a miss in replay-only mode has raised already

    def filter_request(self, request: Any) -> Any:
        return self._cassette().cassette.filter_request(request)

    def play_response(self, request: Any) -> Any:
        return self._cassette().play(request)

    def append(self, request: Any, response: Any) -> None:
        self._cassette().record(request, response)

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        return list(self._cassette().cassette.find_requests_with_most_matches(request))

    def install(self) -> None:
        """Patch every client vcrpy knows, for the rest of the session."""
        builder = importlib.import_module("vcr.patch").CassettePatcherBuilder(self)
        for patcher in builder.build():  # mock patchers, and vcrpy's pool-connection cleaner
            self._patches.enter_context(patcher)

    def uninstall(self) -> None:
        self._patches.close()


@contextlib.contextmanager
def task_cassette(cassette: TaskCassette) -> Iterator[TaskCassette]:
    """Route the requests made in this context (the task's own asyncio task, and threads that copy it)."""
    token = current_cassette.set(cassette)
    try:
        yield cassette
    finally:
        current_cassette.reset(token)
