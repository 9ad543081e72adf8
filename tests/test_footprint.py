"""Held results share their nested records' fields sets (about 40% of a result's memory), and read, dump and
copy as before."""

from __future__ import annotations

from pytest_agenteval.results.footprint import share_nested_fields_sets
from pytest_agenteval.results.models import FeedbackRecord, TaskResult, TokenRecord


def result(task_id: str) -> TaskResult:
    return TaskResult(task_id=task_id, inputs={"input": task_id}, base_task_id=task_id, suite="s.jsonl", line=1,
                      node_id=f"s.jsonl::{task_id}", verdict="passed", tokens=TokenRecord(input=3, total=3),
                      feedback=[FeedbackRecord(key="k", score=True, passed=True)])


def test_nested_records_share_one_fields_set_and_dump_as_before() -> None:
    first, second = result("a"), result("b")
    dumps = [(each.model_dump_json(), each.model_dump_json(exclude_unset=True)) for each in (first, second)]
    share_nested_fields_sets(first)
    share_nested_fields_sets(second)
    assert first.tokens.__pydantic_fields_set__ is second.tokens.__pydantic_fields_set__
    assert first.feedback[0].__pydantic_fields_set__ is second.feedback[0].__pydantic_fields_set__
    assert first.__pydantic_fields_set__ is not second.__pydantic_fields_set__
    assert [(each.model_dump_json(), each.model_dump_json(exclude_unset=True)) for each in (first, second)] == dumps


def test_a_shared_result_is_still_copied_with_an_update() -> None:
    held = result("a")
    share_nested_fields_sets(held)
    rerun = held.model_copy(update={"attempts": 2})
    assert rerun.attempts == 2 and "attempts" in rerun.model_fields_set and "attempts" not in held.model_fields_set
