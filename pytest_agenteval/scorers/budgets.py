"""Budgets on one run: tokens, seconds, tool calls, model calls. A crashed run never passes a budget."""

from __future__ import annotations

from collections.abc import Callable

from pytest_agenteval.scorers._checks import crash_comment, require_count, require_number, show_number
from pytest_agenteval.scoring.core import Feedback, Scorer
from pytest_agenteval.tracing.model import Trace


def token_budget(max_tokens: int) -> Scorer:
    """Pass when the run used at most `max_tokens` (input + output, leaf model calls only)."""
    limit = require_count("token_budget", "max_tokens", max_tokens)
    return _budget("token_budget", "tokens", limit, lambda trace: trace.tokens.total)


def latency_budget(max_seconds: float) -> Scorer:
    """Pass when the run took at most `max_seconds` of wall clock."""
    limit = require_number("latency_budget", "max_seconds", max_seconds)
    if limit == 0:
        raise ValueError("latency_budget: max_seconds must be > 0, got 0")
    return _budget("latency_budget", "s", limit, lambda trace: trace.duration_ms / 1000)


def max_tool_calls(n: int) -> Scorer:
    """Pass when at most `n` tool calls ran."""
    limit = require_count("max_tool_calls", "n", n)
    return _budget("max_tool_calls", "tool calls", limit, lambda trace: len(trace.tool_calls()))


def max_model_calls(n: int) -> Scorer:
    """Pass when at most `n` model calls were made."""
    limit = require_count("max_model_calls", "n", n)
    return _budget("max_model_calls", "model calls", limit, lambda trace: len(trace.model_calls()))


def _budget(key: str, unit: str, limit: float, measure: Callable[[Trace], float]) -> Scorer:
    def check(trace: Trace) -> Feedback:
        crashed = crash_comment(trace)
        if crashed is not None:
            return Feedback(key=key, score=False, comment=crashed)
        used = measure(trace)
        sign = "<=" if used <= limit else ">"
        return Feedback(
            key=key,
            score=used <= limit,
            comment=f"{show_number(used)} {unit} {sign} {show_number(limit)}",
            detail={"used": used, "limit": limit},
        )

    return Scorer(check, key=key)
