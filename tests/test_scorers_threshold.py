"""`threshold`: numeric scores become pass/fail; no score, no feedback and crashes all fail."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_agenteval.scorers import threshold, token_budget
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer, scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ModelCall, TokenUsage, Trace


def grade_all(wrapped: Scorer, outputs: Mapping[str, Any] | None = None) -> list[Feedback]:
    task = Task(task_id="essay", inputs={"input": "Write a haiku"}, reference_outputs={"answer": "x"})
    context = ScoreContext(task=task, outputs=outputs or {"body": "a haiku", "content": "a haiku"})
    return asyncio.run(wrapped.score(context))


def grade(wrapped: Scorer) -> Feedback:
    [feedback] = grade_all(wrapped)
    return feedback


def scoring(value: Any, comment: str | None = None) -> Scorer:
    @scorer(key="quality")
    def quality() -> Any:
        return Feedback(key="quality", score=value, comment=comment) if comment else value

    return quality


@pytest.mark.parametrize(
    ("score", "bounds", "passed", "comment"),
    [
        (0.62, {"at_least": 0.7}, False, "score 0.62 < 0.7"),
        (0.7, {"at_least": 0.7}, True, "score 0.7 >= 0.7"),
        (0.9, {"at_most": 0.5}, False, "score 0.9 > 0.5"),
        (3, {"at_least": 1, "at_most": 5}, True, "score 3 >= 1 and <= 5"),
        (6, {"at_least": 1, "at_most": 5}, False, "score 6 > 5"),
        (-2.5, {"at_least": -3}, True, "score -2.5 >= -3"),
    ],
)
def test_numeric_score_is_checked_against_inclusive_bounds(
    score: float, bounds: dict[str, float], passed: bool, comment: str
) -> None:
    feedback = grade(threshold(scoring(score), at_least=bounds.get("at_least"), at_most=bounds.get("at_most")))
    assert (feedback.key, feedback.score, feedback.passed, feedback.comment) == (
        "quality",
        passed,
        passed,
        comment,
    )


def test_original_comment_and_detail_are_kept_with_the_bounds() -> None:
    feedback = grade(threshold(scoring(0.5, comment="too long"), at_least=0.8))
    assert feedback.comment == "score 0.5 < 0.8; too long"
    assert feedback.detail == {"score": 0.5, "at_least": 0.8, "at_most": None}


def test_ungradeable_feedback_fails() -> None:
    feedback = grade(threshold(scoring("verbose"), at_least=0.5))
    assert (feedback.score, feedback.value, feedback.comment) == (
        False,
        "verbose",
        "ungradeable: no numeric score",
    )


def test_wrapped_scorer_that_returns_nothing_fails() -> None:
    feedback = grade(threshold(scoring(None), at_least=0.5))
    assert (feedback.key, feedback.score, feedback.comment) == (
        "quality",
        False,
        "no feedback from 'quality'",
    )


def test_crashed_wrapped_scorer_stays_a_crash_with_its_real_type() -> None:
    @scorer
    def judge() -> float:
        raise ConnectionError("judge model unreachable")

    feedback = grade(threshold(judge, at_least=0.5))
    assert feedback.error is not None
    assert (feedback.error.type, feedback.passed) == ("ConnectionError", False)


def test_bool_feedback_passes_through_as_a_verdict() -> None:
    assert grade(threshold(scoring(True), at_least=0.9)).score is True
    assert grade(threshold(scoring(False), at_least=0.0)).score is False


def test_wrapped_scorer_gets_the_run_it_asks_for() -> None:
    trace = Trace(steps=(ModelCall(tokens=TokenUsage(input=10, output=5)),))
    task = Task(task_id="t", inputs={"input": "q"})

    @scorer
    def tokens_used(trace: Trace, outputs: Mapping[str, Any]) -> int:
        return trace.tokens.total + len(outputs["body"])

    wrapped = threshold(tokens_used, at_most=20)
    [feedback] = asyncio.run(wrapped.score(ScoreContext(task=task, outputs={"body": "abc"}, trace=trace)))
    assert (feedback.score, feedback.comment) == (True, "score 18 <= 20")


def test_each_feedback_of_a_list_is_checked_and_renamed_only_with_a_key() -> None:
    @scorer
    def rubric() -> list[Feedback]:
        return [Feedback(key="clarity", score=0.9), Feedback(key="accuracy", score=0.4)]

    assert [(f.key, f.score) for f in grade_all(threshold(rubric, at_least=0.5))] == [
        ("clarity", True),
        ("accuracy", False),
    ]
    assert {f.key for f in grade_all(threshold(rubric, at_least=0.5, key="rubric_ok"))} == {"rubric_ok"}


def test_key_defaults_to_the_wrapped_key_and_plain_functions_are_accepted() -> None:
    def helpfulness() -> float:
        return 0.8

    assert threshold(helpfulness, at_least=0.5).key == "helpfulness"
    assert threshold(token_budget(10), at_least=1).key == "token_budget"
    assert threshold(helpfulness, at_least=0.5, key="helpful").key == "helpful"
    assert grade(threshold(helpfulness, at_least=0.5)).score is True


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "threshold: give at_least, at_most, or both"),
        ({"at_least": 0.9, "at_most": 0.5}, ValueError, "threshold: at_least 0.9 is above at_most 0.5"),
        ({"at_least": float("nan")}, ValueError, "threshold: at_least must be a finite number, got nan"),
        ({"at_most": "high"}, ValueError, "threshold: at_most must be a finite number, got 'high'"),
    ],
)
def test_rejects_bad_bounds(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        threshold(scoring(0.5), **kwargs)


def test_rejects_something_that_is_not_a_scorer() -> None:
    with pytest.raises(TypeError, match=r"is not a scorer: pass a function or a pytest_agenteval\.Scorer"):
        threshold(0.5, at_least=0.1)  # type: ignore[arg-type]
