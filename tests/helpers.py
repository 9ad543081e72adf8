"""What the tests share: suites written on the fly, the echo agent's conftest, and readers of the stored run."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ECHO_CONFTEST = '''
import pytest
from pytest_agenteval import scorer

@scorer
def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture(scope="session")
def eval_agent():
    def echo(prompt):
        if prompt == "crash":
            raise ValueError("agent exploded")
        return prompt
    return echo

@pytest.fixture
def eval_scorers():
    return [echoed]
'''


# Put first in an inner run's conftest that imports `tests.*`: xdist's workers take the sys.path the pytest process
# had when it started, which holds the project root under `python -m pytest` but not under the `pytest` script.
TESTS_IMPORTABLE = f"import sys\nsys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"


def record(task_id: str, prompt: str | None = None, **fields: Any) -> dict[str, Any]:
    """A suite record; the prompt defaults to the task id."""
    return {"task_id": task_id, "inputs": {"input": prompt if prompt is not None else task_id}, **fields}


def write_suite(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write a JSONL suite; a str entry is written as a raw line."""
    lines = [entry if isinstance(entry, str) else json.dumps(entry) for entry in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_run_json(path: Path) -> dict[str, Any]:
    """One run JSON file, as plain data."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_single_run(store: Path) -> dict[str, Any]:
    """The only run JSON in `store`."""
    files = sorted(store.glob("*.json"))
    assert len(files) == 1, files
    return load_run_json(files[0])


def stored_tasks(store: Path) -> dict[str, dict[str, Any]]:
    """The only stored run's task records by task id."""
    return {task["task_id"]: task for task in read_single_run(store)["tasks"]}


def stored_steps(task: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """A stored task's trace steps of one kind (`tool_call`, `model_call`, `agent`)."""
    return [step for step in task["trace"]["steps"] if step["kind"] == kind]


def comparable(run: dict[str, Any]) -> dict[str, Any]:
    """The run without what legitimately differs between two runs (ids, times, workers)."""
    tasks = [{k: v for k, v in task.items() if k not in {"duration_ms", "trace_ref", "worker", "trace"}}
             for task in run["tasks"]]
    return {"tasks": tasks, "aggregates": run["aggregates"], "suite": run["suite"]}


# For inline conftests (they import asyncio and pathlib) that hold a session mid-run: touches `blocked`, then
# waits, cancellably and at most a minute, until the test creates the file `release`.
WAIT_FOR_RELEASE = '''
async def wait_for_release():
    pathlib.Path("blocked").touch()
    for _ in range(1200):
        if pathlib.Path("release").exists():
            return
        await asyncio.sleep(0.05)
'''
