"""Agents and helpers shared by the CI tests (gates, baselines, reports, CLI)."""

from __future__ import annotations

import pytest

from .helpers import record, write_suite

# "flaky" fails its third repeat, "broken" always fails; BREAK=<prompt> breaks one more prompt.
FLAKY_CONFTEST = '''
import os
import pytest
from pytest_agenteval import scorer

@scorer
def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture(scope="session")
def eval_agent():
    def agent(task):
        if task.input == "broken" or task.input == os.environ.get("BREAK"):
            return "wrong"
        if task.input == "flaky" and task.repeat == 3:
            return "wrong"
        return task.input
    return agent

@pytest.fixture
def eval_scorers():
    return [echoed]
'''


def make_project(pytester: pytest.Pytester, prompts: list[str], tags: dict[str, list[str]] | None = None) -> None:
    """A suite `s.jsonl` with one task per prompt (task id = prompt), judged by `echoed`."""
    pytester.makeconftest(FLAKY_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record(p, tags=(tags or {}).get(p, [])) for p in prompts])
