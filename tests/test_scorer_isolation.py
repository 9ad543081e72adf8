"""Each scorer sees its own copies of inputs, outputs and reference: what one changes, no other scorer, later
repeat or the stored run sees. A score that is not a finite number fails, saying why."""

from __future__ import annotations

import pytest

from .helpers import read_single_run

MUTATING_CONFTEST = '''
import pytest
from pytest_agenteval import Feedback

SEEN = []

def vandal(inputs, outputs, reference_outputs, task):
    SEEN.append((inputs["input"], outputs["body"], reference_outputs["answer"], task.reference_outputs["answer"]))
    inputs["input"] = "changed"
    outputs["body"] = "changed"
    outputs["content"] = None
    reference_outputs["answer"] = "changed"
    reference_outputs.setdefault("extra", []).append(1)
    task.metadata["changed"] = True
    return True

def witness(inputs, outputs, reference_outputs, task):
    seen = (inputs["input"], outputs["body"], reference_outputs, dict(task.metadata))
    return Feedback(key="witness", score=seen == ("hi", "hi", {"answer": "hi"}, {}), comment=repr(seen))

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

@pytest.fixture
def eval_scorers():
    return [vandal, witness]
'''


def test_a_scorer_that_mutates_its_arguments_changes_nothing_for_anyone_else(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MUTATING_CONFTEST)
    (pytester.path / "s.jsonl").write_text(
        '{"task_id": "a", "inputs": {"input": "hi"}, "reference_outputs": {"answer": "hi"}}\n')
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-repeats=3").assert_outcomes(passed=3)
    for task in read_single_run(pytester.path / "runs")["tasks"]:
        assert task["inputs"] == {"input": "hi"} and task["reference_outputs"] == {"answer": "hi"}
        assert task["outputs"]["body"] == "hi" and task["metadata"] == {}
        assert [fb["passed"] for fb in task["feedback"]] == [True, True]


@pytest.mark.parametrize("score", ["float('nan')", "float('inf')", "float('-inf')"])
def test_a_score_that_is_not_a_finite_number_fails_with_a_reason(pytester: pytest.Pytester, score: str) -> None:
    pytester.makeconftest(f'''
import pytest
from pytest_agenteval import scorer

@scorer(threshold=0.5)
def quality(outputs):
    return {score}

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

@pytest.fixture
def eval_scorers():
    return [quality]
''')
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*quality*is not a finite number*"])
    (feedback,) = read_single_run(pytester.path / "runs")["tasks"][0]["feedback"]
    assert (feedback["passed"], feedback["score"], feedback["error"]["type"]) == (False, None, "NonFiniteScore")
