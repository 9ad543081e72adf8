"""`final_answer`: every match mode, its key, its comments and its argument checks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from pytest_agenteval.scorers import final_answer, read_answer
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task


def said(text: str) -> dict[str, Any]:
    """Outputs for an agent that answered `text`, in AG2's shape."""
    try:
        content = json.loads(text)
    except ValueError:
        content = text
    return {"body": text, "content": content, "raw": text}


def grade(scorer: Scorer, outputs: dict[str, Any], reference: dict[str, Any] | None) -> Feedback:
    task = Task(task_id="capital", inputs={"input": "Capital of France?"}, reference_outputs=reference)
    [feedback] = asyncio.run(scorer.score(ScoreContext(task=task, outputs=outputs)))
    return feedback


@pytest.mark.parametrize(
    ("match", "answer", "expected", "passed"),
    [
        ("casefold", "  PARIS \n", "Paris", True),
        ("casefold", "Paris, France", "Paris", False),
        ("exact", "Paris", "Paris", True),
        ("exact", "paris", "Paris", False),
        ("exact", "42", 42, True),
        ("contains", "It is PARIS.", "paris", True),
        ("contains", "It is Lyon.", "paris", False),
        ("regex", "The capital is Paris.", r"\bparis\b", True),
        ("regex", "The capital is Parisian.", r"\bparis\b", False),
        ("numeric", "About 1,234.5 people", 1234.5, True),
        ("numeric", "The answer is 41", 42, False),
        ("numeric", "42", "42.0000001", True),
        ("any_of", "paris ", ["Paris", "Paris, France"], True),
        ("any_of", "Lyon", ["Paris", "Paris, France"], False),
    ],
)
def test_each_match_mode_passes_and_fails(match: Any, answer: str, expected: Any, passed: bool) -> None:
    feedback = grade(final_answer(match=match), said(answer), {"answer": expected})
    assert feedback.passed is passed


def test_case_sensitive_contains_and_regex_respect_case() -> None:
    assert (
        grade(final_answer(match="contains", case_sensitive=True), said("PARIS"), {"answer": "Paris"}).score
        is False
    )
    assert (
        grade(final_answer(match="regex", case_sensitive=True), said("PARIS"), {"answer": "Paris"}).score
        is False
    )
    assert (
        grade(final_answer(match="regex", case_sensitive=True), said("Paris"), {"answer": "^Paris$"}).score
        is True
    )


def test_strip_false_keeps_whitespace_significant() -> None:
    assert grade(final_answer(match="exact", strip=False), said("Paris "), {"answer": "Paris"}).score is False
    assert grade(final_answer(match="exact"), said("Paris "), {"answer": "Paris"}).score is True


def test_numeric_uses_absolute_then_relative_tolerance() -> None:
    reference = {"answer": 100}
    assert grade(final_answer(match="numeric", tolerance=0.5), said("100.4"), reference).score is True
    assert grade(final_answer(match="numeric", tolerance=0.5), said("101"), reference).score is False
    assert grade(final_answer(match="numeric", rel_tolerance=0.02), said("101.9"), reference).score is True


def test_numeric_failure_names_both_numbers_or_the_missing_one() -> None:
    assert (
        grade(final_answer(match="numeric"), said("41"), {"answer": 42}).comment
        == "expected 42 (±1e-06), got 41"
    )
    missing = grade(final_answer(match="numeric"), said("no idea"), {"answer": 42})
    assert missing.comment == "expected 42, got no number in 'no idea'"
    bad_reference = grade(final_answer(match="numeric"), said("42"), {"answer": "many"})
    assert (bad_reference.score, bad_reference.comment) == (False, "reference 'many' is not a number")


def test_answer_is_read_from_json_content_field_before_the_body() -> None:
    outputs = said('{"answer": "Paris", "confidence": 0.9}')
    assert read_answer(outputs, "answer") == "Paris"
    assert grade(final_answer(), outputs, {"answer": "paris"}).score is True
    assert read_answer(said("Paris"), "answer") == "Paris"


def test_other_field_reads_that_field_on_both_sides() -> None:
    outputs = said('{"answer": "Paris", "country": "France"}')
    assert grade(final_answer("country"), outputs, {"answer": "x", "country": "FRANCE"}).score is True


def test_failure_comment_shows_expected_and_actual_truncated() -> None:
    feedback = grade(final_answer(), said("Lyon " + "x" * 200), {"answer": "Paris"})
    assert feedback.comment is not None
    assert feedback.comment.startswith("expected 'Paris', got 'Lyon xxx")
    assert feedback.comment.endswith("…")
    assert len(feedback.comment) < 120


def test_any_of_failure_lists_accepted_answers() -> None:
    feedback = grade(final_answer(match="any_of"), said("Lyon"), {"answer": ["Paris", "Paname"]})
    assert feedback.comment == "expected one of ['Paris', 'Paname'], got 'Lyon'"


def test_missing_reference_field_fails_with_comment_not_crash() -> None:
    for reference in (None, {}, {"other": 1}):
        feedback = grade(final_answer(), said("Paris"), reference)
        assert (feedback.score, feedback.error) == (False, None)
        assert feedback.comment == "reference_outputs has no 'answer'"


def test_crashed_run_with_empty_outputs_fails_with_no_answer() -> None:
    feedback = grade(final_answer(), {}, {"answer": "Paris"})
    assert (feedback.score, feedback.comment) == (False, "expected 'Paris', got no answer")


def test_invalid_regex_in_reference_fails_with_comment() -> None:
    feedback = grade(final_answer(match="regex"), said("Paris"), {"answer": "(unclosed"})
    assert feedback.score is False
    assert feedback.comment is not None
    assert feedback.comment.startswith("reference '(unclosed' is not a valid regex (missing )")


def test_keys_name_the_field_and_any_mode_but_casefold() -> None:
    assert final_answer().key == "final_answer[answer]"
    assert final_answer("city").key == "final_answer[city]"
    assert final_answer(match="contains").key == "final_answer[answer:contains]"
    assert final_answer("n", match="numeric").key == "final_answer[n:numeric]"
    assert final_answer(key="capital").key == "capital"
    assert grade(final_answer("city"), said("x"), {"city": "x"}).key == "final_answer[city]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expected_field": ""}, "final_answer: expected_field must be a non-empty string, got ''"),
        ({"match": "fuzzy"}, "final_answer: match must be one of 'casefold', 'exact', .*, got 'fuzzy'"),
        ({"case_sensitive": True}, "final_answer: case_sensitive applies to match='contains' or 'regex'"),
        (
            {"match": "numeric", "tolerance": -1},
            r"final_answer: tolerance must be a finite number >= 0, got -1",
        ),
        ({"match": "numeric", "rel_tolerance": float("nan")}, "final_answer: rel_tolerance must be a finite"),
    ],
)
def test_bad_arguments_raise_value_error_at_once(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        final_answer(**kwargs)
