"""Which BaseExceptions stop the session and which are one task's error.

The user's Ctrl+C (a SIGINT this process received), SIGTERM, the runtime's own cancellation and pytest's
outcomes (skip, exit) stop what is running; a SystemExit, GeneratorExit, KeyboardInterrupt or CancelledError
that user code raised itself is that task's error, never another task's, never a hang.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from types import FrameType
from typing import Any


class InterruptWatch:
    """Remembers whether SIGINT really arrived, then lets the previous handler raise KeyboardInterrupt."""

    def __init__(self) -> None:
        self.signalled = False
        self.cancelling = False  # the runtime is cancelling its pending calls
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self._installed:
            return
        self._previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._on_sigint)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed and signal.getsignal(signal.SIGINT) == self._on_sigint:
            signal.signal(signal.SIGINT, self._previous)
        self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True
        if callable(self._previous):
            self._previous(signum, frame)
        else:
            raise KeyboardInterrupt

    def stops_the_session(self, exc: BaseException) -> bool:
        """True when `exc` must propagate; False when it is the error of the task whose code raised it."""
        if isinstance(exc, Exception):
            return False
        if isinstance(exc, KeyboardInterrupt):
            return self.signalled
        if isinstance(exc, asyncio.CancelledError):
            return self.cancelling
        return type(exc).__module__.startswith("_pytest")  # pytest.skip / pytest.exit called in user code
