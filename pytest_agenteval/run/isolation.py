"""Per-task output: what an agent prints or logs while running in the background stays with its task.

A context variable marks the task; stdout/stderr and log records made under it go to the task's
buffer instead of whichever pytest item happens to be capturing. Imports nothing from pytest.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

current_output: contextvars.ContextVar[TaskOutput | None] = contextvars.ContextVar(
    "agenteval_task_output", default=None
)
RECORD_ATTR = "agenteval_output"


class TaskOutput:
    """Text one task wrote (stdout, stderr, log lines), in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


class RoutedStream:
    """Stands in for sys.stdout/sys.stderr: task writes go to the task, the rest to the real stream."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        output = current_output.get()
        if output is None:
            return self.target.write(text)
        output.write(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


class TaskLogHandler(logging.Handler):
    """Copies log records made inside a task into that task's output."""

    def emit(self, record: logging.LogRecord) -> None:
        output = getattr(record, RECORD_ATTR, None)
        if output is not None:
            output.write(f"{record.levelname} {record.name}: {record.getMessage()}\n")


TASK_LOG_HANDLER = TaskLogHandler()  # one for the process: made per item, each would register with logging


def _outside_tasks(record: logging.LogRecord) -> bool:
    return getattr(record, RECORD_ATTR, None) is None


@contextlib.contextmanager
def route_output() -> Iterator[None]:
    """While an item waits for agents, send task output to the tasks (streams and log records)."""
    old_factory = logging.getLogRecordFactory()

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = old_factory(*args, **kwargs)
        setattr(record, RECORD_ATTR, current_output.get())
        return record

    root = logging.getLogger()
    others = [each for each in root.handlers if each is not TASK_LOG_HANDLER]
    handler = TASK_LOG_HANDLER
    old_stdout, old_stderr = sys.stdout, sys.stderr
    logging.setLogRecordFactory(stamped)
    root.addHandler(handler)
    for each in others:
        each.addFilter(_outside_tasks)
    sys.stdout, sys.stderr = RoutedStream(old_stdout), RoutedStream(old_stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = old_stdout, old_stderr
        for each in others:
            each.removeFilter(_outside_tasks)
        root.removeHandler(handler)
        logging.setLogRecordFactory(old_factory)
