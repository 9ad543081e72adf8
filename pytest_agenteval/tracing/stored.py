"""Stored traces (`--eval-traces`): OTLP/JSON documents (`resourceSpans`, one per file or one per JSONL line, as
the collector's file exporter writes them), Tempo's trace-by-id responses (`batches`) and AG2's
`DirectoryTraceSource` files (`{"trace_id", "task_id", "spans": [...]}`), read into one trace per trace id and
found by the task id their spans carry. Pure: reads files, imports nothing from pytest or OpenTelemetry.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pytest_agenteval.tracing.model import SpanData, SpanEvent

TASK_ID_ATTRIBUTES = ("agenteval.task_id", "ag2.eval.task_id")  # ours (the exported root span), then AG2's
OUTPUT_BODY = "agenteval.output.body"  # the agent's answer, on the root span of an exported trace
OUTPUT_CONTENT = "agenteval.output.content"  # the same, as JSON text of its parsed content
ROOT_SPAN_NAME = "eval.task"
_HEX = re.compile(r"[0-9a-fA-F]+")
_STATUS: Mapping[Any, Literal["UNSET", "OK", "ERROR"]] = {
    1: "OK", "1": "OK", "STATUS_CODE_OK": "OK", "OK": "OK",
    2: "ERROR", "2": "ERROR", "STATUS_CODE_ERROR": "ERROR", "ERROR": "ERROR"}


class TraceFileError(Exception):
    """A path given to --eval-traces that cannot be read as traces (the message names it)."""


@dataclass(frozen=True, slots=True)
class StoredTrace:
    """One stored trace: its spans (its `eval.task` root apart, when it has one) and the task it belongs to."""

    trace_id: str
    task_id: str | None
    spans: tuple[SpanData, ...]
    root: SpanData | None = None
    source: str = ""  # the file it came from
    suite: str | None = None  # `agenteval.suite`, when the trace says
    variant: str | None = None  # `agenteval.variant`, when the trace says

    @property
    def duration_ms(self) -> float:
        every = (*((self.root,) if self.root else ()), *self.spans)
        return (max(s.end_ns for s in every) - min(s.start_ns for s in every)) / 1e6 if every else 0.0


@dataclass
class StoredTraces:
    """Every trace under the given paths, by task id, and the files or lines that could not be read."""

    by_task: dict[str, list[StoredTrace]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def matching(self, task_id: str, suite: str, variant: str | None) -> list[StoredTrace]:
        """The traces of `task_id` (its repeat included, `id#k`) that do not say they are another suite's or
        another variant's."""
        return [trace for trace in self.by_task.get(task_id, ())
                if trace.suite in (None, suite) and trace.variant in (None, variant)]


def read_stored_traces(paths: Sequence[Path], task_attribute: str | None = None) -> StoredTraces:
    """Read every `.json` / `.jsonl` file of `paths` (files, or directories searched recursively). An unreadable
    file or line is a problem, named by file and line; everything else still loads. TraceFileError when a
    path does not exist."""
    attributes = (task_attribute,) if task_attribute else TASK_ID_ATTRIBUTES
    found = StoredTraces()
    spans: dict[str, dict[str, SpanData]] = {}  # trace id -> span id -> span: a trace stored twice is one trace
    sources: dict[str, str] = {}
    declared: dict[str, str] = {}  # trace id -> task id, from AG2 documents
    for path in paths:
        for file in trace_files(path):
            for where, document in documents(file, found.problems):
                for trace_id, span, task_id in document_spans(document, where, found.problems):
                    spans.setdefault(trace_id, {}).setdefault(span.span_id, span)
                    sources.setdefault(trace_id, where)
                    if task_id is not None:
                        declared[trace_id] = task_id
    for trace_id, members in spans.items():
        trace = assemble(trace_id, list(members.values()), attributes, declared.get(trace_id), sources[trace_id])
        if trace.task_id is None:
            found.problems.append(f"{trace.source}: trace {trace_id} names no task (no span has "
                                  f"{' or '.join(attributes)}); it is not graded")
            continue
        found.by_task.setdefault(trace.task_id, []).append(trace)
    return found


def trace_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
    if path.is_file():
        return [path]
    raise TraceFileError(f"{path}: no such file or directory of stored traces")


