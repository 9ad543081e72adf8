"""`SpanRouter`: a SpanProcessor that sorts every span into the buffer of the task it belongs to.

Routing: a span's trace id if known, else the router's ContextVar (a new root started inside a task
registers its trace id). Per-span work is a few dict operations; spans are converted only at release.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import count

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

_router_ids = count()


@dataclass(eq=False)
class TaskBuffer:
    """The spans of one task: finished ones, and the names of those still open (by span id)."""

    finished: list[ReadableSpan] = field(default_factory=list)
    open: dict[int, str] = field(default_factory=dict)
    trace_ids: set[int] = field(default_factory=set)
    released: bool = False


class SpanRouter(SpanProcessor):
    """Routes spans to task buffers by trace id, with a ContextVar fallback; inert once closed."""

    def __init__(self) -> None:
        self._current: ContextVar[TaskBuffer | None] = ContextVar(
            f"agenteval_task_{next(_router_ids)}", default=None
        )
        self._traces: dict[int, TaskBuffer] = {}
        self._spans: dict[int, TaskBuffer] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.orphans = 0  # spans that started after their task had been returned: never captured

    @contextmanager
    def route(self) -> Iterator[TaskBuffer]:
        """A fresh buffer that receives the spans started in this context (and their traces)."""
        buffer = TaskBuffer()
        token = self._current.set(buffer)
        try:
            yield buffer
        finally:
            self._current.reset(token)

    def release(self, buffer: TaskBuffer) -> tuple[list[ReadableSpan], list[str]]:
        """Forget the buffer; return its finished spans and the names of spans still open."""
        with self._lock:
            buffer.released = True
            for trace_id in buffer.trace_ids:
                self._traces.pop(trace_id, None)
            for span_id in buffer.open:
                self._spans.pop(span_id, None)
            finished, still_open = list(buffer.finished), list(buffer.open.values())
            buffer.finished.clear()
            buffer.open.clear()
        return finished, still_open

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if self._closed:
            return
        context = span.get_span_context()
        buffer = self._traces.get(context.trace_id) or self._current.get()
        if buffer is None:
            return
        with self._lock:
            if buffer.released:  # a late span of a returned task still sees its ContextVar
                self.orphans += 1
                return
            if span.parent is None and context.trace_id not in self._traces:  # a new root inside the task
                self._traces[context.trace_id] = buffer
                buffer.trace_ids.add(context.trace_id)
            self._spans[context.span_id] = buffer
            buffer.open[context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        if self._closed:
            return
        context = span.get_span_context()
        if context is None or context.span_id not in self._spans:
            return
        with self._lock:
            buffer = self._spans.pop(context.span_id, None)
            if buffer is not None:
                buffer.open.pop(context.span_id, None)
                buffer.finished.append(span)

    def shutdown(self) -> None:
        self.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def close(self) -> None:
        """Make the router inert and drop every buffer."""
        with self._lock:
            self._closed = True
            self._traces.clear()
            self._spans.clear()
