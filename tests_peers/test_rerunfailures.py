"""pytest-rerunfailures: a rerun replaces the earlier attempt in the stored run (one result per item, the last
attempt, with its attempts counted), the gate judges the final attempt, and the journal agrees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.results.journal import read_journal

# Task "flaky" fails its first attempt (the agent raises) and passes its second; "bad" always fails.
FLAKY_CONFTEST = '''
import pathlib, shutil, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "flaky":
            marker = pathlib.Path("flaky-attempts")
            attempts = int(marker.read_text()) + 1 if marker.exists() else 1
            marker.write_text(str(attempts))
            if attempts == 1:
                raise RuntimeError("first attempt fails")
        if prompt == "bad":
            raise RuntimeError("always fails")
        if prompt == "peek":
            shutil.copyfile(next(pathlib.Path("runs").glob("*.journal.jsonl")), "peeked.jsonl")
        return prompt
    return agent
'''


def write_suite(path: Path, prompts: list[str]) -> None:
    path.write_text("".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def stored_run(pytester: pytest.Pytester, run_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "runs" / f"{run_id}.json").read_text())
    return data


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_a_task_that_passes_on_its_rerun_is_stored_once_as_passed_and_passes_the_gate(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    pytester.makeconftest(FLAKY_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["a", "flaky", "b"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                "--eval-concurrency=1", "--reruns=2", "--eval-fail-under=1.0", "-p", "no:randomly",
                                *dist)
    assert result.parseoutcomes() == {"passed": 3, "rerun": 1}
    assert result.ret == 0
    tasks = stored_run(pytester, "r1")["tasks"]
    assert [(t["task_id"], t["verdict"], t["attempts"]) for t in tasks] == [
        ("a", "passed", 1), ("flaky", "passed", 2), ("b", "passed", 1)]


def test_a_task_that_fails_every_attempt_is_stored_once_with_all_its_attempts(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FLAKY_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["a", "bad"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1", "--reruns=2",
                                "-p", "no:randomly")
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 2}
    tasks = stored_run(pytester, "r1")["tasks"]
    assert [(t["task_id"], t["verdict"], t["attempts"], t["outcome"]) for t in tasks] == [
        ("a", "passed", 1, "passed"), ("bad", "error", 3, "failed")]


def test_the_journal_holds_the_last_attempt_of_a_rerun_item_once(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FLAKY_CONFTEST)
    # "peek" copies the journal while it runs: by then the reports of "flaky" (both attempts) have arrived.
    write_suite(pytester.path / "s.jsonl", ["flaky", "a", "b", "peek"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                "--eval-concurrency=1", "--reruns=2", "-p", "no:randomly")
    assert result.parseoutcomes() == {"passed": 4, "rerun": 1}
    raw = [json.loads(line) for line in (pytester.path / "peeked.jsonl").read_text().splitlines()[1:]]
    assert [(e["task"]["task_id"], e["task"]["attempts"]) for e in raw][:2] == [("flaky", 1), ("flaky", 2)]
    journaled = read_journal(pytester.path / "peeked.jsonl").tasks  # what `agenteval recover` would store
    flaky = [task for task in journaled if task.task_id == "flaky"]
    assert [(task.verdict, task.attempts) for task in flaky] == [("passed", 2)]
