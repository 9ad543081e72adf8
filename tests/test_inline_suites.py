"""`inline_suite(...)`: a suite defined in a test module, collected as `test_x.py::NAME::task_id` with the rules,
errors and results of a JSONL suite, and optionally its own agent, variants and scorers."""

from __future__ import annotations

import pytest

from .helpers import read_single_run

MODULE = '''
import asyncio, os
from pytest_agenteval import inline_suite, scorer

IN_FLIGHT = {"now": 0, "peak": 0}

async def shout(text):
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
    await asyncio.sleep(0.05)
    IN_FLIGHT["now"] -= 1
    if text == "die":
        os._exit(1)
    return text.upper()

@scorer
def shouted(outputs):
    return outputs["body"].isupper()

loud = inline_suite(
    [{"task_id": f"t{i}", "inputs": {"input": f"word {i}"}, "tags": ["smoke"] if i < 2 else []} for i in range(6)]
    + [{"task_id": "no-input", "inputs": {}}, {"task_id": "a set", "inputs": {"input": {1, 2}}},
       {"task_id": "t1", "inputs": {"input": "again"}}, {"task_id": "hotpot/5a8b", "inputs": {"input": "x"}}],
    agent=shout, scorers=[shouted])

def records():
    yield {"task_id": "q", "inputs": {"input": "Quiet"}}
    yield {"task_id": "r", "inputs": {"input": "LOUD"}}
    raise RuntimeError("the generator broke")

compared = inline_suite(records, variants={"upper": str.upper, "lower": str.lower}, scorers=[shouted])

fixtured = inline_suite([{"task_id": "f", "inputs": {"input": "from the fixture"}}])

def test_plain():
    assert IN_FLIGHT["peak"] >= 1
'''
CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda text: text[::-1]

@pytest.fixture(scope="session")
def eval_scorers():
    def reversed_text(inputs, outputs):
        return outputs["body"] == inputs["input"][::-1]
    return [reversed_text]
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_evals=MODULE)
    return pytester


def test_records_are_collected_with_the_node_ids_of_a_jsonl_suite(project: pytest.Pytester) -> None:
    listed = project.runpytest("--collect-only", "-q")
    ids = [line for line in listed.outlines if "::" in line]
    assert ids[:6] == [f"test_evals.py::loud::t{i}" for i in range(6)]
    assert "test_evals.py::loud::hotpot/5a8b" in ids
    start = ids.index("test_evals.py::compared::q[upper]")
    assert ids[start:start + 2] == ["test_evals.py::compared::q[upper]", "test_evals.py::compared::q[lower]"]
    assert "test_evals.py::fixtured::f" in ids and "test_evals.py::test_plain" in ids
    smoke = project.runpytest("-m", "smoke", "--collect-only", "-q")
    assert [line for line in smoke.outlines if "::" in line] == ["test_evals.py::loud::t0", "test_evals.py::loud::t1"]
    repeated = project.runpytest("-k", "loud and t2", "--eval-repeats=2", "--collect-only", "-q")
    assert [line for line in repeated.outlines if "::" in line] == [
        "test_evals.py::loud::t2[r1]", "test_evals.py::loud::t2[r2]"]


def test_bad_records_are_errors_naming_the_record_and_the_good_ones_run(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "-p", "no:randomly")
    run = read_single_run(project.path / "runs")
    invalid = "\n".join(run["invalid_records"])
    assert "test_evals.py::loud:7: 'inputs.input' is missing" in invalid
    assert "test_evals.py::loud:8: record is not JSON data: Object of type set is not JSON serializable" in invalid
    assert "test_evals.py::loud:9: duplicate task_id 't1' (first defined on line 2)" in invalid
    assert "test_evals.py::compared:3: the records raised RuntimeError: the generator broke" in invalid
    tasks = {(task["suite"], task["task_id"], task["variant"]): task for task in run["tasks"]}
    assert sorted(key[1] for key in tasks if key[0] == "test_evals.py::loud") == sorted(
        [f"t{i}" for i in range(6)] + ["hotpot/5a8b"])
    assert {key: task["verdict"] for key, task in tasks.items() if key[0] == "test_evals.py::compared"} == {
        ("test_evals.py::compared", "q", "upper"): "passed", ("test_evals.py::compared", "q", "lower"): "failed",
        ("test_evals.py::compared", "r", "upper"): "passed", ("test_evals.py::compared", "r", "lower"): "failed"}
    assert [row["variant"] for row in run["variants"]["leaderboard"]] == ["upper", "lower"]
    result.assert_outcomes(passed=11, failed=2, errors=4)  # test_plain passes too


