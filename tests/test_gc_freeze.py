"""The collected items are frozen out of the garbage collector while tasks run (full collections skip them),
and an in-process session leaves the collector as it found it."""

from __future__ import annotations

import gc
import json

import pytest

CONFTEST = '''
import gc, json, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        with open("frozen.json", "a") as out:
            out.write(json.dumps(gc.get_freeze_count()) + "\\n")
        return prompt
    return agent
'''


def test_items_are_frozen_during_the_run_and_unfrozen_after(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text("".join(
        json.dumps({"task_id": f"t{index}", "inputs": {"input": "x"}}) + "\n" for index in range(3)))
    before = gc.get_freeze_count()
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=1").assert_outcomes(passed=3)
    counts = [json.loads(line) for line in (pytester.path / "frozen.json").read_text().splitlines()]
    assert len(counts) == 3 and all(count > before for count in counts)
    assert gc.get_freeze_count() == before


def test_a_session_without_eval_items_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="import gc\n\ndef test_one():\n    assert gc.get_freeze_count() == 0\n")
    pytester.runpytest().assert_outcomes(passed=1)