def documents(file: Path, problems: list[str]) -> Iterator[tuple[str, Any]]:
    """(where, JSON document) for the file (`.json`) or each of its lines (`.jsonl`)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file}: cannot read it: {getattr(exc, 'strerror', None) or exc}")
        return
    lines = enumerate(text.splitlines(), start=1) if file.suffix == ".jsonl" else [(0, text)]
    for number, line in lines:
        where = f"{file}:{number}" if number else str(file)
        if not line.strip():
            continue
        try:
            yield where, json.loads(line)
        except (ValueError, RecursionError) as exc:
            problems.append(f"{where}: not JSON: {exc}")


def document_spans(document: Any, where: str, problems: list[str]) -> Iterator[tuple[str, SpanData, str | None]]:
    """(trace id, span, task id the document declares) for each span of an OTLP, Tempo or AG2 document."""
    if isinstance(document, dict) and isinstance(document.get("spans"), list):  # AG2's DirectoryTraceSource
        trace_id = str(document.get("trace_id") or Path(where.split(":")[0]).stem)
        task_id = document.get("task_id")
        for index, raw in enumerate(document["spans"]):
            span = _ag2_span(raw, trace_id)
            if span is None:
                problems.append(f"{where}: spans[{index}] is not a span object")
                continue
            yield trace_id, span, task_id if isinstance(task_id, str) else None
        return
    batches = document.get("resourceSpans", document.get("batches")) if isinstance(document, dict) else None
    if not isinstance(batches, list):
        problems.append(f"{where}: neither OTLP/JSON (resourceSpans), Tempo (batches) nor AG2 trace (spans)")
        return
    for batch in batches:
        scopes = (batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []) \
            if isinstance(batch, dict) else []
        for scope in scopes if isinstance(scopes, list) else []:
            for raw in scope.get("spans", []) if isinstance(scope, dict) else []:
                span = _otlp_span(raw)
                if span is None:
                    problems.append(f"{where}: a span without traceId/spanId")
                    continue
                yield span.trace_id, span, None


def assemble(trace_id: str, spans: list[SpanData], attributes: Sequence[str], declared: str | None,
             source: str) -> StoredTrace:
    """One trace: its `eval.task` root set apart, its task id from the root (or any span), else the document."""
    ordered = sorted(spans, key=lambda span: span.start_ns)
    root = next((span for span in ordered if span.name == ROOT_SPAN_NAME and span.parent_id is None), None)
    carriers = [*((root,) if root else ()), *ordered]

    def attribute(names: Sequence[str]) -> str | None:
        return next((str(span.attributes[name]) for span in carriers for name in names
                     if span.attributes.get(name) is not None), None)

    return StoredTrace(trace_id=trace_id, task_id=attribute(attributes) or declared,
                       spans=tuple(span for span in ordered if span is not root), root=root, source=source,
                       suite=attribute(("agenteval.suite",)), variant=attribute(("agenteval.variant",)))


def _otlp_span(raw: Any) -> SpanData | None:
    if not isinstance(raw, dict) or not raw.get("traceId") or not raw.get("spanId"):
        return None
    status: dict[str, Any] = raw["status"] if isinstance(raw.get("status"), dict) else {}
    return SpanData(
        name=str(raw.get("name", "")), trace_id=_hex_id(raw["traceId"]), span_id=_hex_id(raw["spanId"]),
        parent_id=_hex_id(raw["parentSpanId"]) if raw.get("parentSpanId") else None,
        start_ns=_int(raw.get("startTimeUnixNano")), end_ns=_int(raw.get("endTimeUnixNano")),
        attributes=_attributes(raw.get("attributes")), status=_STATUS.get(status.get("code"), "UNSET"),
        status_description=status.get("message") or None,
        events=tuple(SpanEvent(str(event.get("name", "")), _attributes(event.get("attributes")))
                     for event in raw.get("events") or () if isinstance(event, dict)),
    )


def _ag2_span(raw: Any, trace_id: str) -> SpanData | None:
    if not isinstance(raw, dict):
        return None
    attributes: dict[str, Any] = raw["attributes"] if isinstance(raw.get("attributes"), dict) else {}
    return SpanData(
        name=str(raw.get("name", "")), trace_id=trace_id, span_id=str(raw.get("span_id", "")),
        parent_id=str(raw["parent_id"]) if raw.get("parent_id") else None,
        start_ns=_int(raw.get("start_ns")), end_ns=_int(raw.get("end_ns")), attributes=dict(attributes),
        status=_STATUS.get(raw.get("status"), "UNSET"),
        events=tuple(SpanEvent(str(event.get("name", "")), dict(event.get("attributes") or {}))
                     for event in raw.get("events") or () if isinstance(event, dict)),
    )


def _hex_id(value: Any) -> str:
    """OTLP/JSON ids are hex; Tempo and protobuf's JSON mapping give them as base64."""
    text = str(value)
    if len(text) in (16, 32) and _HEX.fullmatch(text):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return text


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _attributes(raw: Any) -> dict[str, Any]:
    """`[{"key": k, "value": {"stringValue": v}}, ...]` as `{k: v}` with native values."""
    if not isinstance(raw, list):
        return {}
    return {str(item["key"]): _value(item.get("value")) for item in raw if isinstance(item, dict) and "key" in item}


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return _int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return tuple(_value(item) for item in (value["arrayValue"] or {}).get("values", []))
    if "kvlistValue" in value:
        return {str(kv.get("key")): _value(kv.get("value")) for kv in (value["kvlistValue"] or {}).get("values", [])}
    return None
