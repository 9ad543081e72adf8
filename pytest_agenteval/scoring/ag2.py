"""Run `ag2.eval` scorers (`@ag2.eval.scorer` functions, `ag2.eval.scorers` factories) as ours.

They see what `ag2.eval.run_agent` shows them: AG2's own `Trace`, rebuilt by `ag2.eval.spans_to_trace`
from the task's spans, an `ag2.eval.Task`, and `outputs` as `{"body", "content"}`. Imports ag2 only when called.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from pytest_agenteval.scoring.core import Feedback, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, Trace

# ag2's Scorer catches a crash itself and reports it only in this comment (with score=None).
_AG2_CRASH = re.compile(r"scorer raised: (?P<type>[\w.]+): (?P<message>.*)", re.DOTALL)


def is_ag2_scorer(obj: Any) -> bool:
    """True for an `ag2.eval.Scorer` (decided without importing ag2)."""
    return any(cls.__module__ == "ag2.eval.scorer" and cls.__name__ == "Scorer" for cls in type(obj).__mro__)


def from_ag2(ag2_scorer: Any) -> Scorer:
    """Our `Scorer` running an `ag2.eval.Scorer`: same key, same feedback; a crash counts as a failure."""

    async def run(inputs: Mapping[str, Any], outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any] | None,
                  trace: Trace, task: Task) -> list[Feedback]:
        returned = await ag2_scorer(
            inputs=dict(inputs),
            outputs={key: value for key, value in outputs.items() if key != "raw"},
            reference_outputs=dict(reference_outputs) if reference_outputs is not None else None,
            trace=to_ag2_trace(trace),
            task=to_ag2_task(task),
        )
        return [to_feedback(each) for each in returned]

    return Scorer(run, key=str(ag2_scorer.key))


def to_ag2_trace(trace: Trace) -> Any:
    """AG2's `Trace` of the same spans, built by AG2's own reader (as `run_agent` builds it)."""
    sources = importlib.import_module("ag2.eval.sources")
    ids = {span.span_id for span in trace.spans}
    spans = [
        sources.SpanData(
            name=span.name,
            span_id=span.span_id,
            parent_id=span.parent_id if span.parent_id in ids else None,  # our `eval.task` root is not kept
            start_ns=span.start_ns,
            end_ns=span.end_ns,
            attributes=dict(span.attributes),
            status=span.status,
            events=span.events,  # ag2 reads `.name` / `.attributes`, which ours have (its SpanEvent is private)
        )
        for span in trace.spans
    ]
    rebuilt = sources.spans_to_trace(spans, duration_ms=int(trace.duration_ms))
    if rebuilt.exception is not None or trace.exception is None:
        return rebuilt
    # The agent failed before its first span (as `run_agent`, keep the caught error); the type rides in the text.
    error = RuntimeError(f"{trace.exception.type}: {trace.exception.message}")
    return type(rebuilt)(events=rebuilt.events, exception=error, duration_ms=rebuilt.duration_ms)


def to_ag2_task(task: Task) -> Any:
    """The `ag2.eval.Task` of one of our tasks, under its run id (`id#k` with repeats, as AG2)."""
    ag2_eval = importlib.import_module("ag2.eval")
    return ag2_eval.Task(
        inputs=dict(task.inputs),
        task_id=task.run_task_id,
        reference_outputs=dict(task.reference_outputs) if task.reference_outputs is not None else None,
        tags=task.tags,
        metadata=dict(task.metadata),
    )


def to_feedback(ag2_feedback: Any) -> Feedback:
    """Our `Feedback` of an `ag2.eval.Feedback`; AG2's crash record becomes a failed one with its error."""
    crash = _AG2_CRASH.fullmatch(ag2_feedback.comment or "") if ag2_feedback.score is None else None
    return Feedback(
        key=ag2_feedback.key,
        score=ag2_feedback.score,
        value=ag2_feedback.value,
        comment=ag2_feedback.comment,
        detail=ag2_feedback.detail,
        error=ErrorInfo(crash["type"], crash["message"]) if crash is not None and ag2_feedback.value is None else None,
    )
