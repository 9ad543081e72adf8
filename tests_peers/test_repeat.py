"""pytest-repeat: its --count parametrizes Python tests only, so for eval items it maps onto --eval-repeats (one
result per task x repeat in the run); given together with a different --eval-repeats, a clear usage error."""

from __future__ import annotations

import json

import pytest

CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt
'''


def make_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text(
        "".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in ["a", "b"]))
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")


def test_count_repeats_eval_items_like_eval_repeats_and_python_tests_as_before(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("s.jsonl", "test_plain.py", "--eval-store=runs", "--eval-run-id=r1", "--count=3",
                                "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["*s.jsonl::a?r3? PASSED*", "*test_plain.py::test_plain?3-3? PASSED*"])
    tasks = json.loads((pytester.path / "runs" / "r1.json").read_text())["tasks"]
    assert [(t["base_task_id"], t["repeat"]) for t in tasks] == [
        ("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3)]


def test_count_and_the_same_eval_repeats_agree(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("s.jsonl", "--count=2", "--eval-repeats=2", "-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_count_and_a_different_eval_repeats_are_a_usage_error(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("s.jsonl", "--count=3", "--eval-repeats=2", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--count=3 (pytest-repeat) and --eval-repeats=2 disagree*"])
