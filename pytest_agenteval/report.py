"""Text renderings of stored results: an item's failure message and the run's terminal summary."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .results import FeedbackRecord, RunResult, TaskResult

MAX_SHOWN = 300


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def describe_feedback(fb: FeedbackRecord) -> str:
    if fb.error is not None:
        return f"{fb.key}: scorer raised {fb.error.type}: {fb.error.message}"
    if isinstance(fb.score, bool):
        verdict = f"{fb.key}: {fb.score}"
    else:
        verdict = f"{fb.key}: {fb.score:g} < threshold {fb.threshold:g}" if fb.score is not None and \
            fb.threshold is not None else f"{fb.key}: {fb.score}"
    return f"{verdict} - {fb.comment}" if fb.comment else verdict


def render_task_failure(result: TaskResult) -> str:
    """What a failed item shows: task, input, output, the crash and each failing scorer."""
    lines = [
        f"task {result.task_id} ({result.suite}:{result.line}) {result.verdict}",
        f"  input:  {shorten(result.inputs.get('input'))}",
        f"  output: {shorten(result.outputs['body']) if result.outputs.get('body') is not None else '(none)'}",
    ]
    if result.exception is not None:
        lines.append(f"  agent raised {result.exception.type}: {shorten(result.exception.message)}")
    failing = [fb for fb in result.feedback if fb.passed is False]
    if failing:
        lines.append("  failing scorers:")
        lines.extend(f"    {shorten(describe_feedback(fb), 500)}" for fb in failing)
    return "\n".join(lines)


def render_summary(run: RunResult, json_path: str | None) -> list[str]:
    """The terminal summary of a run, one line per entry."""
    aggregates = run.aggregates
    verdicts = Counter(aggregates.verdicts)
    lines = [f"run {run.run_id}" + (f"  label: {run.label}" if run.label else "") + (
        "  (partial: the session was interrupted)" if run.partial else "")]
    per_suite = Counter(task.suite for task in run.tasks)
    lines.append("suites: " + ", ".join(f"{suite} ({count} items)" for suite, count in per_suite.items()))
    lines.append(f"tasks: {len(run.tasks)} items, {verdicts['passed']} passed, {verdicts['failed']} failed, "
                 f"{verdicts['error']} errors")
    if aggregates.pass_counts:
        width = max(len(key) for key in aggregates.pass_counts)
        lines.append("pass rate by scorer:")
        lines.extend(f"  {key:<{width}}  {count.passed / count.total:7.1%}  ({count.passed}/{count.total})"
                     for key, count in aggregates.pass_counts.items())
    if aggregates.score_stats:
        lines.append("scores:")
        lines.extend(f"  {key}  mean={s.mean:.3g} p50={s.p50:.3g} p95={s.p95:.3g} n={s.n}"
                     for key, s in aggregates.score_stats.items())
    if aggregates.value_counts:
        lines.append("labels:")
        lines.extend(f"  {key}  " + " ".join(f"{label}={n}" for label, n in counts.items())
                     for key, counts in aggregates.value_counts.items())
    tokens = aggregates.tokens
    lines.append(f"tokens: input={tokens.input} output={tokens.output} total={tokens.total}"
                 + (f" (cache read={tokens.cache_read} write={tokens.cache_creation})"
                    if tokens.cache_read or tokens.cache_creation else ""))
    if aggregates.cost is not None:
        lines.append(f"cost: {aggregates.cost:.6g}")
    lines.append(f"errors: {aggregates.errors}")
    by_budget = " ".join(f"{name}={n}" for name, n in aggregates.budget_violations_by_budget.items())
    lines.append(f"budget violations: {aggregates.budget_violations}" + (f" ({by_budget})" if by_budget else ""))
    lines.append(f"run JSON: {json_path}" if json_path else "run JSON: not written (pass --eval-store=DIR to keep it)")
    return lines
