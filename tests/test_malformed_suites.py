"""A bad record is its own error naming file, line and field; everything else still runs and is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agenteval.collect.records import load_suite

from .conftest import ECHO_CONFTEST, read_single_run, record, write_suite

BAD_LINES = [
    ("{not json", "bad.jsonl:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ("[" * 100_000 + "]" * 100_000, "bad.jsonl:3: not valid JSON: nested too deeply"),
    ('["a", "list"]', "bad.jsonl:4: must be a JSON object, got array"),
    (json.dumps({"task_id": "no-inputs"}), "bad.jsonl:5: 'inputs' is missing"),
    (json.dumps({"task_id": "no-input", "inputs": {"question": "?"}}),
     "bad.jsonl:6: 'inputs.input' is missing; every record needs the prompt the agent is asked"),
    (json.dumps({**record("typo"), "refrence_outputs": {}}),
     "bad.jsonl:7: unknown key 'refrence_outputs' (did you mean 'reference_outputs'?)"),
    (json.dumps(record("good")), "bad.jsonl:8: duplicate task_id 'good' (first defined on line 1)"),
    (json.dumps(record("has space")),
     "bad.jsonl:9: 'task_id' 'has space' may only use letters, digits, '_' and '-' *"),
    (json.dumps({**record("bad-types"), "tags": [1], "metadata": ["x"]}),
     "bad.jsonl:10: 'tags.0': Input should be a valid string (got number); 'metadata': *"),
    (json.dumps({"task_id": 7, "inputs": {"input": "x"}}), "bad.jsonl:11: 'task_id': Input should be a valid string*"),
]


def write_bad_suite(path: Path) -> None:
    lines = [json.dumps(record("good")).encode(), *(line.encode() for line, _ in BAD_LINES),
             b'{"task_id": "bad-utf8", "inputs": {"input": "\xff"}}', json.dumps(record("good-2")).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_each_bad_line_is_its_own_error_and_good_records_still_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ECHO_CONFTEST)
    write_bad_suite(pytester.path / "bad.jsonl")
    write_suite(pytester.path / "fine.jsonl", [record("other")])
    result = pytester.runpytest("--eval-suite=bad.jsonl", "--eval-suite=fine.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=3, errors=len(BAD_LINES) + 1)
    result.stdout.fnmatch_lines([f"*{message}*" for _, message in BAD_LINES])
    result.stdout.fnmatch_lines(["*bad.jsonl:12: not valid UTF-8 (byte 46 of the line)*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    run = read_single_run(pytester.path / "runs")
    assert [task["task_id"] for task in run["tasks"]] == ["good", "good-2", "other"]
    assert len(run["invalid_records"]) == len(BAD_LINES) + 1


def test_bom_crlf_blank_lines_and_big_inputs_load(tmp_path: Path) -> None:
    big = "x" * 5_000_000
    text = "\r\n".join([json.dumps(record("a")), "", "   ", json.dumps(record("b", big)), ""])
    path = tmp_path / "ok.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    loaded = load_suite(path)
    assert loaded.errors == ()
    assert [(r.line, r.record.task_id) for r in loaded.records] == [(1, "a"), (4, "b")]
    assert loaded.records[1].record.inputs.input == big


def test_empty_suite_collects_nothing_without_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ECHO_CONFTEST)
    (pytester.path / "empty.jsonl").write_text("")
    result = pytester.runpytest("--eval-suite=empty.jsonl")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_tags_may_be_a_single_string_and_reach_markers(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "t.jsonl", [record("a", tags="smoke")])
    assert load_suite(path).records[0].record.tags == ["smoke"]


def test_a_tag_that_is_a_pytest_builtin_marker_is_rejected(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "t.jsonl", [record("a", tags=["smoke", "skip"])])
    (error,) = load_suite(path).errors
    assert error.message == "'tags.1': tag 'skip' is a pytest built-in marker; rename it"


def test_a_tag_that_cannot_be_a_marker_is_rejected(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "t.jsonl", [record("a", tags=["not a marker"])])
    (error,) = load_suite(path).errors
    assert "must be a Python identifier" in error.message
