"""Grading stored traces (`--eval-traces`): a task's stored trace stands in for its agent call, so the same
`grade` rebuilds it and applies the scorers. No trace for a task is that task's error (`MissingTraceError`, as
AG2's); more than one is too (`AmbiguousTraceError`). Imports nothing from pytest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pytest_agenteval.agents.calls import normalize_outputs
from pytest_agenteval.results.storable import storable
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.capture import CapturedRun
from pytest_agenteval.tracing.conventions import DEFAULT_CONVENTIONS, SpanConvention
from pytest_agenteval.tracing.model import SpanData
from pytest_agenteval.tracing.stored import OUTPUT_BODY, OUTPUT_CONTENT, StoredTrace, StoredTraces


class TraceLookupError(LookupError):
    """The task has no one stored trace to grade."""


class MissingTraceError(TraceLookupError):
    """No stored trace for the task (AG2's `MissingTraceError`)."""


class AmbiguousTraceError(TraceLookupError):
    """Several stored traces claim the task: which one to grade is not known."""


class RecordedError(Exception):
    """What the agent raised, as its stored trace recorded it; subclassed per recorded type name, so the run
    shows the agent's own exception type."""


def output_attributes(returned: Any) -> dict[str, str]:
    """The agent's answer as root-span attributes of an exported trace, so grading the trace sees it again."""
    outputs = normalize_outputs(returned)
    if not outputs:
        return {}
    return {OUTPUT_BODY: str(outputs["body"]),
            OUTPUT_CONTENT: json.dumps(storable(outputs["content"], "content", []), ensure_ascii=False)}


def stored_capture(traces: StoredTraces, task: Task, conventions: Sequence[SpanConvention] = ()) -> CapturedRun:
    """The task's stored trace as a captured run: its spans, the answer and the crash it recorded."""
    found = traces.matching(task.run_task_id, task.suite, task.variant)
    if len(found) != 1:
        return CapturedRun(output=None, exception=_lookup_error(task, found, traces.problems), duration_ms=0.0,
                           trace_id="", spans=())
    trace = found[0]
    return CapturedRun(output=_output(trace, conventions), exception=_recorded_exception(trace.root),
                       duration_ms=trace.duration_ms, trace_id=trace.trace_id, spans=trace.spans)


def _lookup_error(task: Task, found: Sequence[StoredTrace], problems: Sequence[str]) -> TraceLookupError:
    if found:
        return AmbiguousTraceError(f"{len(found)} stored traces for task {task.run_task_id!r}: "
                                   f"{', '.join(f'{t.trace_id} ({t.source})' for t in found)}; keep one per task")
    unread = f"; {len(problems)} stored trace file(s) or line(s) could not be read, e.g. {problems[0]}" \
        if problems else ""
    return MissingTraceError(f"no stored trace for task {task.run_task_id!r} (suite {task.suite})" + unread)


def _output(trace: StoredTrace, conventions: Sequence[SpanConvention]) -> Any:
    """The recorded answer: an exported trace's output attributes, else the last model response (as AG2)."""
    attributes = trace.root.attributes if trace.root is not None else {}
    if OUTPUT_BODY in attributes:
        content = attributes.get(OUTPUT_CONTENT)
        try:
            parsed = json.loads(content) if isinstance(content, str) else attributes[OUTPUT_BODY]
        except ValueError:
            parsed = attributes[OUTPUT_BODY]
        return StoredOutputs(str(attributes[OUTPUT_BODY]), parsed)
    rebuilt = build_trace(trace.spans, conventions=(*conventions, *DEFAULT_CONVENTIONS))
    answers = [call.output_text for call in rebuilt.model_calls() if call.output_text]
    return answers[-1] if answers else None


class StoredOutputs:
    """An answer read back from an exported trace: `outputs` exactly as the live run had them."""

    def __init__(self, body: str, content: Any) -> None:
        self.body = body
        self.content = content

    def outputs(self) -> dict[str, Any]:
        return {"body": self.body, "content": self.content, "raw": self.content}


def _recorded_exception(root: SpanData | None) -> BaseException | None:
    if root is None or root.status != "ERROR":
        return None
    event = next((event for event in root.events if event.name == "exception"), None)
    attributes = event.attributes if event is not None else {}
    name = str(attributes.get("exception.type") or "Exception").rpartition(".")[2] or "Exception"
    message = str(attributes.get("exception.message") or root.status_description or "")
    error_type: type[RecordedError] = type(name, (RecordedError,), {"__module__": "agenteval.stored"}) \
        if name.isidentifier() else RecordedError
    return error_type(message)
