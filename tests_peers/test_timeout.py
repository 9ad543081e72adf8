"""pytest-timeout: a timed-out task is stored as that task's error and the run is still written, without the
timeout cascading to the next items; with the thread method (which ends the process) the journal and
`agenteval recover` keep every result that had reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Task "slow" takes far longer than the timeout; the others answer at once.
CONFTEST = '''
import time, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "slow":
            time.sleep(30)
        return prompt
    return agent
'''


def make_project(pytester: pytest.Pytester, prompts: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text(
        "".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def stored_run(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "runs" / "r1.json").read_text())
    return data


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_a_signal_timeout_is_stored_as_the_tasks_error_and_the_next_items_run(
        pytester: pytest.Pytester, concurrency: str) -> None:
    make_project(pytester, ["a", "slow", "b", "c"])
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                           f"--eval-concurrency={concurrency}", "--timeout=1",
                                           "--timeout-method=signal", "-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=1)
    tasks = stored_run(pytester)["tasks"]
    assert [(t["task_id"], t["verdict"]) for t in tasks] == [
        ("a", "passed"), ("slow", "error"), ("b", "passed"), ("c", "passed")]
    assert "Timeout" in tasks[1]["exception"]["message"] or "Timeout" in tasks[1]["exception"]["type"]


def test_a_thread_timeout_ends_the_process_and_recover_keeps_what_had_reported(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "b", "slow", "c"])
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                           "--eval-concurrency=1", "--timeout=1", "--timeout-method=thread",
                                           "-p", "no:randomly")
    assert "Timeout" in result.stdout.str() or "Timeout" in result.stderr.str()
    assert sorted(path.name for path in (pytester.path / "runs").iterdir()) == ["r1.journal.jsonl"]
    agenteval = Path(sys.executable).with_name("agenteval")  # the CLI of the venv these tests run in
    recovered = subprocess.run([str(agenteval), "recover", "runs"], cwd=pytester.path, capture_output=True,
                               text=True, check=False)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout == "recovered run r1: 2 result(s) -> runs/r1.json (partial)\n"
    run = stored_run(pytester)
    assert run["partial"] is True
    assert [(t["task_id"], t["verdict"]) for t in run["tasks"]] == [("a", "passed"), ("b", "passed")]
