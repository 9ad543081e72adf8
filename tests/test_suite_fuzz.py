"""Property-based fuzz of the suite loader: whatever the lines hold (lone surrogates, huge integers, duplicate
keys, NaN, deep nesting, random bytes), loading never raises, every non-blank line is exactly one record or one
error naming its line, and the good lines around the bad ones still load, with their ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agenteval.collect.records import load_suite

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUES = st.recursive(JSON_LEAVES, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


@st.composite
def good_line(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record; its task_id is set later, so that every good id is unique."""
    record: dict[str, Any] = {"inputs": {"input": draw(JSON_VALUES)}}
    if draw(st.booleans()):
        record["tags"] = draw(st.lists(st.text(max_size=10), max_size=3))
    if draw(st.booleans()):
        record["metadata"] = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    if draw(st.booleans()):
        record["reference_outputs"] = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    return record


def hostile_record(value: str) -> str:
    return '{"task_id": "hostile", "inputs": {"input": ' + value + "}}"


HOSTILE_TEXT = st.one_of(
    st.integers(0xD800, 0xDFFF).map(lambda point: hostile_record(f'"a\\u{point:04x}b"')),  # a lone surrogate
    st.integers(4301, 6000).map(lambda digits: hostile_record("7" * digits)),  # past Python's digit limit
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"]).map(hostile_record),
    st.sampled_from(['{"task_id": "a", "task_id": "b", "inputs": {"input": 1}}',
                     '{"task_id": "a", "inputs": {"input": 1, "input": 2}}',
                     '{"task_id": "a", "inputs": {"input": {"k": 1, "k": 1}}}']),  # duplicate keys
    st.integers(101, 3000).map(lambda depth: hostile_record("[" * depth + "]" * depth)),  # nested too deeply
    st.integers(101, 3000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    JSON_VALUES.map(lambda value: json.dumps(value)),  # JSON, but mostly not a record
    st.text().map(lambda text: text.replace("\n", " ").replace("\r", " ")),
)
RANDOM_BYTES = st.binary(max_size=60).map(lambda raw: raw.replace(b"\n", b" ").replace(b"\r", b" "))
LINE = st.one_of(good_line(), HOSTILE_TEXT, RANDOM_BYTES)


def as_bytes(line: dict[str, Any] | str | bytes) -> bytes:
    if isinstance(line, bytes):
        return line
    if isinstance(line, str):
        return line.encode("utf-8", "surrogatepass")
    return json.dumps(line, ensure_ascii=False).encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(lines=st.lists(LINE, max_size=25), line_end=st.sampled_from([b"\n", b"\r\n"]))
def test_every_line_is_one_record_or_one_error_and_good_lines_always_load(
        tmp_path: Path, lines: list[dict[str, Any] | str | bytes], line_end: bytes) -> None:
    good_ids: dict[int, str] = {}
    for number, line in enumerate(lines, start=1):
        if isinstance(line, dict):
            line["task_id"] = good_ids[number] = f"good-{number}"
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(line_end.join(as_bytes(line) for line in lines))

    loaded = load_suite(path, "fuzz.jsonl")  # never raises

    record_lines = [each.line for each in loaded.records]
    error_lines = [error.line for error in loaded.errors]
    assert len(set(record_lines + error_lines)) == len(record_lines) + len(error_lines)  # one outcome a line
    for error in loaded.errors:
        assert str(error).startswith(f"fuzz.jsonl:{error.line}: ")
        assert "\n" not in error.message and "\r" not in error.message
        error.message.encode("utf-8")  # storable: a lone surrogate never reaches the message
    texts = [as_bytes(line).decode("utf-8", "replace") for line in lines]
    if texts:
        texts[0] = texts[0].removeprefix("\ufeff")  # a BOM opens the file, not a later line
    blank = {number for number, text in enumerate(texts, start=1) if not text.strip()}
    assert set(record_lines) | set(error_lines) | blank == set(range(1, len(lines) + 1))
    loaded_ids = {each.line: each.record.task_id for each in loaded.records}
    assert {number: loaded_ids.get(number) for number in good_ids} == good_ids
