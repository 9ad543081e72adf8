"""`trajectory_match`: executed tool names against an expected list, in four modes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_agenteval.scorers import trajectory_match
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ModelCall, ToolCall, ToolRequest, Trace


def ran(*names: str) -> Trace:
    requested = ModelCall(tool_requests=tuple(ToolRequest(name) for name in names))
    return Trace(steps=(requested, *(ToolCall(name) for name in names), ModelCall()))


def grade(scorer: Scorer, trace: Trace, reference: dict[str, Any] | None = None) -> Feedback:
    task = Task(task_id="trip", inputs={"input": "Plan a day in Paris"}, reference_outputs=reference)
    [feedback] = asyncio.run(scorer.score(ScoreContext(task=task, outputs={}, trace=trace)))
    return feedback


@pytest.mark.parametrize(
    ("mode", "actual", "passed"),
    [
        ("strict", ["weather", "events"], True),
        ("strict", ["events", "weather"], False),
        ("strict", ["weather", "events", "events"], False),
        ("unordered", ["events", "weather"], True),
        ("unordered", ["events", "weather", "weather"], False),
        ("subset", ["weather"], True),
        ("subset", ["weather", "book"], False),
        ("subset", ["weather", "weather"], False),
        ("superset", ["book", "events", "weather"], True),
        ("superset", ["weather"], False),
    ],
)
def test_each_mode_compares_executed_tool_names(mode: Any, actual: list[str], passed: bool) -> None:
    assert grade(trajectory_match(["weather", "events"], mode=mode), ran(*actual)).score is passed


def test_empty_strict_trajectory_means_no_tool_may_run() -> None:
    assert grade(trajectory_match([]), ran()).score is True
    assert grade(trajectory_match([]), ran("weather")).score is False


def test_failure_comment_shows_both_lists_and_the_difference() -> None:
    feedback = grade(trajectory_match(["weather", "events"]), ran("weather", "book"))
    assert feedback.comment == (
        "expected ['weather', 'events'] (strict), got ['weather', 'book']; "
        "missing ['events']; unexpected ['book']"
    )
    assert feedback.detail == {"expected": ["weather", "events"], "actual": ["weather", "book"]}


def test_superset_comment_names_only_what_is_missing() -> None:
    feedback = grade(trajectory_match(["weather", "events"], mode="superset"), ran("weather", "book"))
    assert (
        feedback.comment
        == "expected ['weather', 'events'] (superset), got ['weather', 'book']; missing ['events']"
    )


def test_reads_reference_trajectory_when_expected_is_none() -> None:
    scorer = trajectory_match(mode="unordered")
    assert grade(scorer, ran("events", "weather"), {"trajectory": ["weather", "events"]}).score is True
    missing = grade(scorer, ran("weather"), {"answer": "x"})
    assert (missing.score, missing.comment) == (False, "reference_outputs has no 'trajectory'")
    bad = grade(scorer, ran("weather"), {"trajectory": "weather"})
    assert (bad.score, bad.comment) == (
        False,
        "reference_outputs['trajectory']: expected must be a list of tool names, got 'weather'",
    )


def test_keys_name_a_mode_other_than_strict() -> None:
    assert trajectory_match(["a"]).key == "trajectory_match"
    assert trajectory_match(["a"], mode="subset").key == "trajectory_match[subset]"
    assert trajectory_match(key="route").key == "route"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((["a"],), {"mode": "loose"}, "trajectory_match: mode must be one of 'strict', 'unordered'"),
        (("weather",), {}, "expected must be a list of tool names, got 'weather'"),
        ((["weather", ""],), {}, "every expected tool name must be a non-empty string"),
    ],
)
def test_rejects_bad_arguments(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trajectory_match(*args, **kwargs)
