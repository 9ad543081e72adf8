"""Repeats and gates: per-task verdicts, tolerated misses shown as xfail, gates that set the exit code."""

from __future__ import annotations

import argparse

import pytest

from pytest_agenteval.gates.spec import gate_spec
from pytest_agenteval.results.verdicts import Interval, allowed_misses, pass_at_k, pass_hat_k, wilson

from .ci_agents import make_project
from .helpers import read_single_run


def test_pass_at_k_and_pass_hat_k_are_the_unbiased_estimators() -> None:
    assert pass_at_k(3, 2, 3) == 1.0 and pass_hat_k(3, 2, 3) == 0.0
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    assert pass_hat_k(5, 2, 2) == pytest.approx(1 / 10)
    assert pass_at_k(4, 0, 4) == 0.0 and pass_hat_k(4, 4, 4) == 1.0


def test_wilson_interval_matches_the_textbook_values() -> None:
    bounds = wilson(8, 10)
    assert (round(bounds.low, 3), round(bounds.high, 3)) == (0.490, 0.943)
    assert wilson(0, 0) == Interval(0.0, 1.0)
    assert wilson(3, 3).high == 1.0


def test_allowed_misses_forgive_rounding_noise() -> None:
    assert [allowed_misses(0.6, 3), allowed_misses(1.0, 3), allowed_misses(0.7, 10), allowed_misses(0.5, 1)] == \
        [1, 0, 3, 0]


def test_gate_spec_reads_rate_or_key_and_rate() -> None:
    assert (gate_spec("0.8").key, gate_spec("0.8").rate) == (None, 0.8)
    keyed = gate_spec("final_answer[answer:contains]=0.75")
    assert (keyed.key, keyed.rate, keyed.text) == ("final_answer[answer:contains]", 0.75, keyed.text)
    for bad in ("abc", "=0.5", "tag=1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a gate: write RATE or KEY=RATE"):
            gate_spec(bad)


def test_a_tolerated_miss_is_xfailed_and_the_flaky_task_gets_a_verdict(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["ok", "flaky"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-repeats=3", "--eval-task-pass-rate=0.6",
                                "--eval-store=runs", "-rx")
    result.assert_outcomes(passed=5, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([
        "gates:",  # the gates come first in the summary
        "  PASS suite: 100.0% of tasks pass (2/2) >= 100.0% required [--eval-fail-under=1.0 (default)]",
        "repeats: task pass rate 0.6; 1 pass, 1 flaky, 0 fail",
        "  flaky  s.jsonl::flaky  2/3  pass@3=1.00 pass^3=0.00  [95% CI 20.8%-93.9%]",
        "failing tasks:",
        "  s.jsonl::flaky  2/3 passed (tolerated)",
        "    echoed: False",
        "XFAIL s.jsonl::flaky[r3] - tolerated by --eval-task-pass-rate=0.6: miss 1 of at most 1 in 3 repeats",
    ])
    run = read_single_run(pytester.path / "runs")
    assert [t["outcome"] for t in run["tasks"] if t["base_task_id"] == "flaky"] == ["passed", "passed", "xfailed"]
    assert run["config"]["task_pass_rate"] == 0.6


def test_the_miss_that_breaks_the_task_pass_rate_is_red(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["ok", "broken"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-repeats=3", "--eval-task-pass-rate=0.6")
    result.assert_outcomes(passed=3, xfailed=1, failed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "  FAIL suite: 50.0% of tasks pass (1/2) < 100.0% required: short by 50.0 points, "
        "1 more task(s) must pass [--eval-fail-under=1.0 (default)]",
        "  s.jsonl::broken  0/3 passed (needs 2)",
    ])


def test_suite_gate_decides_the_exit_code(pytester: pytest.Pytester, dist_args: list[str]) -> None:
    make_project(pytester, ["a", "b", "c", "d", "broken"])
    met = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under=0.8", "-rx", *dist_args)
    met.assert_outcomes(passed=4, xfailed=1)
    assert met.ret == pytest.ExitCode.OK
    met.stdout.fnmatch_lines(["  PASS suite: 80.0% of tasks pass (4/5) >= 80.0% required [--eval-fail-under=0.8]",
                              "XFAIL s.jsonl::broken - tolerated by --eval-fail-under=0.8: "
                              "failing task 1 of at most 1 of 5"])
    missed = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under=0.9", *dist_args)
    missed.assert_outcomes(passed=4, failed=1)
    assert missed.ret == pytest.ExitCode.TESTS_FAILED
    missed.stdout.fnmatch_lines(["  FAIL suite: 80.0% of tasks pass (4/5) < 90.0% required: short by 10.0 points, "
                                 "1 more task(s) must pass [--eval-fail-under=0.9]"])


def test_a_gate_fails_the_session_even_when_no_item_is_red(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "b", "c", "broken"])
    # The miss is within the suite gate, so it is xfailed; the scorer gate is judged only at the end.
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under=0.5", "--eval-fail-under=echoed=0.9",
                                "-n", "2")
    result.assert_outcomes(passed=3, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  FAIL scorer echoed: 75.0% of tasks pass (3/4) < 90.0% required: "
                                 "short by 15.0 points, 1 more task(s) must pass [--eval-fail-under=echoed=0.9]"])


