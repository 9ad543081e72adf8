"""The catalog as a whole: default keys never collide and are stable."""

from __future__ import annotations

from pytest_agenteval.scorers import (
    final_answer,
    latency_budget,
    matches_schema,
    max_model_calls,
    max_tool_calls,
    no_tool_errors,
    threshold,
    token_budget,
    tool_args_match,
    tool_called,
    trajectory_match,
)
from pytest_agenteval.scoring import Scorer


def test_factories_return_scorers_with_distinct_default_keys() -> None:
    made = [
        final_answer(),
        final_answer("city"),
        final_answer(match="contains"),
        matches_schema({"title": "Forecast", "type": "object"}),
        tool_called("search"),
        tool_called("book"),
        no_tool_errors(),
        token_budget(1000),
        latency_budget(30),
        max_tool_calls(5),
        max_model_calls(5),
        tool_args_match({"search": {}}),
        tool_args_match({"search": {}}, mode="superset"),
        trajectory_match(["search"]),
        trajectory_match(["search"], mode="unordered"),
        threshold(final_answer("score"), at_least=0.5, key="score_ok"),
    ]
    assert all(isinstance(each, Scorer) for each in made)
    keys = [each.key for each in made]
    assert len(set(keys)) == len(keys), keys


def test_keys_are_stable_across_calls() -> None:
    assert final_answer("city", match="regex").key == final_answer("city", match="regex").key
    assert repr(tool_called("search")) == "Scorer('tool_called[search]')"
