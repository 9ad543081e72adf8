"""Collection never dies on one file: a path that cannot be read as a suite, or a line holding JSON a suite must
not hold, is one error naming the file (and line) while every other suite runs; never INTERNALERROR, never a
hang (FIFOs and devices are never opened), never a silent skip. Real FIFOs, symlink loops and permissions.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.collect import suite_file
from pytest_agenteval.collect.items import MAX_INVALID_ITEMS, InvalidRecord
from pytest_agenteval.collect.records import load_suite

CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: str(prompt)
'''
GOOD = json.dumps({"task_id": "good", "inputs": {"input": "hello"}})
HANG_GUARD_S = 120  # a FIFO opened for reading would block forever; this only ends such a run


def project(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "good.jsonl").write_text(GOOD + "\n")
    return pytester.path


def assert_one_error_beside_the_good_suite(result: pytest.RunResult, message: str) -> None:
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([message])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def stored_run(store: Path) -> dict[str, Any]:
    (path,) = store.glob("*.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_a_fifo_is_never_opened_and_is_one_error(pytester: pytest.Pytester) -> None:
    os.mkfifo(project(pytester) / "fifo.jsonl")  # no writer: opening it for reading would block
    result = pytester.runpytest_subprocess("--eval-suite=good.jsonl", "--eval-suite=fifo.jsonl", "--eval-store=runs",
                                           timeout=HANG_GUARD_S)
    assert_one_error_beside_the_good_suite(result, "fifo.jsonl: is a FIFO (named pipe), not a regular file; "
                                                   "a suite is a JSONL file")
    assert stored_run(pytester.path / "runs")["invalid_records"] == [
        "fifo.jsonl: is a FIFO (named pipe), not a regular file; a suite is a JSONL file"]


def test_a_fifo_given_as_an_argument_is_its_error_and_nothing_else_is_collected(pytester: pytest.Pytester) -> None:
    os.mkfifo(project(pytester) / "fifo.jsonl")
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    alone = pytester.runpytest_subprocess("fifo.jsonl", timeout=HANG_GUARD_S)
    alone.assert_outcomes(errors=1)  # not "file not found", and not everything under the rootdir instead
    alone.stdout.fnmatch_lines(["*fifo.jsonl: is a FIFO (named pipe)*"])
    both = pytester.runpytest_subprocess("fifo.jsonl", "good.jsonl", timeout=HANG_GUARD_S)
    assert_one_error_beside_the_good_suite(both, "*fifo.jsonl: is a FIFO (named pipe)*")


def test_a_symlink_loop_is_one_error_not_internalerror(pytester: pytest.Pytester) -> None:
    os.symlink("loop.jsonl", project(pytester) / "loop.jsonl")
    result = pytester.runpytest("--eval-suite=good.jsonl", "--eval-suite=loop.jsonl")
    assert_one_error_beside_the_good_suite(
        result, "loop.jsonl: cannot read the suite file: Too many levels of symbolic links (a symlink loop)")
    arg = pytester.runpytest("loop.jsonl", "good.jsonl")
    assert_one_error_beside_the_good_suite(arg, "loop.jsonl: cannot read the suite file: *(a symlink loop)")


def test_a_directory_named_like_a_suite_is_one_error_not_a_silent_skip(pytester: pytest.Pytester) -> None:
    (project(pytester) / "dir.jsonl").mkdir()
    result = pytester.runpytest("--eval-suite=good.jsonl", "--eval-suite=*.jsonl")
    assert_one_error_beside_the_good_suite(result, "dir.jsonl: is a directory, not a regular file; *")


def test_a_directory_matched_by_the_ini_globs_is_reported_by_a_bare_pytest(pytester: pytest.Pytester) -> None:
    (project(pytester) / "suites" / "nested.jsonl").mkdir(parents=True)
    (pytester.path / "suites" / "real.jsonl").write_text(GOOD + "\n")
    pytester.makeini("[pytest]\neval_suites = suites/*.jsonl\n")
    result = pytester.runpytest()
    assert_one_error_beside_the_good_suite(result, "suites/nested.jsonl: is a directory, not a regular file; *")


def test_a_device_is_never_read(pytester: pytest.Pytester) -> None:
    os.symlink("/dev/zero", project(pytester) / "zero.jsonl")  # reading it would never end
    result = pytester.runpytest_subprocess("--eval-suite=good.jsonl", "--eval-suite=zero.jsonl",
                                           timeout=HANG_GUARD_S)
    assert_one_error_beside_the_good_suite(result, "zero.jsonl: is a device, not a regular file; *")


def test_a_file_without_read_permission_is_one_error(pytester: pytest.Pytester) -> None:
    locked = project(pytester) / "locked.jsonl"
    locked.write_text(GOOD.replace("good", "secret") + "\n")
    locked.chmod(0)
    # Root reads any file: run the session without the two capabilities that let it (setpriv, util-linux).
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    assert not drop or shutil.which("setpriv"), "running as root needs setpriv to drop CAP_DAC_OVERRIDE"
    result = pytester.run(*drop, sys.executable, "-m", "pytest", "--eval-suite=good.jsonl",
                          "--eval-suite=locked.jsonl", timeout=HANG_GUARD_S)
    assert_one_error_beside_the_good_suite(result, "*locked.jsonl: cannot read the suite file: Permission denied*")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_regular_file_whose_read_fails_is_one_error(pytester: pytest.Pytester) -> None:
    os.symlink("/proc/self/mem", project(pytester) / "mem.jsonl")  # a regular file; reading offset 0 is EIO
    result = pytester.runpytest("--eval-suite=good.jsonl", "--eval-suite=mem.jsonl")
    assert_one_error_beside_the_good_suite(result, "mem.jsonl: cannot read the suite file: Input/output error")


HOSTILE_LINES = [
    ("huge-integer", '{"task_id": "h", "inputs": {"input": ' + "9" * 5000 + "}}",
     "an integer has more than 4300 digits, more than Python reads; write it as a string"),
    ("lone-surrogate", '{"task_id": "s", "inputs": {"input": "x\\ud800y"}}',
     "'inputs.input' holds a lone surrogate '\\ud800', which cannot be stored as UTF-8 "
     "(a \\ud800-\\udfff escape without its pair)"),
    ("surrogate-in-a-key", '{"task_id": "s", "inputs": {"input": "x", "\\udfff": 1}}',
     "a key of 'inputs' holds a lone surrogate '\\udfff', *"),
    ("duplicate-key", '{"task_id": "d", "inputs": {"input": "a", "input": "b"}}',
     "duplicate key 'input' in one JSON object (json.loads keeps only the last)"),
    ("nan", '{"task_id": "n", "inputs": {"input": NaN}}', "not valid JSON: NaN is not a JSON number"),
    ("infinity", '{"task_id": "n", "inputs": {"input": Infinity}}', "not valid JSON: Infinity is not a JSON number"),
    ("minus-infinity", '{"task_id": "n", "inputs": {"input": -Infinity}}',
     "not valid JSON: -Infinity is not a JSON number"),
    ("float-overflow", '{"task_id": "n", "inputs": {"input": 1e999}}',
     "the number '1e999' is beyond a float's range (it would load as infinity)"),
    ("too-deep-for-the-parser", "[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
    ("deeper-than-the-limit", '{"task_id": "d", "inputs": {"input": ' + "[" * 150 + "]" * 150 + "}}",
     "not valid JSON: nested too deeply (more than 100 levels)"),
]


@pytest.mark.parametrize(("line", "message"), [pytest.param(line, message, id=case)
                                               for case, line, message in HOSTILE_LINES])
def test_json_a_suite_must_not_hold_is_one_error_naming_file_and_line(
        pytester: pytest.Pytester, line: str, message: str) -> None:
    project(pytester)
    (pytester.path / "bad.jsonl").write_text(f"{GOOD}\n{line}\n{GOOD.replace('good', 'after')}\n")
    result = pytester.runpytest("--eval-suite=good.jsonl", "--eval-suite=bad.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines([f"bad.jsonl:2: {message}"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    run_file = next((pytester.path / "runs").glob("*.json"))
    run = json.loads(run_file.read_bytes().decode("utf-8"))  # strict UTF-8: nothing unstorable reached the run
    assert len(run["invalid_records"]) == 1
    assert [task["task_id"] for task in run["tasks"]] == ["good", "after", "good"]


def test_invalid_utf8_and_a_bom_in_the_middle_are_errors_naming_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n\xff\xfe{}\n\xef\xbb\xbf{}\r\n"
                     + GOOD.replace("good", "last").encode())
    loaded = load_suite(path, "s.jsonl")
    assert [str(error) for error in loaded.errors] == ["s.jsonl:2: not valid UTF-8 (byte 1 of the line)",
                                                       "s.jsonl:3: not valid JSON: Expecting value (column 1)"]
    assert [(each.line, each.record.task_id) for each in loaded.records] == [(1, "good"), (4, "last")]


def test_old_mac_line_ends_split_lines_as_ag2_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(GOOD.encode() + b"\r\r" + GOOD.replace("good", "b").encode() + b"\r\n\n"
                     + GOOD.replace("good", "c").encode() + b"\r")
    assert [(each.line, each.record.task_id) for each in load_suite(path).records] == [(1, "good"), (3, "b"),
                                                                                      (5, "c")]


def test_a_line_past_the_length_limit_is_refused_unread_and_the_next_lines_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite_file, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "s.jsonl"
    path.write_text(f'{GOOD}\n{{"task_id": "long", "inputs": {{"input": "{"x" * 5000}"}}}}\n'
                    f'{GOOD.replace("good", "after")}\n')
    loaded = load_suite(path, "s.jsonl")
    assert [str(error) for error in loaded.errors] == ["s.jsonl:2: longer than 1000 bytes; split the record"]
    assert [(each.line, each.record.task_id) for each in loaded.records] == [(1, "good"), (3, "after")]


def test_a_record_nested_just_under_the_limit_runs_and_is_stored_across_workers(pytester: pytest.Pytester) -> None:
    project(pytester)
    deep: Any = "leaf"
    for _ in range(suite_file.MAX_DEPTH - 3):  # the record, inputs and the list it sits in are three levels
        deep = [deep]
    (pytester.path / "deep.jsonl").write_text(json.dumps({"task_id": "deep", "inputs": {"input": "x", "tree": deep},
                                                          "reference_outputs": {"tree": deep}}) + "\n")
    result = pytester.runpytest("--eval-suite=deep.jsonl", "--eval-store=runs", "-n", "2")
    result.assert_outcomes(passed=1)
    (task,) = stored_run(pytester.path / "runs")["tasks"]
    assert task["inputs"]["tree"] == deep


def test_past_the_first_bad_lines_one_item_counts_and_lists_the_rest(pytester: pytest.Pytester) -> None:
    project(pytester)
    lines = [GOOD, *(["{broken"] * 50), GOOD.replace("good", "last")]
    (pytester.path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    items, _ = pytester.inline_genitems("bad.jsonl")
    invalid = [item for item in items if isinstance(item, InvalidRecord)]
    assert len(invalid) == MAX_INVALID_ITEMS + 1
    assert [item.name for item in invalid][-2:] == [f"invalid-line-{MAX_INVALID_ITEMS + 1}",
                                                   f"invalid-lines-{MAX_INVALID_ITEMS + 2}-51"]
    assert [error.line for item in invalid for error in item.errors] == list(range(2, 52))  # every bad line
    result = pytester.runpytest("bad.jsonl", "good.jsonl")
    result.assert_outcomes(passed=3, errors=MAX_INVALID_ITEMS + 1)
    result.stdout.fnmatch_lines([
        f"bad.jsonl:{MAX_INVALID_ITEMS + 2}: and 30 more bad lines, up to line 51, each listed in the run JSON's "
        "invalid_records; the first: not valid JSON: Expecting property name enclosed in double quotes (column 2)"])


def test_every_bad_line_past_the_first_ones_is_in_the_runs_invalid_records(pytester: pytest.Pytester) -> None:
    project(pytester)
    (pytester.path / "bad.jsonl").write_text("{broken\n" * 50)
    pytester.runpytest("bad.jsonl", "--eval-store=runs")
    assert len(stored_run(pytester.path / "runs")["invalid_records"]) == 50


def test_many_thousand_bad_lines_make_a_bounded_number_of_items(pytester: pytest.Pytester) -> None:
    project(pytester)
    (pytester.path / "bad.jsonl").write_text("{broken\n" * 20_000 + GOOD + "\n")
    result = pytester.runpytest("bad.jsonl")
    result.assert_outcomes(passed=1, errors=MAX_INVALID_ITEMS + 1)
