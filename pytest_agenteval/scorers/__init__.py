"""The built-in scorer catalog: factories that each return a `Scorer` with a stable key."""

from __future__ import annotations

from pytest_agenteval.scorers.answers import final_answer, read_answer
from pytest_agenteval.scorers.budgets import latency_budget, max_model_calls, max_tool_calls, token_budget
from pytest_agenteval.scorers.structure import matches_schema
from pytest_agenteval.scorers.threshold import threshold
from pytest_agenteval.scorers.tools import no_tool_errors, tool_args_match, tool_called
from pytest_agenteval.scorers.trajectory import trajectory_match

__all__ = [
    "final_answer",
    "latency_budget",
    "matches_schema",
    "max_model_calls",
    "max_tool_calls",
    "no_tool_errors",
    "read_answer",
    "threshold",
    "token_budget",
    "tool_args_match",
    "tool_called",
    "trajectory_match",
]
