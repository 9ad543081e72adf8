"""JUnit XML `<properties>` for one item, from the same `TaskResult` the run JSON stores.

The item appends them to its `user_properties` in the call phase; pytest copies them into the report.
"""

from __future__ import annotations

import sys

from pytest_agenteval.results.models import TaskResult

PREFIX = "agenteval."
# The names, made once: every report keeps its properties to the end of the session.
_TASK_ID, _VERDICT, _REPEAT = f"{PREFIX}task_id", f"{PREFIX}verdict", f"{PREFIX}repeat"
_TOKENS_INPUT, _TOKENS_OUTPUT = f"{PREFIX}tokens.input", f"{PREFIX}tokens.output"
_TOKENS_TOTAL = f"{PREFIX}tokens.total"
_DURATION, _COST, _TRACE_ID = f"{PREFIX}duration_ms", f"{PREFIX}cost", f"{PREFIX}trace_id"
_JUDGE_TOKENS, _JUDGE_COST = f"{PREFIX}judge_tokens.total", f"{PREFIX}judge_cost"


def junit_properties(result: TaskResult) -> list[tuple[str, object]]:
    """Verdict, scores (one per scorer key), tokens, cost, duration, trace id, and what LLM judges spent."""
    properties: list[tuple[str, object]] = [
        (_TASK_ID, result.task_id),
        (_VERDICT, result.verdict),
        (_REPEAT, result.repeat),
    ]
    for fb in result.feedback:
        shown = fb.error.type if fb.error is not None else fb.value if fb.value is not None else fb.score
        properties.append((sys.intern(f"{PREFIX}score.{fb.key}"), shown))
    properties += [
        (_TOKENS_INPUT, result.tokens.input),
        (_TOKENS_OUTPUT, result.tokens.output),
        (_TOKENS_TOTAL, result.tokens.total),
        (_DURATION, result.duration_ms),
    ]
    if result.cost is not None:
        properties.append((_COST, result.cost))
    if result.trace_ref is not None:
        properties.append((_TRACE_ID, result.trace_ref.trace_id))
    if result.judge_tokens.total:
        properties.append((_JUDGE_TOKENS, result.judge_tokens.total))
    if result.judge_cost is not None:
        properties.append((_JUDGE_COST, result.judge_cost))
    return properties
