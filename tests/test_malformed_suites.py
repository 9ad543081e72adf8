"""A bad record is its own error naming file, line and field; everything else still runs and is stored."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from pytest_agenteval.collect.records import load_suite

from .helpers import ECHO_CONFTEST, read_single_run, record, write_suite

GOOD = json.dumps(record("good")).encode()
GOOD_2 = json.dumps(record("good-2")).encode()

# (case, the bad line, the fnmatch pattern of its error as line 2 of bad.jsonl)
BAD_LINES: list[tuple[str, bytes, str]] = [
    ("not-json", b"{not json", "not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ("nested-too-deeply", b"[" * 100_000 + b"]" * 100_000, "not valid JSON: nested too deeply"),
    ("not-an-object", b'["a", "list"]', "must be a JSON object, got array"),
    ("no-inputs", json.dumps({"task_id": "no-inputs"}).encode(), "'inputs' is missing"),
    ("no-input", json.dumps({"task_id": "no-input", "inputs": {"question": "?"}}).encode(),
     "'inputs.input' is missing; every record needs the prompt the agent is asked"),
    ("misspelt-key", json.dumps({**record("typo"), "refrence_outputs": {}}).encode(),
     "unknown key 'refrence_outputs' (did you mean 'reference_outputs'?)"),
    ("duplicate-task-id", GOOD, "duplicate task_id 'good' (first defined on line 1)"),
    ("wrong-field-types", json.dumps({**record("bad-types"), "tags": [{"a": 1}], "metadata": ["x"]}).encode(),
     "'tags.0' must be a string, got object; 'metadata' must be an object, got array"),
    ("task-id-not-a-string", json.dumps({"task_id": ["x"], "inputs": {"input": "x"}}).encode(),
     "'task_id' must be a string, got array"),
    ("not-utf8", b'{"task_id": "bad-utf8", "inputs": {"input": "\xff"}}', "not valid UTF-8 (byte 46 of the line)"),
]


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(("line", "message"),
                         [pytest.param(line, message, id=case) for case, line, message in BAD_LINES])
def test_a_bad_line_is_one_error_naming_file_line_and_field_and_the_records_around_it_load(
        tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    write_lines(path, [GOOD, line, GOOD_2])
    loaded = load_suite(path, display_path="bad.jsonl")
    (error,) = loaded.errors
    assert fnmatchcase(str(error), f"bad.jsonl:2: {message}"), str(error)
    assert [(r.line, r.record.task_id) for r in loaded.records] == [(1, "good"), (3, "good-2")]


def test_each_bad_line_is_its_own_collection_error_and_good_records_still_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ECHO_CONFTEST)
    write_lines(pytester.path / "bad.jsonl", [GOOD, *(line for _, line, _ in BAD_LINES), GOOD_2])
    write_suite(pytester.path / "fine.jsonl", [record("other")])
    result = pytester.runpytest("--eval-suite=bad.jsonl", "--eval-suite=fine.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=3, errors=len(BAD_LINES))
    result.stdout.fnmatch_lines([f"*bad.jsonl:{number}: {message}*"
                                 for number, (_, _, message) in enumerate(BAD_LINES, start=2)])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    run = read_single_run(pytester.path / "runs")
    assert [task["task_id"] for task in run["tasks"]] == ["good", "good-2", "other"]
    assert len(run["invalid_records"]) == len(BAD_LINES)


def test_bom_crlf_blank_lines_and_big_inputs_load(tmp_path: Path) -> None:
    big = "x" * 5_000_000
    text = "\r\n".join([json.dumps(record("a")), "", "   ", json.dumps(record("b", big)), ""])
    path = tmp_path / "ok.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    loaded = load_suite(path)
    assert loaded.errors == ()
    assert [(r.line, r.record.task_id) for r in loaded.records] == [(1, "a"), (4, "b")]
    assert loaded.records[1].record.inputs["input"] == big


def test_empty_suite_collects_nothing_without_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ECHO_CONFTEST)
    (pytester.path / "empty.jsonl").write_text("")
    result = pytester.runpytest("--eval-suite=empty.jsonl")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_tags_may_be_a_single_string_and_reach_markers(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "t.jsonl", [record("a", tags="smoke")])
    assert load_suite(path).records[0].record.tags == ("smoke",)


@pytest.mark.parametrize("tag", ["skip", "not a marker", "2024", "bfcl-v4"])
def test_any_string_is_a_tag_as_ag2_reads_it(tmp_path: Path, tag: str) -> None:
    path = write_suite(tmp_path / "t.jsonl", [record("a", tags=["smoke", tag])])
    loaded = load_suite(path)
    assert loaded.errors == () and loaded.records[0].record.tags == ("smoke", tag)
