"""`matches_schema`: is `outputs["content"]` valid against a JSON schema or a pydantic model.

JSON schema dicts need the optional `jsonschema` package, imported when the factory runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from pytest_agenteval.scoring.core import Feedback, Scorer

Validate = Callable[[Any], str | None]


def matches_schema(schema: Mapping[str, Any] | type[BaseModel], *, key: str | None = None) -> Scorer:
    """Pass when `outputs["content"]` validates; the comment carries the first error."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        validate, name = _model_validator(schema), f"matches_schema[{schema.__name__}]"
    elif isinstance(schema, Mapping):
        title = schema.get("title")
        validate = _json_schema_validator(schema)
        name = f"matches_schema[{title}]" if isinstance(title, str) and title else "matches_schema"
    else:
        raise TypeError(
            f"matches_schema: schema must be a JSON schema dict or a pydantic model class, got {schema!r}"
        )
    name = key or name

    def check(outputs: Mapping[str, Any]) -> Feedback:
        if "content" not in outputs:
            return Feedback(key=name, score=False, comment="no content to validate: the agent gave nothing")
        problem = validate(outputs["content"])
        return Feedback(key=name, score=problem is None, comment=problem)

    return Scorer(check, key=name)


def _model_validator(model: type[BaseModel]) -> Validate:
    def validate(content: Any) -> str | None:
        try:
            model.model_validate(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            return f"{_where(first['loc'])}: {first['msg']}"
        return None

    return validate


def _json_schema_validator(schema: Mapping[str, Any]) -> Validate:
    try:
        jsonschema = importlib.import_module("jsonschema")  # optional; untyped, so imported by name
    except ImportError as exc:
        raise ImportError(
            "matches_schema: a JSON schema dict needs the 'jsonschema' package; "
            "pip install jsonschema, or pass a pydantic model class instead"
        ) from exc
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise ValueError(f"matches_schema: the schema is not a valid JSON schema: {exc.message}") from exc
    validator = validator_class(dict(schema))

    def validate(content: Any) -> str | None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(content))
        return None if error is None else f"{_where(error.absolute_path)}: {error.message}"

    return validate


def _where(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(root)"
