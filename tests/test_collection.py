"""Collection: node ids, repeats, selection by id / -k / -m / --deselect / --lf, ini discovery, IDE needs."""

from __future__ import annotations

import pytest

from .helpers import ECHO_CONFTEST, record, write_suite

SUITE = [
    record("greet", "hello", tags=["smalltalk"]),
    record("add-1", "1+1", tags=["math"]),
    record("crash", tags=["math"]),
]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ECHO_CONFTEST)
    write_suite(pytester.path / "suites" / "qa.jsonl", SUITE)
    return pytester


def test_each_record_is_one_item_with_a_stable_node_id(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--eval-suite=suites/qa.jsonl", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["suites/qa.jsonl::greet", "suites/qa.jsonl::add-1", "suites/qa.jsonl::crash"])
    assert result.ret == 0


def test_repeats_add_a_one_based_suffix(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--eval-suite=suites/qa.jsonl", "--eval-repeats=2", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["suites/qa.jsonl::greet[[]r1]", "suites/qa.jsonl::greet[[]r2]",
                                 "suites/qa.jsonl::add-1[[]r1]"])
    assert "[r0]" not in result.stdout.str()


def test_task_id_selects_all_repeats_and_a_suffix_selects_one(suite: pytest.Pytester) -> None:
    every = suite.runpytest("suites/qa.jsonl::greet", "--eval-repeats=3")
    every.assert_outcomes(passed=3)
    one = suite.runpytest("suites/qa.jsonl::greet[r2]", "--eval-repeats=3", "-v")
    one.assert_outcomes(passed=1)
    one.stdout.fnmatch_lines(["*qa.jsonl::greet[[]r2] PASSED*"])


def test_keyword_marker_and_deselect_selection(suite: pytest.Pytester) -> None:
    suite.runpytest("--eval-suite=suites/qa.jsonl", "-k", "greet").assert_outcomes(passed=1)
    by_tag = suite.runpytest("--eval-suite=suites/qa.jsonl", "-m", "math", "--strict-markers")
    by_tag.assert_outcomes(passed=1, failed=1)
    suite.runpytest("--eval-suite=suites/qa.jsonl", "-k", "smalltalk").assert_outcomes(passed=1)
    deselected = suite.runpytest("--eval-suite=suites/qa.jsonl", "--deselect", "suites/qa.jsonl::crash")
    deselected.assert_outcomes(passed=2, deselected=1)


def test_last_failed_reruns_only_the_failed_repeats(suite: pytest.Pytester) -> None:
    first = suite.runpytest("--eval-suite=suites/qa.jsonl", "--eval-repeats=2")
    first.assert_outcomes(passed=4, failed=2)
    again = suite.runpytest("--eval-suite=suites/qa.jsonl", "--eval-repeats=2", "--lf", "-v")
    again.assert_outcomes(failed=2, deselected=4)
    again.stdout.fnmatch_lines(["*qa.jsonl::crash[[]r1] FAILED*", "*qa.jsonl::crash[[]r2] FAILED*"])


def test_items_have_no_callspec_and_point_at_the_record_line(suite: pytest.Pytester) -> None:
    items, _ = suite.inline_genitems("--eval-suite=suites/qa.jsonl", "--eval-repeats=2")
    assert [item.name for item in items][:2] == ["greet[r1]", "greet[r2]"]
    assert not any(hasattr(item, "callspec") for item in items)
    path, line, name = items[2].reportinfo()
    assert (str(path).endswith("qa.jsonl"), line, name) == (True, 1, "add-1[r1]")


def test_ini_suites_are_collected_by_a_bare_pytest_and_collect_only(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\neval_suites = suites/*.jsonl\n")
    suite.makepyfile(test_plain="def test_plain():\n    pass\n")
    collected = suite.runpytest("--collect-only", "-q")
    collected.stdout.fnmatch_lines(["suites/qa.jsonl::greet", "*test_plain.py::test_plain*"])
    suite.runpytest().assert_outcomes(passed=3, failed=1)


def test_a_jsonl_argument_is_a_suite_but_other_jsonl_files_are_data(suite: pytest.Pytester) -> None:
    write_suite(suite.path / "data" / "rows.jsonl", ["not a suite"])
    suite.runpytest("suites/qa.jsonl").assert_outcomes(passed=2, failed=1)
    walked = suite.runpytest(".", "--collect-only", "-q")
    assert "rows.jsonl" not in walked.stdout.str()
    assert "qa.jsonl" not in walked.stdout.str()


def test_eval_suite_glob_matches_several_files(suite: pytest.Pytester) -> None:
    write_suite(suite.path / "suites" / "more.jsonl", [record("extra")])
    suite.runpytest("--eval-suite=suites/*.jsonl").assert_outcomes(passed=3, failed=1)


def test_eval_suite_that_matches_nothing_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--eval-suite=suites/missing.jsonl")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--eval-suite: no file matches '*suites/missing.jsonl'*"])


def test_option_values_are_checked_with_clear_messages(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--eval-suite=suites/qa.jsonl", "--eval-repeats=three")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--eval-repeats: 'three' is not a positive integer*"])
    suite.makeini("[pytest]\neval_max_seconds = soon\n")
    ini = suite.runpytest("--eval-suite=suites/qa.jsonl")
    ini.stderr.fnmatch_lines(["*ini option eval_max_seconds: 'soon' is not a positive number*"])


def test_help_lists_every_option_with_its_ini_twin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    for flag in ("--eval-suite=PATH", "--eval-store=DIR", "--eval-repeats=N", "--eval-run-id=ID",
                 "--eval-label=TEXT", "--eval-agent=MOD:ATTR", "--eval-scorers=MOD:ATTR",
                 "--eval-max-tokens=N", "--eval-max-seconds=SECONDS", "--eval-max-cost=AMOUNT"):
        result.stdout.fnmatch_lines([f"*{flag}*"])
    result.stdout.fnmatch_lines(["*eval_suites (linelist)*", "*eval_store (string)*"])


def test_ide_style_absolute_node_ids_select_tasks(suite: pytest.Pytester) -> None:
    # VS Code passes absolute `<path>::<name>` ids; the items it gets back must carry the same names.
    absolute = suite.path / "suites" / "qa.jsonl"
    result = suite.runpytest(f"{absolute}::greet", f"{absolute}::add-1[r2]", "--eval-repeats=2", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*qa.jsonl::greet[[]r1] PASSED*", "*qa.jsonl::greet[[]r2] PASSED*",
                                 "*qa.jsonl::add-1[[]r2] PASSED*"])
