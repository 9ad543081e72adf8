"""Baselines: per-task and per-scorer comparison, content drift, `latest`, and the regression gate."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_agenteval.results.aggregates import aggregate
from pytest_agenteval.results.compare import compare
from pytest_agenteval.results.models import FeedbackRecord, RunResult, SuiteInfo, TaskResult, TokenRecord

from .ci_agents import make_project
from .helpers import load_run_json


def task(task_id: str, *passed: bool, repeat: int = 1, prompt: str | None = None, tokens: int = 10,
         cost: float | None = None) -> TaskResult:
    """One repeat of a task, with one feedback per flag (keys k0, k1, ...)."""
    return TaskResult(
        task_id=f"{task_id}#{repeat}", base_task_id=task_id, repeat=repeat, suite="s.jsonl", line=1,
        node_id=f"s.jsonl::{task_id}", inputs={"input": prompt or task_id}, tokens=TokenRecord(total=tokens),
        feedback=[FeedbackRecord(key=f"k{i}", score=flag, passed=flag) for i, flag in enumerate(passed)],
        verdict="passed" if all(passed) else "failed", cost=cost, duration_ms=100.0,
    )


def run_of(run_id: str, *tasks: TaskResult, **fields: Any) -> RunResult:
    return RunResult(run_id=run_id, created_at="2026-01-01T00:00:00+00:00", duration_ms=1.0,
                     suite=SuiteInfo(name="s", size=len(tasks), source="s.jsonl"), tasks=list(tasks),
                     aggregates=aggregate(tasks), **fields)


def test_compare_finds_flips_fixes_additions_and_removals() -> None:
    base = run_of("base", task("same", True), task("regress", True, True), task("fix", False), task("gone", True))
    now = [task("same", True), task("regress", True, False, tokens=30), task("fix", True), task("new", True)]
    diff = compare(now, "now", base, 1.0)
    assert {t.task_id: t.status for t in diff.tasks} == {
        "same": "unchanged", "regress": "regressed", "fix": "fixed", "new": "added", "gone": "removed"}
    regress = next(t for t in diff.tasks if t.task_id == "regress")
    assert [(s.key, s.base, s.current, s.flipped) for s in regress.scorers] == [
        ("k0", 1.0, 1.0, False), ("k1", 1.0, 0.0, True)]
    assert (regress.tokens.base, regress.tokens.current, regress.tokens.delta) == (10, 30, 20)
    assert diff.flips == 1
    assert (diff.suite_rate.base, diff.suite_rate.current) == (0.75, 0.75)


def test_changed_inputs_or_reference_outputs_make_a_task_not_comparable() -> None:
    reference = task("r", True).model_copy(update={"reference_outputs": {"answer": "42"}})
    base = run_of("base", task("p", True), reference)
    now = [task("p", False, prompt="a new question"), reference.model_copy(
        update={"reference_outputs": {"answer": "43"}, "verdict": "failed"})]
    diff = compare(now, "now", base, 1.0)
    assert [(t.task_id, t.status, t.drift, t.scorers) for t in diff.tasks] == [
        ("p", "drifted", ["inputs"], []), ("r", "drifted", ["reference_outputs"], [])]
    assert diff.flips == 0


def test_repeats_are_compared_under_the_current_task_pass_rate() -> None:
    base = run_of("base", *(task("t", True, repeat=r) for r in (1, 2, 3)))
    now = [task("t", True, repeat=1), task("t", True, repeat=2), task("t", False, repeat=3, cost=0.5)]
    assert compare(now, "now", base, 0.6).tasks[0].status == "unchanged"
    strict = compare(now, "now", base, 1.0).tasks[0]
    assert (strict.status, strict.passes, strict.runs, strict.base_passes) == ("regressed", 2, 3, 3)
    assert (strict.cost.base, strict.cost.current) == (None, 0.5)


def test_latest_baseline_flags_regressions_and_drift_and_fails_the_gate(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(pytester, ["a", "b", "c"])
    first = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-label=m1", "--eval-run-id=base-1")
    first.assert_outcomes(passed=3)
    make_project(pytester, ["a", "b", "c-changed"])  # c's id stays, its input changes
    (pytester.path / "s.jsonl").write_text((pytester.path / "s.jsonl").read_text().replace(
        '"task_id": "c-changed"', '"task_id": "c"'))
    monkeypatch.setenv("BREAK", "b")
    second = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-label=m1",
                                "--eval-run-id=now-1", "--eval-baseline=latest", "--eval-fail-on-regression")
    assert second.ret == pytest.ExitCode.TESTS_FAILED
    second.stdout.fnmatch_lines([
        "  FAIL regression: 1 pass->fail flip(s) against baseline base-1 [--eval-fail-on-regression]",
        "baseline: run base-1 (label m1): 1 regressed, 0 fixed, 1 drifted, 0 added, 0 removed, 1 unchanged",
        "  regressed  s.jsonl::b  1/1 -> 0/1  scorers pass->fail: echoed",
        "  drifted    s.jsonl::c  not comparable: inputs changed",
        "  suite pass rate 100.0% -> 66.7% (-33.33 points); tokens/item 0 -> 0 (+0); ms/item *",
        "  scorer echoed 100.0% -> 66.7% (-33.33 points)",
    ])
    stored = RunResult.model_validate(load_run_json(pytester.path / "runs" / "now-1.json"))
    assert stored.baseline is not None and stored.baseline.base_run_id == "base-1"
    assert [t.status for t in stored.baseline.tasks] == ["unchanged", "regressed", "drifted"]


def test_latest_without_an_earlier_run_of_the_label_passes_and_says_so(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-label=other")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-label=m2",
                                "--eval-baseline=latest", "--eval-fail-on-regression")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["  PASS regression: not judged, no baseline: no earlier complete run labelled 'm2' "
                                 "in */runs ?--eval-fail-on-regression?"])


def test_a_committed_baseline_file_is_compared_without_a_store(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "broken"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=blessed")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-baseline=runs/blessed.json",
                                "--eval-fail-on-regression")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  PASS regression: 0 pass->fail flip(s) against baseline blessed*",
                                 "baseline: run blessed: 0 regressed, 0 fixed, 0 drifted, 0 added, 0 removed, "
                                 "2 unchanged"])


def test_a_bad_baseline_is_a_usage_error_naming_the_file(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a"])
    (pytester.path / "notarun.json").write_text('{"run_id": 3}')
    missing = pytester.runpytest("--eval-suite=s.jsonl", "--eval-baseline=nope.json")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--eval-baseline: */nope.json: no such run file; "
                                  "pass a run JSON or 'latest'"])
    invalid = pytester.runpytest("--eval-suite=s.jsonl", "--eval-baseline=notarun.json")
    invalid.stderr.fnmatch_lines(["*--eval-baseline: */notarun.json: not a pytest-agenteval run: *"])
    no_store = pytester.runpytest("--eval-suite=s.jsonl", "--eval-baseline=latest")
    no_store.stderr.fnmatch_lines(["*--eval-baseline: --eval-baseline=latest needs --eval-store=DIR*"])
