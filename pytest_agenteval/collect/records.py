"""Suite files: a JSONL file read line by line into records and one `RecordError` per bad line (file, line,
field). Checked by hand, not by a pydantic model per line, so a million records load in bounded memory.
Suite data is data: nothing in it is imported, evaluated or executed. Imports nothing from pytest.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_agenteval.collect.inline_suite import InlineSuite
from pytest_agenteval.collect.suite_file import (
    SuiteFileError,
    line_limit,
    open_suite_file,
    os_reason,
    parse_json,
    physical_lines,
    shown,
)
from pytest_agenteval.task import Task

RECORD_KEYS = ("task_id", "inputs", "reference_outputs", "tags", "metadata")
BOM = "\ufeff"
NOTED_LINES = 5  # lines named in one warning; the rest are counted
NOTED_KEYS = 10


@dataclass(frozen=True, slots=True)
class SuiteRecord:
    """One valid line of a suite file (AG2's task record); unknown keys were merged into `metadata`."""

    task_id: str
    inputs: dict[str, Any]
    reference_outputs: dict[str, Any] | None
    tags: tuple[str, ...]
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LoadedRecord:
    """A valid record and its 1-based line number."""

    line: int
    record: SuiteRecord

    def task(self, suite: str, repeat: int, repeats: int, variant: str | None = None, first: bool = True) -> Task:
        """The record as agents and scorers see it, at one repeat of one variant; every item but the `first` of the
        record gets its own copy."""
        record = self.record
        inputs, reference, metadata = record.inputs, record.reference_outputs, record.metadata
        if repeat > 1 or not first:  # an agent that mutates its inputs must not change the next item
            inputs, reference, metadata = copy.deepcopy((inputs, reference, metadata))
        return Task(task_id=record.task_id, inputs=inputs, reference_outputs=reference, tags=record.tags,
                    metadata=metadata, repeat=repeat, repeats=repeats, suite=suite, line=self.line,
                    variant=variant)


@dataclass(frozen=True, slots=True)
class RecordError:
    """A bad line (or, at line 0, a file that cannot be read as a suite), in one sentence."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadedSuite:
    """Everything read from one suite file: the good records, one error per bad line, the warnings."""

    path: str
    records: tuple[LoadedRecord, ...]
    errors: tuple[RecordError, ...]
    warnings: tuple[str, ...] = ()


def load_suite(path: Path, display_path: str | None = None) -> LoadedSuite:
    """Read a JSONL suite; a bad line becomes a `RecordError` and never stops the others."""
    reader = SuiteReader(path, display_path or str(path))
    records: list[LoadedRecord] = []
    errors: list[RecordError] = []
    for entry in reader:
        if isinstance(entry, RecordError):
            errors.append(entry)
        else:
            records.append(entry)
    return LoadedSuite(reader.path, tuple(records), tuple(errors), reader.warnings())


class SuiteReader:
    """Reads one suite file line by line: iterate it once for records and errors in line order, then ask for
    its `warnings()` (records without `task_id`, unknown keys kept in metadata).
    """

    def __init__(self, path: Path, display_path: str) -> None:
        self.file = path
        self.path = display_path
        self.first_line: dict[str, int] = {}  # task id -> the line that defined it
        self.derived: list[tuple[int, str]] = []  # (line, id) of the first records without task_id
        self.derived_count = 0
        self.unknown: dict[str, list[int]] = {}  # unknown key -> [first line, records]
        self.tag_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct tag list

    def __iter__(self) -> Iterator[LoadedRecord | RecordError]:
        try:
            handle = open_suite_file(self.file)
        except SuiteFileError as exc:
            yield RecordError(self.path, 0, str(exc))
            return
        line = index = 0
        with handle:
            try:
                for line, raw in enumerate(physical_lines(handle), start=1):
                    entry = self._entry(raw, line, index)
                    if entry is not None:
                        index += 1  # AG2's index: the position among the non-blank lines
                        yield entry
            except OSError as exc:  # a read that fails (EIO, a file that turned non-blocking)
                where = f" after line {line}" if line else ""
                yield RecordError(self.path, 0, f"cannot read the suite file{where}: {os_reason(exc)}")

    def _entry(self, raw: bytes | None, line: int, index: int) -> LoadedRecord | RecordError | None:
        """The record or the error of one line; None for a blank line."""
        if raw is None:
            return self._error(line, f"longer than {line_limit()}; split the record")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._error(line, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
        if line == 1:
            text = text.removeprefix(BOM)
        text = text.strip()  # as AG2 reads a line: Unicode whitespace around it is ignored
        if not text:
            return None
        value, problem = parse_json(text)
        if problem is not None:
            return self._error(line, problem)
        if not isinstance(value, dict):
            return self._error(line, f"must be a JSON object, got {_json_type(value)}")
        record = self._record(value, line, index)
        return record if isinstance(record, LoadedRecord) else self._error(line, record)

    def _error(self, line: int, message: str) -> RecordError:
        return RecordError(self.path, line, message)

    def _record(self, value: dict[str, Any], line: int, index: int) -> LoadedRecord | str:
        problems: list[str] = []
        extra = {key: item for key, item in value.items() if key not in _KNOWN_KEYS}
        for key in list(extra):
            near = near_miss(key)
            if near is not None:
                problems.append(f"unknown key {shown(key)} (did you mean {near!r}?)")
                del extra[key]
        task_id, derived = _task_id(value.get("task_id"), index, problems)
        inputs = _inputs(value, problems)
        reference = value.get("reference_outputs")
        if reference is not None and not isinstance(reference, dict):
            problems.append(f"'reference_outputs' must be an object or null, got {_json_type(reference)}")
        tags = self._tags(value.get("tags"), problems)
        metadata = value.get("metadata")
        if metadata is None:
            metadata = {}
        elif not isinstance(metadata, dict):
            problems.append(f"'metadata' must be an object, got {_json_type(metadata)}")
        else:
            problems.extend(f"unknown key {shown(key)} is also a key of 'metadata', where unknown keys are kept; "
                            "rename one" for key in extra if key in metadata)
        if problems or inputs is None or task_id is None:
            return "; ".join(problems)
        first = self.first_line.setdefault(task_id, line)
        if first != line:
            given = "its derived task_id" if derived else "task_id"
            return f"duplicate {given} {shown(task_id)} (first defined on line {first})"
        if extra:
            metadata = {**metadata, **extra}
            self._note_unknown(extra, line)
        if derived:
            self.derived_count += 1
            if len(self.derived) < NOTED_LINES:
                self.derived.append((line, task_id))
        return LoadedRecord(line, SuiteRecord(task_id, inputs, reference, tags, metadata))

    def _tags(self, raw: Any, problems: list[str]) -> tuple[str, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            problems.append(f"'tags' must be a string or a list of strings, got {_json_type(raw)}")
            return ()
        tags: list[str] = []
        for position, tag in enumerate(raw):
            text = _text_id(tag)
            if text is None:
                problems.append(f"'tags.{position}' must be a string, got {_json_type(tag)}")
            else:
                tags.append(text)
        unique = tuple(dict.fromkeys(tags))
        return self.tag_tuples.setdefault(unique, unique)

    def _note_unknown(self, extra: dict[str, Any], line: int) -> None:
        for key in extra:
            seen = self.unknown.get(key)
            if seen is not None:
                seen[1] += 1
            elif len(self.unknown) < NOTED_KEYS:
                self.unknown[key] = [line, 1]
            else:
                self.unknown.setdefault("", [line, 0])[1] += 1  # keys beyond the first few, counted together

    def warnings(self) -> tuple[str, ...]:
        """What loaded but should be fixed, one sentence per kind; ask after iterating."""
        found: list[str] = []
        if self.derived_count:
            lines = ", ".join(str(line) for line, _ in self.derived) + (", ..." if self.derived_count > NOTED_LINES
                                                                         else "")
            ids = ", ".join(repr(task_id) for _, task_id in self.derived[:2])
            found.append(f"{self.path}: {_count(self.derived_count, 'record')} without task_id (line {lines}) "
                         f"got AG2's id by position ({ids}{', ...' if self.derived_count > 2 else ''}), which "
                         "changes when records are added, removed or moved; give each record a task_id")
        if self.unknown:
            keys = ", ".join(_unknown_key_note(key, first, count) for key, (first, count) in self.unknown.items())
            found.append(f"{self.path}: unknown {keys} kept in each record's metadata (AG2 ignores them); "
                         "move them into 'metadata' to silence this warning")
        return tuple(found)


class InlineReader(SuiteReader):
    """Reads the records of an `inline_suite` as the lines of a file: each record as JSON, checked by the same
    rules, numbered from 1. A record JSON cannot hold, or a generator that raises, is an error at its place."""

    def __init__(self, suite: InlineSuite, display_path: str) -> None:
        super().__init__(Path(suite.file), display_path)
        self.suite = suite

    def __iter__(self) -> Iterator[LoadedRecord | RecordError]:
        records = self.suite.records
        try:
            iterator = iter(records() if callable(records) else records)
        except Exception as exc:  # the user's function or iterable
            yield RecordError(self.path, 0, f"cannot read the records: {type(exc).__name__}: {exc}")
            return
        position = index = 0
        while True:
            try:
                value = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                yield RecordError(self.path, position + 1, f"the records raised {type(exc).__name__}: {exc}")
                return
            position += 1
            try:
                raw = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")
            except (TypeError, ValueError, RecursionError) as exc:
                yield self._error(position, f"record is not JSON data: {exc}")
                continue
            entry = self._entry(raw, position, index)
            if entry is not None:
                index += 1
                yield entry


_KNOWN_KEYS = frozenset(RECORD_KEYS)


@functools.lru_cache(maxsize=1024)
def near_miss(key: str) -> str | None:
    """The record key an unknown key is a typo of, if it is one (`refrence_outputs`, `taskId`, top-level `input`)."""
    normal = key.lower().replace("-", "_")
    if normal in _KNOWN_KEYS:
        return normal
    found = difflib.get_close_matches(normal, RECORD_KEYS, n=1, cutoff=0.8)
    return found[0] if found else None


def _task_id(raw: Any, index: int, problems: list[str]) -> tuple[str | None, bool]:
    """The id, and whether it was derived: AG2's `task-{index:04d}` (its position among the non-blank lines)."""
    if raw is None or raw == "":
        return f"task-{index:04d}", True
    text = _text_id(raw)
    if text is None:
        problems.append(f"'task_id' must be a string, got {_json_type(raw)}")
    return text, False


def _text_id(raw: Any) -> str | None:
    """A string as it is; an integer as its digits (AG2 keeps it as a number, the run stores text)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return None


def _inputs(value: dict[str, Any], problems: list[str]) -> dict[str, Any] | None:
    if "inputs" not in value:
        problems.append("'inputs' is missing")
        return None
    inputs = value["inputs"]
    if not isinstance(inputs, dict):
        problems.append(f"'inputs' must be an object with 'input', got {_json_type(inputs)}")
        return None
    if "input" not in inputs:
        problems.append("'inputs.input' is missing; every record needs the prompt the agent is asked")
        return None
    return inputs


def _unknown_key_note(key: str, first: int, count: int) -> str:
    if not key:
        return f"and other keys ({_count(count, 'more')})"
    where = f"line {first}" if count == 1 else f"{count} records, first on line {first}"
    return f"key {shown(key)} ({where})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 or noun == "more" else f"{number} {noun}s"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
