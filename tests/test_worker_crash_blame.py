"""An xdist worker that dies blames only the task that killed it, also when agent calls of other tasks were
running ahead in the same worker: those items run again, alone, instead of being stored as crashed."""

from __future__ import annotations

import json

import pytest

from .helpers import read_single_run

DYING_CONFTEST = '''
import os, time, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "die":
            time.sleep(0.01)
            os._exit(1)
        time.sleep(0.03)
        return prompt
    return agent
'''


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_only_the_task_that_killed_its_worker_is_stored_as_crashed(pytester: pytest.Pytester,
                                                                   concurrency: str) -> None:
    pytester.makeconftest(DYING_CONFTEST)
    records = [{"task_id": f"t{i}", "inputs": {"input": "die" if i == 12 else "ok"}} for i in range(30)]
    (pytester.path / "s.jsonl").write_text("\n".join(json.dumps(each) for each in records) + "\n")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "-n", "2",
                                f"--eval-concurrency={concurrency}")
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    assert len(tasks) == 30
    not_passed = {task["task_id"]: task["exception"]["type"] for task in tasks if task["verdict"] != "passed"}
    assert not_passed == {"t12": "WorkerCrashed"}
    assert sorted(task["task_id"] for task in tasks) == sorted(f"t{i}" for i in range(30))
    # pytest's own count may show an item twice: one that xdist re-sent after the crash runs again (the stored
    # run keeps one result per item, as asserted above).
    assert result.parseoutcomes().get("failed") == 1
