"""AG2 compatibility: `ag2.eval` scorers grade alike here and in `run_agent`; `load_run` and `diff` read our runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .helpers import load_run_json, record, stored_tasks, write_suite

ag2_eval = pytest.importorskip("ag2.eval", reason="needs the frameworks extra")

CONFTEST = '''
import pytest
from tests.ag2_weather import ag2_scorers, build_agent


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()


@pytest.fixture
def eval_scorers():
    return ag2_scorers()  # ag2.eval Scorer objects, passed as they are
'''

RECORDS = [
    record("weather", "weather in Paris", reference_outputs={"answer": "sunny", "city": "Paris"}, tags=["tools"]),
    record("forecast", "forecast in Oslo", reference_outputs={"answer": "sunny", "city": "Oslo"}, tags=["tools"]),
    record("crash", reference_outputs={"answer": "anything"}),
    record("hello", reference_outputs={"answer": "hello"}, metadata={"owner": "compat"}),
]


def run_with_ag2(suite: Path, store: Path) -> Any:
    """The same suite, agent and scorers through `ag2.eval.run_agent`."""
    from .ag2_weather import ag2_scorers, build_agent

    return asyncio.run(ag2_eval.run_agent(ag2_eval.Suite.from_jsonl(suite), agent=build_agent(),
                                          scorers=ag2_scorers(), store_dir=store, run_id="ag2"))


def ag2_feedback(task: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored task's feedback in AG2's five fields."""
    return [{key: fb[key] for key in ("key", "score", "value", "comment", "detail")} for fb in task["feedback"]]


@pytest.fixture
def both_runs(pytester: pytest.Pytester) -> tuple[Path, Path]:
    """(our run JSON, AG2's run JSON) for one suite."""
    pytester.makeconftest(CONFTEST)
    suite = write_suite(pytester.path / "compat.jsonl", RECORDS)
    result = pytester.runpytest("--eval-suite=compat.jsonl", "--eval-store=runs", "--eval-run-id=ours")
    result.assert_outcomes(failed=4)  # token_budget(60) fails the tool tasks; fragile crashes on "crash"
    run_with_ag2(suite, pytester.path / "ag2runs")
    return pytester.path / "runs" / "ours.json", pytester.path / "ag2runs" / "ag2.json"


def test_ag2_scorers_give_the_same_feedback_here_as_in_run_agent(both_runs: tuple[Path, Path]) -> None:
    ours, theirs = (load_run_json(path) for path in both_runs)
    ours_by_id = {task["task_id"]: ag2_feedback(task) for task in ours["tasks"]}
    theirs_by_id = {task["task_id"]: ag2_feedback(task) for task in theirs["tasks"]}
    assert ours_by_id == theirs_by_id
    weather = {fb["key"]: fb["score"] for fb in ours_by_id["weather"]}
    assert weather["tool_called[get_weather]"] is True and weather["city_argument_correct"] is True
    assert {fb["key"]: fb["value"] for fb in ours_by_id["crash"]}["failure"] == "crash"


def test_a_crashing_ag2_scorer_keeps_its_record_and_fails_the_item(both_runs: tuple[Path, Path]) -> None:
    crash = stored_tasks(both_runs[0].parent)["crash"]
    (fragile,) = [fb for fb in crash["feedback"] if fb["key"] == "fragile"]
    assert fragile["score"] is None and fragile["comment"] == "scorer raised: ZeroDivisionError: division by zero"
    assert fragile["passed"] is False
    assert fragile["error"] == {"type": "ZeroDivisionError", "message": "division by zero"}


def test_load_run_reads_our_run_and_diffs_strictly_against_run_agent(both_runs: tuple[Path, Path]) -> None:
    ours, theirs = (ag2_eval.load_run(path) for path in both_runs)
    assert [task.task.task_id for task in ours.tasks] == ["weather", "forecast", "crash", "hello"]
    assert ours.aggregates.errors == theirs.aggregates.errors == 1
    assert ours.tasks[3].task.metadata == {"owner": "compat"} and ours.tasks[0].task.tags == ("tools",)
    diff = ours.diff(theirs)  # strict: raises if task ids, contents or scorer keys differ
    assert (len(diff.comparable_tasks), diff.regressions, diff.flipped_to_pass) == (4, (), ())
    assert all(before == after for before, after in diff.pass_rate_deltas.values())
    assert theirs.diff(ours).regressions == ()
    for key in ("tool_called[get_weather]", "final_answer_matches", "token_budget", "no_tool_errors"):
        assert ours.pass_rate(key) == theirs.pass_rate(key)


def test_from_ag2_wraps_an_ag2_scorer_with_its_key() -> None:
    from pytest_agenteval.scoring import ScoreContext, as_scorer
    from pytest_agenteval.scoring.ag2 import from_ag2, to_feedback
    from pytest_agenteval.task import Task

    from .ag2_weather import answer_shape

    bridged = from_ag2(answer_shape)
    assert bridged.key == "answer_shape" and as_scorer(answer_shape).key == "answer_shape"
    context = ScoreContext(Task("t", {"input": "hi"}), {"body": "Hi.", "content": "Hi.", "raw": object()})
    (feedback,) = asyncio.run(bridged.score(context))
    assert (feedback.key, feedback.value, feedback.passed) == ("answer_shape", "sentence", None)
    unparsed = to_feedback(ag2_eval.Feedback(key="k", score=None, comment="judge returned no verdict"))
    assert unparsed.error is None and unparsed.passed is None
