"""Held results share their nested records' fields sets (about 40% of a result's memory) and their equal frozen
records, and read, dump and copy as before."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_agenteval.results.footprint import share_fields_sets
from pytest_agenteval.results.models import FeedbackRecord, TaskResult, TokenRecord


def result(task_id: str) -> TaskResult:
    return TaskResult(task_id=task_id, inputs={"input": task_id}, base_task_id=task_id, suite="s.jsonl", line=1,
                      node_id=f"s.jsonl::{task_id}", verdict="passed", tokens=TokenRecord(input=3, total=3),
                      feedback=[FeedbackRecord(key="k", score=True, passed=True)])


def test_results_and_their_records_share_one_fields_set_and_dump_as_before() -> None:
    first, second = result("a"), result("b")
    dumps = [(each.model_dump_json(), each.model_dump_json(exclude_unset=True)) for each in (first, second)]
    share_fields_sets(first)
    share_fields_sets(second)
    assert first.tokens.__pydantic_fields_set__ is second.tokens.__pydantic_fields_set__
    assert first.feedback[0].__pydantic_fields_set__ is second.feedback[0].__pydantic_fields_set__
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    assert [(each.model_dump_json(), each.model_dump_json(exclude_unset=True)) for each in (first, second)] == dumps


def test_a_shared_result_is_still_copied_with_an_update() -> None:
    held = result("a")
    share_fields_sets(held)
    other = result("b")
    share_fields_sets(other)
    assert other.__pydantic_fields_set__ is held.__pydantic_fields_set__
    rerun = held.model_copy(update={"attempts": 2})
    assert rerun.attempts == 2 and "attempts" in rerun.model_fields_set
    assert "attempts" not in held.model_fields_set and "attempts" not in other.model_fields_set


def test_equal_frozen_records_of_held_results_become_one_object_and_dump_as_before() -> None:
    first, second = result("a"), result("b")
    dumps = [each.model_dump_json() for each in (first, second)]
    share_fields_sets(first)
    share_fields_sets(second)
    assert second.tokens is first.tokens and second.judge_tokens is first.judge_tokens
    assert second.feedback[0] is first.feedback[0]
    assert [each.model_dump_json() for each in (first, second)] == dumps


def test_records_equal_only_across_types_or_signs_stay_apart() -> None:
    made = [FeedbackRecord(key="k", score=score, passed=True) for score in (True, 1, 1.0, 0.0, -0.0)]
    held = [result(f"t{index}").model_copy(update={"feedback": [record]}) for index, record in enumerate(made)]
    for each in held:
        share_fields_sets(each)
    kept = [each.feedback[0] for each in held]
    assert len({id(record) for record in kept}) == len(made)
    assert [each.model_dump()["feedback"][0]["score"] for each in held] == [True, 1, 1.0, 0.0, -0.0]
    assert str(held[-1].feedback[0].score) == "-0.0"


def test_a_record_with_unhashable_detail_stays_its_own() -> None:
    first, second = (result(name).model_copy(update={"feedback": [
        FeedbackRecord(key="k", score=True, passed=True, detail={"why": ["a"]})]}) for name in ("a", "b"))
    share_fields_sets(first)
    share_fields_sets(second)
    assert first.feedback[0] is not second.feedback[0] and first.feedback[0] == second.feedback[0]


def test_shared_records_cannot_be_changed_in_place() -> None:
    held = result("a")
    share_fields_sets(held)
    with pytest.raises(ValidationError):
        held.tokens.input = 5
    with pytest.raises(ValidationError):
        held.feedback[0].score = False
