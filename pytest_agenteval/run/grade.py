"""One task's pipeline: run the agent under tracing, rebuild the trace, grade it, decide the verdict.

Imports nothing from pytest; the item (collect/items.py) drives it and reports the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_agenteval.agents.calls import normalize_outputs
from pytest_agenteval.budgets import Budgets, BudgetViolation
from pytest_agenteval.replay.cassettes import CassetteMissError
from pytest_agenteval.results.models import (
    BudgetViolationRecord,
    FeedbackRecord,
    ReplayRecord,
    TaskResult,
    TokenRecord,
    TraceRecord,
    TraceRef,
    Verdict,
)
from pytest_agenteval.results.storable import (
    UNSTORABLE,
    Problems,
    clean_text,
    describe_problems,
    repaired,
    storable,
)
from pytest_agenteval.run.stored_traces import StoredOutputs
from pytest_agenteval.scoring.core import Feedback, ModelUsage, ScoreContext, Scorer, ScoringLimits, apply_scorers
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.capture import CapturedRun
from pytest_agenteval.tracing.conventions import DEFAULT_CONVENTIONS, SpanConvention
from pytest_agenteval.tracing.model import AgentStep, ErrorInfo, Step, TokenUsage, ToolCall, Trace, user_traceback
from pytest_agenteval.tracing.pricing import priced


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
    budgets: Budgets = field(default_factory=Budgets)  # the limits it ran under
    replay: ReplayRecord | None = None  # with --eval-cassettes: what its cassette did
    cost_estimated: bool = False  # some cost came from tokens and the model name (genai-prices), not from spans
    failed_in: str | None = None  # what raised the task's exception when it was not the agent

    @property
    def judge_usage(self) -> ModelUsage:
        """What the scorers spent on their own model calls (LLM judges): never part of the trace's tokens."""
        return spent(self.feedback)

    @property
    def failing_feedback(self) -> list[Feedback]:
        return [fb for fb in self.feedback if fb.passed is False]

    @property
    def verdict(self) -> Verdict:
        if self.trace.exception is not None:
            return "error"
        return "failed" if self.failing_feedback else "passed"


def spent(feedback: Sequence[Feedback]) -> ModelUsage:
    """The model usage the feedback's scorers report (LLM judges), summed."""
    return sum((fb.usage for fb in feedback if fb.usage is not None), ModelUsage())


def empty_trace_notes(captured: CapturedRun, scorers: Sequence[Scorer], agent: str | None) -> tuple[str, ...]:
    """Why grading an empty trace would be grading nothing: said when a scorer reads the trace of an agent
    (`agent` describes it; None for a plain callable, which may make no model calls) that left no span."""
    readers = [each.key for each in scorers if "trace" in each.parameters]
    if agent is None or captured.spans or captured.exception is not None or not readers:
        return ()
    return (f"the trace is empty: {agent} emitted no OpenTelemetry span, so {', '.join(readers)} graded no model "
            "or tool call; instrument it (its framework's OpenTelemetry or OpenInference instrumentor, on the "
            "provider of the `eval_tracer_provider` fixture) or it is graded on its answer alone",)


def task_attributes(task: Task, run_id: str) -> dict[str, str | int]:
    """Attributes stamped on the task's root span."""
    attributes: dict[str, str | int] = {"agenteval.run_id": run_id, "agenteval.task_id": task.run_task_id,
                                        "agenteval.suite": task.suite, "agenteval.repeat": task.repeat}
    if task.variant is not None:
        attributes["agenteval.variant"] = task.variant
    return attributes


def recorded_outputs(returned: Any) -> dict[str, Any]:
    """AG2's outputs of what the agent returned; an answer read back from a stored trace is kept as it was."""
    return returned.outputs() if isinstance(returned, StoredOutputs) else normalize_outputs(returned)


