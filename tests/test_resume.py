"""`--eval-resume`: only the missing task x repeat items run (deselected through pytest's hook), the stored run
is one complete run judged as a whole, errors rerun on request, changed tasks refused, a recovered partial run
continued; with and without xdist."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.cli import main

from .helpers import WAIT_FOR_RELEASE

# Every agent call is logged; CRASH / WRONG name prompts that raise or answer wrongly; "block" waits for the
# file `release` (at most a minute).
RESUME_CONFTEST = '''
import asyncio, os, pathlib, pytest
from pytest_agenteval import scorer
''' + WAIT_FOR_RELEASE + '''

@scorer
def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):
        with open("calls.log", "a") as log:
            log.write(prompt + "\\n")
        if prompt in os.environ.get("CRASH", "").split(","):
            raise ValueError("agent exploded")
        if prompt == "block":
            await wait_for_release()
        return "wrong" if prompt in os.environ.get("WRONG", "").split(",") else prompt
    return agent

@pytest.fixture
def eval_scorers():
    return [echoed]
'''
DIST = pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
PROMPTS = ["alpha", "beta", "gamma", "delta"]


def project(pytester: pytest.Pytester, prompts: list[str] = PROMPTS) -> None:
    pytester.makeconftest(RESUME_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [{"task_id": p, "inputs": {"input": p}} for p in prompts])


def write_suite(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def calls(root: Path) -> list[str]:
    """The prompts agents were called with since the last `forget_calls`, sorted."""
    log = root / "calls.log"
    return sorted(log.read_text().split()) if log.exists() else []


def forget_calls(root: Path) -> None:
    (root / "calls.log").unlink(missing_ok=True)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", *args)


@DIST
def test_only_the_missing_items_run_and_one_complete_run_is_stored_and_judged_whole(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: list[str]) -> None:
    project(pytester)
    monkeypatch.setenv("WRONG", "beta")
    run(pytester, "--eval-run-id=first", "--eval-repeats=2", "-k", "alpha or beta").assert_outcomes(passed=2, failed=2)
    monkeypatch.delenv("WRONG")
    forget_calls(pytester.path)
    result = run(pytester, "--eval-run-id=second", "--eval-repeats=2", "--eval-resume=first",
                 "--eval-fail-under=1.0", *dist)
    # Every item run now passes; the gate fails over the complete run, which holds beta's two failures.
    result.assert_outcomes(passed=4, deselected=0 if dist else 4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*FAIL suite: 75.0% of tasks pass (3/4)*",
                                 "resumed run first: 4 result(s) kept from it, 4 run now"])
    assert calls(pytester.path) == ["delta", "delta", "gamma", "gamma"]
    second = load(pytester.path / "runs" / "second.json")
    assert [t["task_id"] for t in second["tasks"]] == [f"{p}#{r}" for p in PROMPTS for r in (1, 2)]
    assert (second["resumed_from"], second["partial"]) == ("first", False)
    assert second["aggregates"]["verdicts"] == {"failed": 2, "passed": 6}
    assert [(g["passed"], g["passed_tasks"], g["total_tasks"]) for g in second["gates"]] == [(False, 3, 4)]
    assert load(pytester.path / "runs" / "first.json")["resumed_from"] is None


def test_resume_errors_reruns_only_the_items_that_ended_in_an_error(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project(pytester)
    monkeypatch.setenv("CRASH", "beta")
    monkeypatch.setenv("WRONG", "gamma")
    run(pytester, "--eval-run-id=first").assert_outcomes(passed=2, failed=2)
    monkeypatch.delenv("CRASH")
    forget_calls(pytester.path)
    run(pytester, "--eval-run-id=again", "--eval-resume=first", "--eval-resume-errors").assert_outcomes(
        passed=1, deselected=3)
    assert calls(pytester.path) == ["beta"]
    tasks = {t["task_id"]: t["verdict"] for t in load(pytester.path / "runs" / "again.json")["tasks"]}
    assert tasks == {"alpha": "passed", "beta": "passed", "gamma": "failed", "delta": "passed"}


def test_resuming_a_run_that_misses_nothing_runs_nothing_and_stores_it_complete(pytester: pytest.Pytester) -> None:
    project(pytester)
    run(pytester, "--eval-run-id=first").assert_outcomes(passed=4)
    forget_calls(pytester.path)
    result = run(pytester, "--eval-run-id=same", "--eval-resume=latest")
    result.assert_outcomes(deselected=4)
    assert result.ret == pytest.ExitCode.OK
    assert calls(pytester.path) == []
    same = load(pytester.path / "runs" / "same.json")
    assert (len(same["tasks"]), same["resumed_from"], same["partial"]) == (4, "first", False)


@DIST
def test_a_task_that_changed_since_the_resumed_run_is_refused_before_anything_runs(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    project(pytester)
    run(pytester, "--eval-run-id=first").assert_outcomes(passed=4)
    forget_calls(pytester.path)
    write_suite(pytester.path / "s.jsonl", [
        {"task_id": "alpha", "inputs": {"input": "alpha"}},
        {"task_id": "beta", "inputs": {"input": "beta"}},
        {"task_id": "gamma", "inputs": {"input": "gamma, reworded"}},
        {"task_id": "delta", "inputs": {"input": "delta"}, "reference_outputs": {"answer": "new"}},
        {"task_id": "epsilon", "inputs": {"input": "epsilon"}},
    ])
    result = run(pytester, "--eval-run-id=second", "--eval-resume=first", *dist)
    assert result.ret in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.TESTS_FAILED)  # xdist says 1 for it
    result.stdout.fnmatch_lines(["--eval-resume=first: s.jsonl::gamma (inputs); s.jsonl::delta (reference_outputs) "
                                 "changed since that run: a resumed run combines results of the same tasks, so "
                                 "revert the change or start a new run without --eval-resume"])
    assert calls(pytester.path) == []  # not even the new task ran
    assert sorted(p.name for p in (pytester.path / "runs").iterdir()) == ["first.json"]


def test_a_recovered_partial_run_is_resumed_on_xdist_workers(pytester: pytest.Pytester) -> None:
    prompts = ["alpha", "beta", "gamma", "block", "delta", "epsilon"]
    project(pytester, prompts)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl", "--eval-store=runs",
         "--eval-run-id=killed", "--eval-concurrency=1"], cwd=pytester.path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    journal = pytester.path / "runs" / "killed.journal.jsonl"
    try:
        for _ in range(2400):
            if (pytester.path / "blocked").exists() and journal.read_bytes().count(b'\n{"task"') >= 3:
                break
            assert process.poll() is None, process.communicate()[0].decode()
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        (pytester.path / "release").touch()
        process.communicate(timeout=60)
    assert main(["recover", str(pytester.path / "runs")]) == 0
    recovered = {t["task_id"] for t in load(pytester.path / "runs" / "killed.json")["tasks"]}
    assert recovered == {"alpha", "beta", "gamma"}
    forget_calls(pytester.path)
    result = run(pytester, "--eval-resume=latest", "--eval-run-id=whole", "-n", "2")
    result.assert_outcomes(passed=3)
    assert calls(pytester.path) == ["block", "delta", "epsilon"]
    whole = load(pytester.path / "runs" / "whole.json")
    assert sorted(t["task_id"] for t in whole["tasks"]) == sorted(prompts)
    assert (whole["resumed_from"], whole["partial"]) == ("killed", False)


@pytest.mark.parametrize(("args", "message"), [
    (["--eval-suite=s.jsonl", "--eval-resume=first"],
     "ERROR: --eval-resume=first: it needs --eval-store=DIR, the store that holds the run"),
    (["--eval-store=runs", "--eval-resume=first"],
     "ERROR: --eval-resume=first: no suite to run; pass the suites of that run (--eval-suite=PATH or suite files "
     "as arguments)"),
    (["--eval-suite=s.jsonl", "--eval-store=runs", "--eval-resume=nope"],
     "ERROR: --eval-resume=nope: no run nope in */runs (*/runs/nope.json does not exist)"),
    (["--eval-suite=s.jsonl", "--eval-store=runs", "--eval-resume=first", "--eval-repeats=3"],
     "ERROR: --eval-resume=first: run first ran 1 repeat(s) per task, this session 3; resume with --eval-repeats=1"),
    (["--eval-suite=s.jsonl", "--eval-store=runs", "--eval-resume=half"],
     "ERROR: --eval-resume=half: run half has a journal but no run file in */runs: its session is running, or "
     "was stopped (then `agenteval recover */runs` stores it as a partial run first)"),
])
def test_resume_without_a_run_to_resume_is_a_usage_error(
        pytester: pytest.Pytester, args: list[str], message: str) -> None:
    project(pytester)
    run(pytester, "--eval-run-id=first").assert_outcomes(passed=4)
    (pytester.path / "runs" / "half.journal.jsonl").write_text("{}\n")
    forget_calls(pytester.path)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert calls(pytester.path) == []
