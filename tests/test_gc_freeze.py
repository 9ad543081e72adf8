"""The collected items are frozen out of the garbage collector while tasks run (full collections skip them),
and an in-process session leaves the collector as it found it."""

from __future__ import annotations

import gc
import json

import pytest

from .helpers import record, write_suite

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
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}", "x") for index in range(3)])
    before = gc.get_freeze_count()
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=1").assert_outcomes(passed=3)
    counts = [json.loads(line) for line in (pytester.path / "frozen.json").read_text().splitlines()]
    assert len(counts) == 3 and all(count > before for count in counts)
    assert gc.get_freeze_count() == before


def test_a_session_without_eval_items_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="import gc\n\ndef test_one():\n    assert gc.get_freeze_count() == 0\n")
    pytester.runpytest().assert_outcomes(passed=1)


HOOK_CONFTEST = CONFTEST + '''

def pytest_agenteval_task_evaluated(config, result):
    with open("held.json", "a") as out:
        out.write(json.dumps(gc.get_freeze_count()) + "\\n")
'''


def test_held_results_are_frozen_as_they_accumulate(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pytest_agenteval.run.host.FREEZE_EVERY", 2)
    pytester.makeconftest(HOOK_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}", "x") for index in range(5)])
    before = gc.get_freeze_count()
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=1").assert_outcomes(passed=5)
    counts = [json.loads(line) for line in (pytester.path / "held.json").read_text().splitlines()]
    # Every second result held freezes what survived the young collections since: results 2 and 4. (Without
    # it the count only falls, as frozen objects are freed.)
    assert counts[1] > counts[0] and counts[3] > counts[2]
    assert gc.get_freeze_count() == before


CLEANUP_CONFTEST = CONFTEST + '''

FULL_COLLECTIONS = []


def on_collection(phase, info):
    if phase == "start" and info["generation"] == 2:
        FULL_COLLECTIONS.append(gc.get_freeze_count())


def pytest_configure(config):
    # Registered after the plugin's cleanup and after pytest's (which collect): runs between the two.
    config.add_cleanup(lambda: gc.callbacks.remove(on_collection))
    config.add_cleanup(lambda: open("full.json", "w").write(json.dumps(FULL_COLLECTIONS)))


def pytest_unconfigure(config):
    gc.callbacks.append(on_collection)
'''


def test_pytests_last_collections_skip_the_frozen_objects(pytester: pytest.Pytester) -> None:
    """pytest collects once more in its unconfigure hook and once in its config cleanup (unraisable exceptions):
    both run while the held results and items are still frozen. In a subprocess: in-process, pytester turns those
    collections off."""
    pytester.makeconftest(CLEANUP_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}", "x") for index in range(3)])
    pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-concurrency=1").assert_outcomes(passed=3)
    full = json.loads((pytester.path / "full.json").read_text())
    assert len(full) >= 2 and all(count > 0 for count in full)