def test_tag_and_scorer_gates_judge_their_own_tasks(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "b", "broken", "c"], tags={"broken": ["adv"], "c": ["adv"]})
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under=0.5", "--eval-fail-under", "adv=0.9",
                                "--eval-fail-under", "echoed=0.7", "--eval-store=runs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=3, failed=1)  # red: it breaks the adv gate, which this process can tell
    result.stdout.fnmatch_lines([
        "  PASS suite: 75.0% of tasks pass (3/4) >= 50.0% required [--eval-fail-under=0.5]",
        "  FAIL tag adv: 50.0% of tasks pass (1/2) < 90.0% required: short by 40.0 points, "
        "1 more task(s) must pass [--eval-fail-under=adv=0.9]",
        "  PASS scorer echoed: 75.0% of tasks pass (3/4) >= 70.0% required [--eval-fail-under=echoed=0.7]",
    ])
    gates = read_single_run(pytester.path / "runs")["gates"]
    assert [(g["kind"], g["name"], g["passed"]) for g in gates] == [
        ("suite", None, True), ("tag", "adv", False), ("scorer", "echoed", True)]


def test_a_gate_on_an_unknown_key_fails_and_lists_what_exists(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a"], tags={"a": ["smoke"]})
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under", "advers=0.9")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  FAIL suite: no scorer key or tag 'advers' in this run; scorers: echoed; "
                                 "tags: smoke [--eval-fail-under=advers=0.9]"])


def test_bad_gate_options_are_usage_errors_that_say_what_to_write(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a"])
    bad = pytester.runpytest("--eval-suite=s.jsonl", "--eval-fail-under=most")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--eval-fail-under: 'most' is not a gate: write RATE or KEY=RATE*"])
    rate = pytester.runpytest("--eval-suite=s.jsonl", "--eval-task-pass-rate=1.5")
    rate.stderr.fnmatch_lines(["*--eval-task-pass-rate: '1.5' is not a rate between 0 (excluded) and 1, e.g. 0.8"])
    pytester.makeini("[pytest]\neval_fail_under =\n    0.8\n    adv=lots\n")
    ini = pytester.runpytest("--eval-suite=s.jsonl")
    assert ini.ret == pytest.ExitCode.USAGE_ERROR
    ini.stderr.fnmatch_lines(["*ini option eval_fail_under: 'adv=lots' is not a gate*"])


def test_ini_gates_apply_like_the_command_line(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "broken"])
    pytester.makeini("[pytest]\neval_fail_under =\n    0.5\neval_task_pass_rate = 1.0\n")
    result = pytester.runpytest("--eval-suite=s.jsonl")
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
