"""`matches_schema`: JSON schema dicts and pydantic models, first error in the comment."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from pytest_agenteval.scorers import matches_schema
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task

FORECAST_SCHEMA = {
    "title": "Forecast",
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": {"type": "integer"}}},
    "required": ["city"],
}


class Forecast(BaseModel):
    city: str
    days: list[int] = []


def grade(scorer: Scorer, outputs: dict[str, Any]) -> Feedback:
    task = Task(task_id="weather", inputs={"input": "Forecast for Paris"})
    [feedback] = asyncio.run(scorer.score(ScoreContext(task=task, outputs=outputs)))
    return feedback


def returned(content: Any) -> dict[str, Any]:
    return {"body": str(content), "content": content, "raw": content}


@pytest.mark.parametrize("schema", [FORECAST_SCHEMA, Forecast])
def test_valid_content_passes(schema: Any) -> None:
    feedback = grade(matches_schema(schema), returned({"city": "Paris", "days": [1, 2]}))
    assert (feedback.score, feedback.comment) == (True, None)


def test_json_schema_failure_names_the_path_and_the_error() -> None:
    feedback = grade(matches_schema(FORECAST_SCHEMA), returned({"city": "Paris", "days": [1, "two"]}))
    assert feedback.score is False
    assert feedback.comment == "days.1: 'two' is not of type 'integer'"


def test_json_schema_failure_at_the_root_says_root() -> None:
    feedback = grade(matches_schema(FORECAST_SCHEMA), returned({"days": []}))
    assert feedback.comment == "(root): 'city' is a required property"


def test_pydantic_failure_names_the_field_and_the_error() -> None:
    feedback = grade(matches_schema(Forecast), returned({"city": "Paris", "days": [1, "two"]}))
    assert feedback.score is False
    assert feedback.comment is not None
    assert feedback.comment.startswith("days.1: Input should be a valid integer")


def test_text_that_is_not_json_fails_a_model() -> None:
    feedback = grade(matches_schema(Forecast), returned("Sunny in Paris"))
    assert feedback.score is False
    assert feedback.comment is not None
    assert feedback.comment.startswith("(root): Input should be a valid dictionary")


def test_crashed_run_has_no_content_and_fails() -> None:
    feedback = grade(matches_schema(Forecast), {})
    assert (feedback.score, feedback.comment) == (False, "no content to validate: the agent gave nothing")


def test_keys_name_the_model_or_the_schema_title() -> None:
    assert matches_schema(Forecast).key == "matches_schema[Forecast]"
    assert matches_schema(FORECAST_SCHEMA).key == "matches_schema[Forecast]"
    assert matches_schema({"type": "object"}).key == "matches_schema"
    assert matches_schema(Forecast, key="forecast_shape").key == "forecast_shape"


def test_invalid_json_schema_raises_value_error_at_once() -> None:
    with pytest.raises(
        ValueError, match="matches_schema: the schema is not a valid JSON schema: 'strng' is not"
    ):
        matches_schema({"type": "strng"})


def test_schema_of_the_wrong_kind_raises_type_error() -> None:
    with pytest.raises(
        TypeError, match="matches_schema: schema must be a JSON schema dict or a pydantic model"
    ):
        matches_schema(["not", "a", "schema"])  # type: ignore[arg-type]


def test_json_schema_without_jsonschema_installed_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # makes `import jsonschema` raise ImportError
    with pytest.raises(ImportError, match="needs the 'jsonschema' package; pip install jsonschema"):
        matches_schema(FORECAST_SCHEMA)
    assert matches_schema(Forecast).key == "matches_schema[Forecast]"
