"""A task's spans as an OTLP/JSON document (`resourceSpans`, the encoding OTLP/HTTP and the collector's file
exporter use), so stored traces open in Jaeger, Tempo or Phoenix. Pure: builds the document, writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_agenteval.tracing.model import SpanData

STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}
SPAN_KIND_INTERNAL = 1
SCOPE = "pytest_agenteval"


def otlp_document(spans: Sequence[SpanData], resource: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`{"resourceSpans": [...]}` holding `spans` in one resource and one scope."""
    return {"resourceSpans": [{
        "resource": {"attributes": _attributes(resource or {"service.name": SCOPE})},
        "scopeSpans": [{"scope": {"name": SCOPE}, "spans": [_span(span) for span in spans]}],
    }]}


def _span(span: SpanData) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "traceId": span.trace_id, "spanId": span.span_id, "name": span.name, "kind": SPAN_KIND_INTERNAL,
        "startTimeUnixNano": str(span.start_ns), "endTimeUnixNano": str(span.end_ns),
        "attributes": _attributes(span.attributes),
        "status": {"code": STATUS_CODES[span.status], **({"message": span.status_description}
                                                         if span.status_description else {})},
    }
    if span.parent_id:
        encoded["parentSpanId"] = span.parent_id
    if span.events:
        encoded["events"] = [{"name": event.name, "timeUnixNano": str(span.start_ns),
                              "attributes": _attributes(event.attributes)} for event in span.events]
    if span.dropped_attributes:
        encoded["droppedAttributesCount"] = span.dropped_attributes
    return encoded


def _attributes(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(key), "value": _value(value)} for key, value in attributes.items()]


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 is a string in OTLP/JSON
    if isinstance(value, float):
        return {"doubleValue": value} if math.isfinite(value) else {"stringValue": repr(value)}  # JSON has no NaN
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_value(item) for item in value]}}
    return {"stringValue": str(value)}
