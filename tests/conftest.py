"""Shared helpers for the plugin's tests: suites written on the fly and conftests that wire agents."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

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


def record(task_id: str, prompt: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"task_id": task_id, "inputs": {"input": prompt if prompt is not None else task_id}, **fields}


def write_suite(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write a JSONL suite; a str entry is written as a raw line."""
    lines = [entry if isinstance(entry, str) else json.dumps(entry) for entry in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_single_run(store: Path) -> dict[str, Any]:
    files = sorted(store.glob("*.json"))
    assert len(files) == 1, files
    data: dict[str, Any] = json.loads(files[0].read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _inner_runs_set_the_asyncio_loop_scope(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester's inner runs have no ini file; without this, pytest-asyncio warns in each of them."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS, so set ours after it
        monkeypatch.setenv("PYTEST_ADDOPTS", "-o asyncio_default_fixture_loop_scope=function")


@pytest.fixture(params=[[], ["-n", "2"]], ids=["single", "xdist"])
def dist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)
