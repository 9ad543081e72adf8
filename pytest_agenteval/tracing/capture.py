"""`TaskTracer`: run one agent call under a fresh `eval.task` root span and capture that task's spans."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from pytest_agenteval.tracing.model import SpanData
from pytest_agenteval.tracing.provider import TracingUnavailableError, attach, detach, sampler_name
from pytest_agenteval.tracing.router import SpanRouter, TaskBuffer
from pytest_agenteval.tracing.spans import format_trace_id, to_span_data

__all__ = ["ROOT_SPAN_NAME", "CapturedRun", "TaskTracer", "TracingUnavailableError"]

ROOT_SPAN_NAME = "eval.task"
_SETTLE_POLL_SECONDS = 0.005


def _not_an_exception(exc: BaseException) -> bool:
    return not isinstance(exc, Exception)


@dataclass(frozen=True, slots=True)
class CapturedRun:
    """One agent call: what it returned or raised, and its spans (the `eval.task` root excluded)."""

    output: Any
    exception: BaseException | None
    duration_ms: float
    trace_id: str
    spans: tuple[SpanData, ...]
    notes: tuple[str, ...] = ()
    root: SpanData | None = None  # the `eval.task` span itself, for exporting the whole trace


class TaskTracer:
    """Captures the spans of each agent call it runs, through a `SpanRouter` on a tracer provider."""

    def __init__(self, provider: trace.TracerProvider | None = None) -> None:
        self._tracer: trace.Tracer | None = None
        self._requested = provider
        self._attached: trace.TracerProvider | None = None
        self._router = SpanRouter()
        self._attach_lock = threading.Lock()  # tasks in several threads may start at once

    @property
    def provider(self) -> trace.TracerProvider:
        """The provider the router is attached to (attaches on first access)."""
        with self._attach_lock:
            if self._attached is None:
                self._attached = attach(self._router, self._requested)
            return self._attached

    async def run(
        self,
        call: Callable[[], Awaitable[Any]],
        attributes: Mapping[str, AttributeValue] | None = None,
        settle_seconds: float = 2.0,
        propagates: Callable[[BaseException], bool] = _not_an_exception,
        keep_root: bool = False,
    ) -> CapturedRun:
        """Await `call()` under a root span in a fresh trace; what it raises is returned, not raised, unless
        `propagates(exc)` says it stops the session (by default: every BaseException that is no Exception);
        `keep_root` keeps the root span itself too (to export the whole trace)."""
        if self._tracer is None:  # the SDK builds a new Tracer per call; one per TaskTracer is enough
            self._tracer = self.provider.get_tracer("pytest_agenteval")
        tracer = self._tracer
        with self._router.route() as buffer:
            try:
                root = tracer.start_span(ROOT_SPAN_NAME, context=Context(), attributes=attributes)
                if not root.is_recording():
                    raise TracingUnavailableError(
                        f"the root span {ROOT_SPAN_NAME!r} was not recorded because the sampler "
                        f"{sampler_name(self.provider)} drops spans; use an always-on sampler for eval runs "
                        "(OTEL_TRACES_SAMPLER=always_on, or TracerProvider(sampler=ALWAYS_ON))"
                    )
                output, exception, duration_ms = await _invoke(root, call, propagates)
                await _settle(buffer, settle_seconds)
            finally:
                finished, still_open = self._router.release(buffer)
        root_context = root.get_span_context()
        spans = tuple(sorted(_converted(finished, root_context.span_id), key=lambda span: span.start_ns))
        return CapturedRun(
            output=output,
            exception=exception,
            duration_ms=duration_ms,
            trace_id=format_trace_id(root_context.trace_id),
            spans=spans,
            notes=_notes(spans, still_open, settle_seconds),
            root=to_span_data(root) if keep_root and isinstance(root, ReadableSpan) else None,  # ended: complete
        )

    @property
    def orphan_spans(self) -> int:
        """Spans that started after their task's trace was built, so no task has them."""
        return self._router.orphans

    def close(self) -> None:
        """Detach: the router becomes inert (and leaves an SDK provider's processor list)."""
        self._router.close()
        if self._attached is not None:
            detach(self._router, self._attached)


async def _invoke(root: Span, call: Callable[[], Awaitable[Any]],
                  propagates: Callable[[BaseException], bool]) -> tuple[Any, BaseException | None, float]:
    """Await the call with the root current; record a failure on the root, and always end it."""
    started = time.perf_counter()
    try:
        with trace.use_span(root, record_exception=False, set_status_on_exception=False):
            return await call(), None, _elapsed_ms(started)
    except BaseException as exc:  # the agent's failure is a result; what stops the session propagates
        _record(root, exc)
        if propagates(exc):
            raise
        return None, exc, _elapsed_ms(started)
    finally:
        root.end()


def _record(root: Span, exc: BaseException) -> None:
    root.record_exception(exc)
    root.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _settle(buffer: TaskBuffer, settle_seconds: float) -> None:
    """Wait (bounded) for the task's spans that started but have not ended yet."""
    deadline = time.monotonic() + settle_seconds
    while buffer.open and time.monotonic() < deadline:
        await asyncio.sleep(_SETTLE_POLL_SECONDS)


def _converted(finished: list[ReadableSpan], root_id: int) -> list[SpanData]:
    """The task's spans but its root, converted (the root is not: it is only kept to export)."""
    return [to_span_data(span) for span in finished
            if span.context is None or span.context.span_id != root_id]


def _notes(spans: tuple[SpanData, ...], still_open: list[str], settle_seconds: float) -> tuple[str, ...]:
    notes = []
    if still_open:
        names = ", ".join(repr(name) for name in still_open)
        notes.append(
            f"{len(still_open)} span(s) still open {settle_seconds:g} s after the task ended, "
            f"not captured: {names}"
        )
    for span in spans:
        if span.dropped_attributes > 0:
            notes.append(
                f"span {span.name!r} dropped {span.dropped_attributes} attribute(s) over the provider's "
                "SpanLimits; raise max_span_attributes (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) to keep them"
            )
    return tuple(notes)
