"""JUnit XML `<properties>` for one item, from the same `TaskResult` the run JSON stores.

The item appends them to its `user_properties` in the call phase; pytest copies them into the report.
"""

from __future__ import annotations

from pytest_agenteval.results.models import TaskResult

PREFIX = "agenteval."


def junit_properties(result: TaskResult) -> list[tuple[str, object]]:
    """Verdict, scores (one per scorer key), tokens, cost, duration, trace id, and what LLM judges spent."""
    properties: list[tuple[str, object]] = [
        (f"{PREFIX}task_id", result.task_id),
        (f"{PREFIX}verdict", result.verdict),
        (f"{PREFIX}repeat", result.repeat),
    ]
    for fb in result.feedback:
        shown = fb.error.type if fb.error is not None else fb.value if fb.value is not None else fb.score
        properties.append((f"{PREFIX}score.{fb.key}", shown))
    properties += [
        (f"{PREFIX}tokens.input", result.tokens.input),
        (f"{PREFIX}tokens.output", result.tokens.output),
        (f"{PREFIX}tokens.total", result.tokens.total),
        (f"{PREFIX}duration_ms", result.duration_ms),
    ]
    if result.cost is not None:
        properties.append((f"{PREFIX}cost", result.cost))
    if result.trace_ref is not None:
        properties.append((f"{PREFIX}trace_id", result.trace_ref.trace_id))
    if result.judge_tokens.total:
        properties.append((f"{PREFIX}judge_tokens.total", result.judge_tokens.total))
    if result.judge_cost is not None:
        properties.append((f"{PREFIX}judge_cost", result.judge_cost))
    return properties
