"""`to_span_data`: copy a finished SDK `ReadableSpan` into an SDK-free `SpanData`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from pytest_agenteval.tracing.model import SpanData, SpanEvent

_STATUS: Mapping[StatusCode, Literal["UNSET", "OK", "ERROR"]] = {
    StatusCode.UNSET: "UNSET",
    StatusCode.OK: "OK",
    StatusCode.ERROR: "ERROR",
}


def format_trace_id(trace_id: int) -> str:
    return format(trace_id, "032x")


def format_span_id(span_id: int) -> str:
    return format(span_id, "016x")


def to_span_data(span: ReadableSpan) -> SpanData:
    """The span's ids as hex, its attributes, status and events; sequences stay tuples."""
    context = span.get_span_context()
    trace_id = context.trace_id if context is not None else 0
    span_id = context.span_id if context is not None else 0
    return SpanData(
        name=span.name,
        trace_id=format_trace_id(trace_id),
        span_id=format_span_id(span_id),
        parent_id=format_span_id(span.parent.span_id) if span.parent is not None else None,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or span.start_time or 0,
        attributes=_copy(span.attributes),
        status=_STATUS[span.status.status_code],
        status_description=span.status.description,
        events=tuple(SpanEvent(event.name, _copy(event.attributes)) for event in span.events),
        dropped_attributes=span.dropped_attributes,
    )


def _copy(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(attributes) if attributes else {}