def test_its_own_agent_and_scorers_or_the_fixtures(project: pytest.Pytester) -> None:
    project.runpytest("--eval-store=runs", "--eval-concurrency=4", "-p", "no:randomly")
    tasks = {(task["suite"], task["task_id"]): task for task in read_single_run(project.path / "runs")["tasks"]}
    own = tasks[("test_evals.py::loud", "t3")]
    assert own["outputs"]["body"] == "WORD 3" and [fb["key"] for fb in own["feedback"]] == ["shouted"]
    fixtured = tasks[("test_evals.py::fixtured", "f")]
    assert fixtured["outputs"]["body"] == "erutxif eht morf"
    assert [fb["key"] for fb in fixtured["feedback"]] == ["reversed_text"] and fixtured["verdict"] == "passed"


def test_calls_of_an_inline_suites_own_agent_start_ahead(project: pytest.Pytester) -> None:
    project.makepyfile(test_peak='''
from test_evals import IN_FLIGHT

def test_zz_peak():
    assert IN_FLIGHT["peak"] >= 3, IN_FLIGHT
''')
    result = project.runpytest("--eval-concurrency=4", "-p", "no:randomly", "test_evals.py", "test_peak.py")
    result.assert_outcomes(passed=12, failed=2, errors=4)


def test_a_worker_that_dies_on_an_inline_task_leaves_its_error_in_the_run(project: pytest.Pytester) -> None:
    project.makepyfile(test_evals=MODULE.replace('"inputs": {"input": "x"}', '"inputs": {"input": "die"}'))
    project.runpytest("--eval-store=runs", "-n", "2", "--eval-concurrency=1", "-k", "loud")
    tasks = {task["task_id"]: task for task in read_single_run(project.path / "runs")["tasks"]}
    assert tasks["hotpot/5a8b"]["verdict"] == "error"
    assert tasks["hotpot/5a8b"]["exception"]["type"] == "WorkerCrashed"
    assert tasks["hotpot/5a8b"]["suite"] == "test_evals.py::loud"
    assert {task_id for task_id, task in tasks.items() if task["verdict"] == "passed"} == {f"t{i}" for i in range(6)}


def test_a_worker_that_dies_on_a_variant_of_an_inline_suite_leaves_that_variants_error(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dying='''
import os
from pytest_agenteval import inline_suite

def steady(text):
    return text

def dying(text):
    if text == "die":
        os._exit(1)
    return text

pair = inline_suite([{"task_id": "a", "inputs": {"input": "die"}}, {"task_id": "b", "inputs": {"input": "ok"}}],
                    variants={"steady": steady, "dying-v2": dying})
''')
    pytester.runpytest("--eval-store=runs", "-n", "2", "--eval-concurrency=1", "--eval-repeats=2")
    tasks = {(task["task_id"], task["variant"]): task for task in read_single_run(pytester.path / "runs")["tasks"]}
    assert len(tasks) == 8 and {task["verdict"] for key, task in tasks.items() if key[0] != "a#1"} <= {
        "passed", "error"}
    crashed = [key for key, task in tasks.items() if task["exception"] and task["exception"]["type"] == "WorkerCrashed"]
    assert crashed and all(variant == "dying-v2" and task_id.startswith("a#") for task_id, variant in crashed)


def test_a_session_of_inline_suites_only_journals_its_run_and_starts_it_once(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
STARTED = []

def pytest_agenteval_run_started(config, run_id):
    STARTED.append(run_id)
''')
    pytester.makepyfile(test_a_inline='''
from pytest_agenteval import inline_suite

smoke = inline_suite([{"task_id": f"t{i}", "inputs": {"input": "x"}} for i in range(3)] + [{"task_id": "bad"}],
                     agent=str.upper)
''', test_b_plain='''
from pathlib import Path
from conftest import STARTED

def test_the_run_is_journaled_while_it_runs():
    journal = Path("runs/r1.journal.jsonl")
    assert journal.exists(), list(Path("runs").iterdir())
    assert len(journal.read_text().splitlines()) == 1 + 3 + 1  # the header, three results, the bad record
    assert STARTED == ["r1"]
''')
    result = pytester.runpytest("--eval-store=runs", "--eval-run-id=r1", "-p", "no:randomly")
    result.assert_outcomes(passed=4, errors=1)
    assert len(read_single_run(pytester.path / "runs")["tasks"]) == 3
    assert not (pytester.path / "runs" / "r1.journal.jsonl").exists()  # the stored run replaced it
