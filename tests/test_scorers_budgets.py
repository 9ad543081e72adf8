"""Budgets: tokens, seconds, tool calls, model calls; a crashed run never passes one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_agenteval.scorers import latency_budget, max_model_calls, max_tool_calls, token_budget
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, ModelCall, TokenUsage, ToolCall, Trace

RUN = Trace(
    steps=(
        ModelCall(tokens=TokenUsage(input=300, output=50, cache_read=200)),
        ToolCall("search"),
        ToolCall("search"),
        ModelCall(tokens=TokenUsage(input=400, output=100)),
    ),
    duration_ms=2500.0,
)
CRASHED = Trace(exception=ErrorInfo("RuntimeError", "provider exploded"), duration_ms=10.0)


def grade(scorer: Scorer, trace: Trace) -> Feedback:
    task = Task(task_id="t", inputs={"input": "q"})
    [feedback] = asyncio.run(scorer.score(ScoreContext(task=task, outputs={}, trace=trace)))
    return feedback


@pytest.mark.parametrize(
    ("scorer", "passed", "comment"),
    [
        (token_budget(850), True, "850 tokens <= 850"),
        (token_budget(849), False, "850 tokens > 849"),
        (latency_budget(2.5), True, "2.5 s <= 2.5"),
        (latency_budget(2), False, "2.5 s > 2"),
        (max_tool_calls(2), True, "2 tool calls <= 2"),
        (max_tool_calls(1), False, "2 tool calls > 1"),
        (max_model_calls(2), True, "2 model calls <= 2"),
        (max_model_calls(0), False, "2 model calls > 0"),
    ],
)
def test_budget_compares_usage_with_limit(scorer: Scorer, passed: bool, comment: str) -> None:
    feedback = grade(scorer, RUN)
    assert (feedback.score, feedback.comment) == (passed, comment)


@pytest.mark.parametrize(
    "scorer", [token_budget(10_000), latency_budget(60), max_tool_calls(5), max_model_calls(5)]
)
def test_crashed_run_never_passes_a_budget(scorer: Scorer) -> None:
    feedback = grade(scorer, CRASHED)
    assert feedback.score is False
    assert feedback.comment == "run crashed (RuntimeError: provider exploded); a crash never passes"


def test_token_budget_counts_input_and_output_only_and_keeps_detail() -> None:
    feedback = grade(token_budget(1000), RUN)
    assert feedback.detail == {"used": 850, "limit": 1000}


def test_budget_keys_are_their_names() -> None:
    keys = [token_budget(1).key, latency_budget(1).key, max_tool_calls(1).key, max_model_calls(1).key]
    assert keys == ["token_budget", "latency_budget", "max_tool_calls", "max_model_calls"]


@pytest.mark.parametrize(
    ("factory", "value", "message"),
    [
        (token_budget, -1, "token_budget: max_tokens must be an integer >= 0, got -1"),
        (token_budget, 1.5, "token_budget: max_tokens must be an integer >= 0, got 1.5"),
        (latency_budget, 0, "latency_budget: max_seconds must be > 0, got 0"),
        (latency_budget, float("inf"), "latency_budget: max_seconds must be a finite number >= 0, got inf"),
        (latency_budget, "10", "latency_budget: max_seconds must be a finite number >= 0, got '10'"),
        (max_tool_calls, None, "max_tool_calls: n must be an integer >= 0, got None"),
        (max_model_calls, True, "max_model_calls: n must be an integer >= 0, got True"),
    ],
)
def test_budgets_reject_bad_limits(factory: Any, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory(value)
