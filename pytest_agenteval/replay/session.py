"""`ReplaySession`: the cassettes of one pytest process. It patches the HTTP clients once (the router), blocks
uncovered connections while replaying only (the guard), and gives each task x repeat its cassette."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_agenteval.replay.cassettes import TaskCassette, matchers
from pytest_agenteval.replay.guard import ConnectionGuard
from pytest_agenteval.replay.router import CassetteRouter
from pytest_agenteval.report.redact import RedactorCache
from pytest_agenteval.task import Task


class ReplayUnavailableError(RuntimeError):
    """--eval-cassettes was given but vcrpy is not installed."""


class ReplaySession:
    """Record/replay for this process: `start` before the first agent call, `stop` at the end."""

    def __init__(self, root: Path, mode: str, allow_hosts: Sequence[str] = (), redact: Sequence[str] = (),
                 match_on: Sequence[str] = ()) -> None:
        self.root = root
        self.mode = mode
        self.match_on = tuple(match_on)
        self.matchers: tuple[Any, ...] = ()  # vcrpy matchers for the match rules, made once in `start`
        self.router = CassetteRouter()
        self.guard = ConnectionGuard(allow_hosts) if mode == "none" else None
        self.redactors = RedactorCache(redact)
        self.started = False

    def start(self) -> None:
        if importlib.util.find_spec("vcr") is None:
            raise ReplayUnavailableError(
                "--eval-cassettes needs vcrpy: pip install 'pytest-agenteval[replay]'")
        self.matchers = matchers(self.match_on)
        self.router.install()
        if self.guard is not None:
            self.guard.install()
        self.started = True

    def stop(self) -> None:
        if self.started:
            self.router.uninstall()
            if self.guard is not None:
                self.guard.uninstall()
            self.started = False

    def cassette_for(self, task: Task) -> TaskCassette:
        return TaskCassette(self.root, task, self.mode, self.redactors.current(os.environ).text, self.matchers)
