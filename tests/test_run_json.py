"""The run JSON: one file per run, the same with and without xdist, AG2's fields, a JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agenteval.results.store import read_run, run_json_schema

from .helpers import ECHO_CONFTEST, comparable, load_run_json, read_single_run, record, stored_tasks, write_suite

AG2_TASK_FIELDS = {"task_id", "inputs", "reference_outputs", "tags", "metadata", "duration_ms", "events",
                   "exception", "tokens", "feedback", "budget_violation", "trace_ref"}
AG2_RUN_FIELDS = {"schema_version", "run_id", "label", "created_at", "duration_ms", "suite", "target",
                  "concurrency", "tasks", "aggregates"}


def make_suites(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ECHO_CONFTEST)
    write_suite(pytester.path / "a.jsonl", [record(f"a{i}", tags=["alpha"]) for i in range(4)] + [record("crash")])
    write_suite(pytester.path / "b.jsonl", [record(f"b{i}") for i in range(3)])


def test_run_json_is_the_same_with_and_without_workers(pytester: pytest.Pytester) -> None:
    make_suites(pytester)
    args = ["--eval-suite=a.jsonl", "--eval-suite=b.jsonl", "--eval-repeats=2"]
    pytester.runpytest(*args, "--eval-store=single").assert_outcomes(passed=14, failed=2)
    pytester.runpytest(*args, "--eval-store=dist", "-n", "2").assert_outcomes(passed=14, failed=2)
    single, dist = read_single_run(pytester.path / "single"), read_single_run(pytester.path / "dist")
    assert comparable(single) == comparable(dist)
    assert {task["worker"] for task in dist["tasks"]} <= {"gw0", "gw1"}
    assert single["run_id"] != dist["run_id"]
    assert [t["task_id"] for t in single["tasks"]][:3] == ["a0#1", "a0#2", "a1#1"]


def test_run_json_keeps_ag2_fields_and_adds_ours(pytester: pytest.Pytester) -> None:
    make_suites(pytester)
    result = pytester.runpytest("--eval-suite=a.jsonl", "--eval-store=runs", "--eval-run-id=nightly-1",
                                "--eval-label=echo", "--eval-max-tokens=100")
    result.stdout.fnmatch_lines(["*run JSON: *runs/nightly-1.json*"])
    run = load_run_json(pytester.path / "runs" / "nightly-1.json")
    assert set(run) >= AG2_RUN_FIELDS
    assert run["schema_version"] == "0.2" and run["label"] == "echo"
    assert run["suite"] == {"name": "a", "size": 5, "source": "a.jsonl"}
    task = run["tasks"][0]
    assert set(task) >= AG2_TASK_FIELDS
    assert (task["node_id"], task["repeat"], task["verdict"], task["line"]) == ("a.jsonl::a0", 1, "passed", 1)
    assert task["outputs"] == {"body": "a0", "content": "a0"}
    assert task["feedback"] == [{"key": "echoed", "score": True, "value": None, "comment": None, "detail": None,
                                 "threshold": None, "passed": True, "error": None,
                                 "traceback": None}]
    assert run["aggregates"]["pass_rate"] == {"echoed": 0.8}
    assert (run["config"]["max_tokens"], run["concurrency"], run["config"]["timeout"]) == (100, 4, None)
    assert run["provenance"]["python_version"]
    assert read_run(pytester.path / "runs" / "nightly-1.json").run_id == "nightly-1"


def test_an_existing_run_is_never_overwritten(pytester: pytest.Pytester) -> None:
    make_suites(pytester)
    pytester.runpytest("--eval-suite=b.jsonl", "--eval-store=runs", "--eval-run-id=r1").assert_outcomes(passed=3)
    again = pytester.runpytest("--eval-suite=b.jsonl", "--eval-store=runs", "--eval-run-id=r1")
    assert again.ret == pytest.ExitCode.USAGE_ERROR
    again.stderr.fnmatch_lines(["*--eval-run-id=r1: *r1.json already exists; runs are never overwritten*"])


def test_without_a_store_nothing_is_written_and_the_summary_still_shows(pytester: pytest.Pytester) -> None:
    make_suites(pytester)
    result = pytester.runpytest("--eval-suite=a.jsonl")
    result.stdout.fnmatch_lines([
        "*agenteval*",
        "run *",
        "suites: a.jsonl (5 items)",
        "tasks: 5 items, 4 passed, 0 failed, 1 errors",
        "pass rate by scorer:",
        "  echoed    80.0%  (4/5)",
        "tokens: input=0 output=0 total=0",
        "errors: 1",
        "budget violations: 0",
        "run JSON: not written (pass --eval-store=DIR to keep it)",
    ])
    assert not list(pytester.path.rglob("*.json"))


def test_stored_run_validates_against_the_exported_schema(pytester: pytest.Pytester) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    make_suites(pytester)
    pytester.runpytest("--eval-suite=a.jsonl", "--eval-store=runs")
    jsonschema.validate(read_single_run(pytester.path / "runs"), run_json_schema())


def test_the_documented_schema_is_the_one_the_models_export() -> None:
    documented = json.loads((Path(__file__).parent.parent / "docs" / "run-schema.json").read_text())
    assert documented == run_json_schema(), "regenerate it: agenteval schema > docs/run-schema.json"


def test_a_task_whose_worker_died_is_stored_as_an_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import os, pytest
@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "die":
            os._exit(1)
        return prompt
    return agent
''')
    write_suite(pytester.path / "s.jsonl", [record("a"), record("dies", "die", tags=["fragile"]), record("b")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "-n", "2", "--eval-concurrency=1")
    result.assert_outcomes(passed=2, failed=1)
    tasks = stored_tasks(pytester.path / "runs")
    dead = tasks["dies"]
    assert (dead["verdict"], dead["exception"]["type"], dead["line"], dead["tags"]) == (
        "error", "WorkerCrashed", 2, ["fragile"])
    assert dead["inputs"] == {"input": "die"} and "crashed while running" in dead["exception"]["message"]
    assert set(tasks) == {"a", "dies", "b"}