async def grade(task: Task, captured: CapturedRun, scorers: Sequence[Scorer], budgets: Budgets,
                conventions: Sequence[SpanConvention] = (), limits: ScoringLimits | None = None,
                agent: str | None = None, cassette_misses: Sequence[str] = ()) -> Evaluation:
    """Rebuild the trace (`conventions` tried before the built-in ones) and apply every scorer (also on a
    crashed run, with empty outputs). A request the agent's cassette could not answer (`cassette_misses`) is the
    task's error, whatever the agent made of it (clients retry and wrap errors)."""
    if cassette_misses and not isinstance(captured.exception, CassetteMissError):
        captured = replace(captured, exception=CassetteMissError(cassette_misses[0]))
    outputs = recorded_outputs(captured.output) if captured.exception is None else {}
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
    trace, cost_estimated = priced(trace)  # before the scorers and budgets read the cost
    feedback = await apply_scorers(scorers, ScoreContext(task=task, outputs=outputs, trace=trace), limits)
    notes = captured.notes + empty_trace_notes(captured, scorers, agent)
    judged = spent(feedback)
    violations = budgets.violations(trace, judged.tokens.total, judged.cost)
    return Evaluation(task, outputs, trace, tuple(feedback), tuple(violations), notes,
                      user_traceback(crash) if crash is not None else None, budgets, cost_estimated=cost_estimated)


def to_task_result(evaluation: Evaluation, *, node_id: str, worker: str) -> TaskResult:
    """The JSON-safe record of one graded item. A value that cannot be stored as it is gets stored in marked
    form and makes the item an error (`UnstorableValue`) naming the fields; this never raises."""
    problems: Problems = []
    try:
        result = _task_result(evaluation, node_id, worker, problems)
        failure = serialization_failure(result)
        if failure is not None:  # walk the trace steps too (they come from spans, and rarely need it)
            problems.clear()
            result = _task_result(evaluation, node_id, worker, problems, walk_steps=True)
            failure = serialization_failure(result)
    except Exception as exc:  # a value the model refused after all: keep the task, without its data
        problems.append(("result", f"{type(exc).__name__}: {clean_text(str(exc))[:200]}"))
        return _bare_result(evaluation.task, problems, node_id, worker)
    if failure is None and not problems:
        return result
    try:
        payload = repaired(result.model_dump(mode="json"), problems)
        if not problems:
            problems.append(("result", failure or "cannot be written as JSON"))
        payload["verdict"] = "error"
        message = describe_problems(problems)
        if payload.get("exception") is None:
            payload["exception"] = {"type": UNSTORABLE, "message": message}
        else:  # the agent's own crash stays the cause shown first
            payload["trace"]["notes"].append(f"{UNSTORABLE}: {message}")
        fixed = TaskResult.model_validate(payload)
        if serialization_failure(fixed) is None:
            return fixed
    except Exception:
        pass
    return _bare_result(evaluation.task, problems, node_id, worker)


def serialization_failure(result: TaskResult) -> str | None:
    """Why the store could not write `result` (the same serializer), or None when it can."""
    try:
        TaskResult.__pydantic_serializer__.to_json(result)
    except Exception as exc:
        return clean_text(str(exc))[:200]
    return None


