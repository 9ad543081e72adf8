"""Suite files: record models, JSONL loading and validation, one error per bad line.

Suite data is data: nothing in it is imported, evaluated or executed. Imports nothing from pytest.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from pytest_agenteval.task import Task

TASK_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
TAG_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
BOM = b"\xef\xbb\xbf"


# Tags become markers; these names already mean something to pytest (a tag "skip" would skip the task).
RESERVED_TAGS = frozenset({"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"})


def _tags_as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _not_reserved(tag: str) -> str:
    if tag in RESERVED_TAGS:
        raise ValueError(f"tag {tag!r} is a pytest built-in marker; rename it")
    return tag


TaskId = Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN, max_length=200)]
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=100), AfterValidator(_not_reserved)]


class RecordInputs(BaseModel):
    """`inputs`: `input` is what the agent is asked; other keys reach scorers only."""

    model_config = ConfigDict(extra="allow")
    input: Any


class SuiteRecord(BaseModel):
    """One line of a suite file (AG2's task record)."""

    model_config = ConfigDict(extra="forbid")
    task_id: TaskId
    inputs: RecordInputs
    reference_outputs: dict[str, Any] | None = None
    tags: Annotated[list[Tag], BeforeValidator(_tags_as_list)] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


RECORD_KEYS = tuple(SuiteRecord.model_fields)


@dataclass(frozen=True, slots=True)
class LoadedRecord:
    """A valid record and its 1-based line number."""

    line: int
    record: SuiteRecord

    def task(self, suite: str, repeat: int, repeats: int) -> Task:
        """The record as agents and scorers see it, at one repeat."""
        record = self.record
        return Task(task_id=record.task_id, inputs=record.inputs.model_dump(),
                    reference_outputs=record.reference_outputs, tags=tuple(record.tags), metadata=record.metadata,
                    repeat=repeat, repeats=repeats, suite=suite, line=self.line)


@dataclass(frozen=True, slots=True)
class RecordError:
    """A bad line: where it is and what is wrong, in one sentence."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadedSuite:
    """Everything read from one suite file: the good records and one error per bad line."""

    path: str
    records: tuple[LoadedRecord, ...]
    errors: tuple[RecordError, ...]


def load_suite(path: Path, display_path: str | None = None) -> LoadedSuite:
    """Read a JSONL suite; a bad line becomes a `RecordError` and never stops the others."""
    shown = display_path or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return LoadedSuite(shown, (), (RecordError(shown, 0, f"cannot read the suite file: {exc.strerror}"),))
    if data.startswith(BOM):
        data = data[len(BOM):]
    records: list[LoadedRecord] = []
    errors: list[RecordError] = []
    first_line_of: dict[str, int] = {}
    for index, raw in enumerate(data.split(b"\n")):
        line = index + 1
        record_or_error = _parse_line(raw, line, shown)
        if record_or_error is None:
            continue
        if isinstance(record_or_error, RecordError):
            errors.append(record_or_error)
            continue
        task_id = record_or_error.task_id
        if task_id in first_line_of:
            errors.append(RecordError(
                shown, line, f"duplicate task_id {task_id!r} (first defined on line {first_line_of[task_id]})"
            ))
            continue
        first_line_of[task_id] = line
        records.append(LoadedRecord(line, record_or_error))
    return LoadedSuite(shown, tuple(records), tuple(errors))


def _parse_line(raw: bytes, line: int, path: str) -> SuiteRecord | RecordError | None:
    raw = raw.rstrip(b"\r")
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordError(path, line, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
    try:
        value = json.loads(text)
    except RecursionError:
        return RecordError(path, line, "not valid JSON: nested too deeply")
    except json.JSONDecodeError as exc:
        return RecordError(path, line, f"not valid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(value, dict):
        return RecordError(path, line, f"must be a JSON object, got {_json_type(value)}")
    try:
        return SuiteRecord.model_validate(value)
    except ValidationError as exc:
        return RecordError(path, line, describe_validation_error(exc))
    except RecursionError:
        return RecordError(path, line, "record is nested too deeply to validate")


def describe_validation_error(exc: ValidationError) -> str:
    """One sentence per problem, naming the field; joined with '; '."""
    return "; ".join(_describe(error) for error in exc.errors(include_url=False))


def _describe(error: Any) -> str:
    location = [str(part) for part in error["loc"]]
    field = ".".join(location)
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(location[-1])
    if kind == "missing":
        if field == "inputs.input":
            return "'inputs.input' is missing; every record needs the prompt the agent is asked"
        if field == "task_id":
            return "'task_id' is missing; every record needs a stable id made of [A-Za-z0-9_-]"
        return f"{field!r} is missing"
    if kind == "string_pattern_mismatch" and location[0] == "task_id":
        return (f"'task_id' {error['input']!r} may only use letters, digits, '_' and '-' "
                "(it becomes part of the pytest node id)")
    if kind == "string_pattern_mismatch" and location[0] == "tags":
        return (f"tag {error['input']!r} in {field!r} must be a Python identifier (it becomes a pytest "
                "marker): a letter, then letters, digits or '_'")
    if kind == "value_error":
        return f"{field!r}: {error['ctx']['error']}"
    return f"{field!r}: {error['msg']} (got {_json_type(error['input'])})"


def _unknown_key_message(key: str) -> str:
    near = difflib.get_close_matches(key, RECORD_KEYS, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else f"; allowed keys are: {', '.join(RECORD_KEYS)}"
    return f"unknown key {key!r}{hint}"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
