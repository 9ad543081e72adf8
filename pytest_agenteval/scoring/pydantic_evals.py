"""Run pydantic-evals `Evaluator` instances (`Equals`, `LLMJudge`, `HasMatchingSpan`, your own) as ours.

An evaluator sees an `EvaluatorContext` of the task: `inputs` (the record's), `output` (`outputs["content"]`),
`expected_output` (`reference_outputs`), `metadata`, the duration, and a `SpanTree` of the task's own spans.
Imports pydantic-evals only when called.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_agenteval.scoring.core import Feedback, Scorer, ScorerReturnTypeError
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import Trace


def is_pydantic_evals_evaluator(obj: Any) -> bool:
    """True for a pydantic-evals `Evaluator` instance (decided without importing pydantic-evals)."""
    return not isinstance(obj, type) and any(
        cls.__module__ == "pydantic_evals.evaluators.evaluator" and cls.__name__ == "Evaluator"
        for cls in type(obj).__mro__)


def from_pydantic_evals(evaluator: Any) -> Scorer:
    """Our `Scorer` running a pydantic-evals `Evaluator`; each named result becomes one feedback."""
    name = str(evaluator.get_default_evaluation_name())

    async def run(inputs: Mapping[str, Any], outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any] | None,
                  trace: Trace, task: Task) -> list[Feedback]:
        context = importlib.import_module("pydantic_evals.evaluators").EvaluatorContext(
            name=task.run_task_id, inputs=dict(inputs), metadata=dict(task.metadata) or None,
            expected_output=reference_outputs, output=outputs.get("content"), duration=trace.duration_ms / 1000,
            _span_tree=span_tree(trace), attributes={}, metrics={})
        returned = await evaluator.evaluate_async(context)
        results = returned if isinstance(returned, Mapping) else {name: returned}
        return [evaluation_feedback(str(key), value) for key, value in results.items()]

    return Scorer(run, key=name)


def evaluation_feedback(key: str, result: Any) -> Feedback:
    """One pydantic-evals result (a scalar or an `EvaluationReason`) as our `Feedback`."""
    reason = None
    if type(result).__name__ == "EvaluationReason":
        result, reason = result.value, result.reason
    if isinstance(result, str):
        return Feedback(key=key, value=result, comment=reason)
    if isinstance(result, (bool, int, float)):
        return Feedback(key=key, score=result, comment=reason)
    raise ScorerReturnTypeError(f"evaluator {key!r} returned {type(result).__name__}; pydantic-evals evaluators "
                                "return bool, int, float, str, EvaluationReason or a mapping of them")


def span_tree(trace: Trace) -> Any:
    """pydantic-evals' `SpanTree` of the task's spans (the plugin's `eval.task` root left out)."""
    otel = importlib.import_module("pydantic_evals.otel")
    ids = {span.span_id for span in trace.spans}
    tree = otel.SpanTree()
    tree.add_spans([otel.SpanNode(
        name=span.name, trace_id=int(span.trace_id, 16), span_id=int(span.span_id, 16),
        parent_span_id=int(span.parent_id, 16) if span.parent_id in ids and span.parent_id else None,
        start_timestamp=datetime.fromtimestamp(span.start_ns / 1e9, tz=timezone.utc),
        end_timestamp=datetime.fromtimestamp(span.end_ns / 1e9, tz=timezone.utc),
        attributes=dict(span.attributes), status=span.status.lower()) for span in trace.spans])
    return tree