def _task_result(evaluation: Evaluation, node_id: str, worker: str, problems: Problems,
                 walk_steps: bool = False) -> TaskResult:
    task, trace = evaluation.task, evaluation.trace
    tokens, judged = trace.tokens, evaluation.judge_usage
    inputs = storable(task.inputs, "inputs", problems)
    outputs = {k: storable(v, f"outputs.{k}", problems) for k, v in evaluation.outputs.items() if k != "raw"}
    # The trace's input and output are usually the task's input and the output's content: stored once.
    trace_input = inputs["input"] if trace.input is task.inputs.get("input") and "input" in inputs \
        else storable(trace.input, "trace.input", problems)
    trace_output = outputs["content"] if trace.output is evaluation.outputs.get("content") and "content" in outputs \
        else storable(trace.output, "trace.output", problems)
    steps = [storable_step(step, f"trace.steps[{index}]", problems) if walk_steps else step
             for index, step in enumerate(trace.steps)]
    return TaskResult(
        task_id=task.run_task_id,
        inputs=inputs,
        reference_outputs=storable(task.reference_outputs, "reference_outputs", problems),
        tags=list(task.tags),
        metadata=storable(task.metadata, "metadata", problems),
        duration_ms=round(trace.duration_ms, 3),
        exception=trace.exception,
        traceback=evaluation.traceback,
        tokens=token_record(tokens),
        feedback=[feedback_record(fb, problems) for fb in evaluation.feedback],
        budget_violation=bool(evaluation.violations),
        trace_ref=TraceRef(trace_id=trace.trace_id, task_id=task.run_task_id) if trace.trace_id else None,
        base_task_id=task.task_id,
        repeat=task.repeat,
        suite=task.suite,
        line=task.line,
        node_id=node_id,
        verdict=evaluation.verdict,
        outputs=outputs,
        cost=trace.cost,
        budget_violations=[BudgetViolationRecord(budget=v.budget, limit=v.limit, actual=v.actual)  # type: ignore[arg-type]
                           for v in evaluation.violations],
        budgets=evaluation.budgets.limits(),
        trace=TraceRecord(steps=steps, input=trace_input, output=trace_output,
                          model_calls=len(trace.model_calls()), tool_calls=len(trace.tool_calls()),
                          cost=trace.cost, notes=list(evaluation.notes)),
        worker=worker,
        replay=evaluation.replay,
        cost_estimated=evaluation.cost_estimated,
        failed_in=evaluation.failed_in,
        variant=None if task.variant is None else clean_text(task.variant),
        judge_tokens=token_record(judged.tokens),
        judge_cost=judged.cost,
    )


def token_record(tokens: TokenUsage) -> TokenRecord:
    return TokenRecord(input=tokens.input, output=tokens.output, cache_creation=tokens.cache_write,
                       cache_read=tokens.cache_read, reasoning=tokens.reasoning, total=tokens.total)


def storable_step(step: Step, where: str, problems: Problems) -> Step:
    """A trace step with its free-form values (tool arguments and results, agent output) made storable."""
    if isinstance(step, ToolCall):
        return replace(step, arguments=storable(step.arguments, f"{where}.arguments", problems),
                       result=storable(step.result, f"{where}.result", problems))
    if isinstance(step, AgentStep):
        return replace(step, output=storable(step.output, f"{where}.output", problems))
    requests = tuple(replace(request, arguments=storable(request.arguments, f"{where}.tool_requests[{i}].arguments",
                                                         problems)) for i, request in enumerate(step.tool_requests))
    return replace(step, tool_requests=requests) if requests else step


def _bare_result(task: Task, problems: Problems, node_id: str, worker: str) -> TaskResult:
    """The task's identity and why its data could not be kept: the task is never missing from the run."""
    return TaskResult(task_id=clean_text(task.run_task_id), inputs={}, tags=[clean_text(tag) for tag in task.tags],
                      base_task_id=clean_text(task.task_id), repeat=task.repeat, suite=clean_text(task.suite),
                      line=task.line, node_id=clean_text(node_id), verdict="error", worker=worker,
                      variant=None if task.variant is None else clean_text(task.variant),
                      exception=ErrorInfo(UNSTORABLE, describe_problems(problems)))


def error_task_result(task: Task, error: ErrorInfo, *, node_id: str, worker: str,
                      failed_in: str | None = None) -> TaskResult:
    """The record of a task that never ran (its fixtures failed, its worker died): an error, kept in every
    denominator; `failed_in` names what raised when it was not the agent."""
    evaluation = Evaluation(task, {}, Trace(input=task.input, exception=error), (), ())
    result = to_task_result(evaluation, node_id=node_id, worker=worker)
    return result.model_copy(update={"failed_in": failed_in}) if failed_in else result


def feedback_record(fb: Feedback, problems: Problems | None = None) -> FeedbackRecord:
    detail = storable(fb.detail, f"feedback.{fb.key}.detail", problems if problems is not None else [])
    return FeedbackRecord(key=fb.key, score=fb.score, value=fb.value, comment=fb.comment, detail=detail,
                          threshold=fb.threshold, passed=fb.passed, error=fb.error, traceback=fb.traceback)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy (see `results.storable`): never raises; what JSON cannot hold is stored in marked form."""
    return storable(value, "value", [])
