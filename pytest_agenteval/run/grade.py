"""One task's pipeline: run the agent under tracing, rebuild the trace, grade it, decide the verdict.

Imports nothing from pytest; the item (collect/items.py) drives it and reports the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from pytest_agenteval.agents.calls import normalize_outputs
from pytest_agenteval.budgets import Budgets, BudgetViolation
from pytest_agenteval.results.models import (
    BudgetViolationRecord,
    FeedbackRecord,
    TaskResult,
    TokenRecord,
    TraceRecord,
    TraceRef,
    Verdict,
)
from pytest_agenteval.scoring.core import Feedback, ScoreContext, Scorer, apply_scorers
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.capture import CapturedRun
from pytest_agenteval.tracing.conventions import DEFAULT_CONVENTIONS, SpanConvention
from pytest_agenteval.tracing.model import ErrorInfo, Trace, user_traceback


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A graded task run."""

    task: Task
    outputs: dict[str, Any]
    trace: Trace
    feedback: tuple[Feedback, ...]
    violations: tuple[BudgetViolation, ...]
    notes: tuple[str, ...] = ()
    traceback: str | None = None  # the agent's crash, without plugin frames

    @property
    def failing_feedback(self) -> list[Feedback]:
        return [fb for fb in self.feedback if fb.passed is False]

    @property
    def verdict(self) -> Verdict:
        if self.trace.exception is not None:
            return "error"
        return "failed" if self.failing_feedback else "passed"


def task_attributes(task: Task, run_id: str) -> dict[str, str | int]:
    """Attributes stamped on the task's root span."""
    return {"agenteval.run_id": run_id, "agenteval.task_id": task.run_task_id,
            "agenteval.suite": task.suite, "agenteval.repeat": task.repeat}


async def grade(task: Task, captured: CapturedRun, scorers: Sequence[Scorer], budgets: Budgets,
                conventions: Sequence[SpanConvention] = ()) -> Evaluation:
    """Rebuild the trace (`conventions` tried before the built-in ones) and apply every scorer (also on a
    crashed run, with empty outputs)."""
    outputs = normalize_outputs(captured.output) if captured.exception is None else {}
    crash = captured.exception
    exception = ErrorInfo.from_exception(crash) if crash is not None else None
    trace = build_trace(
        captured.spans,
        input=task.input,
        output=outputs.get("content"),
        exception=exception,
        duration_ms=captured.duration_ms,
        trace_id=captured.trace_id,
        conventions=(*conventions, *DEFAULT_CONVENTIONS),
    )
    feedback = await apply_scorers(scorers, ScoreContext(task=task, outputs=outputs, trace=trace))
    return Evaluation(task, outputs, trace, tuple(feedback), tuple(budgets.violations(trace)), captured.notes,
                      user_traceback(crash) if crash is not None else None)


def to_task_result(evaluation: Evaluation, *, node_id: str, worker: str) -> TaskResult:
    """The JSON-safe record of one graded item."""
    task, trace = evaluation.task, evaluation.trace
    tokens = trace.tokens
    return TaskResult(
        task_id=task.run_task_id,
        inputs=jsonable(task.inputs),
        reference_outputs=jsonable(task.reference_outputs),
        tags=list(task.tags),
        metadata=jsonable(task.metadata),
        duration_ms=round(trace.duration_ms, 3),
        exception=trace.exception,
        traceback=evaluation.traceback,
        tokens=TokenRecord(input=tokens.input, output=tokens.output, cache_creation=tokens.cache_write,
                           cache_read=tokens.cache_read, reasoning=tokens.reasoning, total=tokens.total),
        feedback=[feedback_record(fb) for fb in evaluation.feedback],
        budget_violation=bool(evaluation.violations),
        trace_ref=TraceRef(trace_id=trace.trace_id, task_id=task.run_task_id) if trace.trace_id else None,
        base_task_id=task.task_id,
        repeat=task.repeat,
        suite=task.suite,
        line=task.line,
        node_id=node_id,
        verdict=evaluation.verdict,
        outputs={k: jsonable(v) for k, v in evaluation.outputs.items() if k != "raw"},
        cost=trace.cost,
        budget_violations=[BudgetViolationRecord(budget=v.budget, limit=v.limit, actual=v.actual)  # type: ignore[arg-type]
                           for v in evaluation.violations],
        trace=TraceRecord(steps=list(trace.steps), input=jsonable(trace.input), output=jsonable(trace.output),
                          model_calls=len(trace.model_calls()), tool_calls=len(trace.tool_calls()),
                          cost=trace.cost, notes=list(evaluation.notes)),
        worker=worker,
    )


def error_task_result(task: Task, error: ErrorInfo, *, node_id: str, worker: str) -> TaskResult:
    """The record of a task that never ran (its fixtures failed): an error, kept in every denominator."""
    evaluation = Evaluation(task, {}, Trace(input=task.input, exception=error), (), ())
    return to_task_result(evaluation, node_id=node_id, worker=worker)


def feedback_record(fb: Feedback) -> FeedbackRecord:
    return FeedbackRecord(key=fb.key, score=fb.score, value=fb.value, comment=fb.comment,
                          detail=jsonable(fb.detail), threshold=fb.threshold, passed=fb.passed, error=fb.error,
                          traceback=fb.traceback)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy; objects JSON cannot hold are stored as their repr."""
    return to_jsonable_python(value, fallback=repr)
