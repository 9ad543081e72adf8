"""Pairwise judges over variants in real pytest runs: judged on the controller once every item ran, over the stored
results, so the same with and without xdist; a judge that prefers one variant's answer wins in both orders, a
position-biased one yields ties and flips; a failed judge call is that pair's error and the run is still stored;
the `pairwise` section is shown in the terminal, the Markdown summary and `agenteval show`."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_agenteval.cli import main

from .helpers import read_single_run, record, write_suite

pytest.importorskip("pydantic_ai", reason="needs the judge extra")

# Judges on pydantic-ai's FunctionModel: `sunny` prefers the answer that gives the weather (and fails on "boom"),
# `shown_first` always prefers the answer it is shown first. Every call costs 100 input and 10 output tokens.
JUDGES = '''
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage
from pytest_agenteval.judges import PairwiseJudge, pairwise_judge


def shown(messages):
    prompt = messages[-1].parts[-1].content
    return (prompt.split("<first>")[1].split("</first>")[0], prompt.split("<second>")[1].split("</second>")[0])


def verdict(info, better, reason):
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"reason": reason, "better": better})],
                         usage=RequestUsage(input_tokens=100, output_tokens=10))


def sunny(messages, info):
    first, second = shown(messages)
    if "boom" in first + second:
        raise RuntimeError("judge backend down")
    better = "tie" if ("sunny" in first) == ("sunny" in second) else "first" if "sunny" in first else "second"
    return verdict(info, better, f"{better} gives the weather")


def shown_first(messages, info):
    return verdict(info, "first", "the first one reads better")


HELPFUL = pairwise_judge("The answer that gives the weather.", model=FunctionModel(sunny, model_name="sunny"),
                         key="helpful")
BIASED = pairwise_judge("The better answer.", model=FunctionModel(shown_first, model_name="first"), key="biased")
GOOD_FIRST = pairwise_judge("The answer that gives the weather.", model=FunctionModel(sunny, model_name="sunny"),
                            key="helpful", pairs=[("good", "terse")])
ONE_ORDER = pairwise_judge("The better answer.", model=FunctionModel(shown_first, model_name="first"), key="once",
                           swap=False)
async def slow(question, first, second):
    import asyncio
    await asyncio.sleep(30)


SLOW = PairwiseJudge("slow", slow)
BROKEN = PairwiseJudge("broken", lambda question, first, second: "tie", pairs=(("good",),))
MISSING = pairwise_judge("The better answer.", model=FunctionModel(sunny), key="ghost", pairs=[("good", "nobody")])
'''
CONFTEST = '''
import pytest


@pytest.fixture(scope="session")
def eval_variants():
    def good(prompt):
        if prompt == "crash":
            raise ValueError("agent exploded")
        return f"sunny in {prompt}" if prompt != "explode" else "boom"
    def terse(prompt):
        return "no idea"
    return {"good": good, "terse": terse}
'''
INI = "[pytest]\neval_suites = s.jsonl\neval_variants =\n    good\n    terse\n"
TASKS = [record("paris", "Paris"), record("rome", "Rome"), record("oslo", "Oslo")]
FIELDS = {"key", "variant_a", "variant_b", "judge", "swap", "pairs", "wins_a", "wins_b", "ties", "flips", "errors",
          "not_compared", "win_rate", "interval", "decisive_verdicts", "shown_first_rate", "tokens", "cost", "problem",
          "outcomes"}


def pairwise_project(pytester: pytest.Pytester, conftest: str = CONFTEST, **modules: str) -> pytest.Pytester:
    """The variants' project: a conftest, the judges' modules (by default `judges_here`), the ini and the suite."""
    pytester.makeconftest(conftest)
    pytester.makepyfile(**(modules or {"judges_here": JUDGES}))
    pytester.makeini(INI)
    write_suite(pytester.path / "s.jsonl", TASKS)
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    return pairwise_project(pytester)


def comparisons(project: pytest.Pytester) -> list[dict[str, Any]]:
    section = read_single_run(project.path / "runs")["pairwise"]
    assert section is not None
    found: list[dict[str, Any]] = section["comparisons"]
    return found


def test_a_judge_that_prefers_one_variants_answer_wins_in_both_orders(project: pytest.Pytester,
                                                                      dist_args: list[str]) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:HELPFUL", *dist_args)
    result.assert_outcomes(passed=6)
    (found,) = comparisons(project)
    assert set(found) == FIELDS
    # by default every variant against the leaderboard's first (both pass everything: the first named leads)
    assert (found["variant_a"], found["variant_b"], found["key"], found["judge"]) == ("terse", "good", "helpful",
                                                                                    "function:sunny")
    assert (found["pairs"], found["wins_a"], found["wins_b"], found["ties"], found["flips"]) == (3, 0, 3, 0, 0)
    assert found["win_rate"] == 0.0 and found["interval"] == pytest.approx([0.0, 0.5615], abs=1e-4)
    assert [(o["task_id"], o["status"], o["winner"], o["a_first"]["better"], o["b_first"]["better"])
            for o in found["outcomes"]] == [(task, "judged", "b", "second", "first") for task in ("paris", "rome",
                                                                                               "oslo")]
    run = read_single_run(project.path / "runs")
    # 3 pairs x 2 orders x 110 tokens, the judges' own; never the agents', nor the per-task judges'
    assert found["tokens"]["total"] == run["pairwise"]["tokens"]["total"] == 660
    assert run["aggregates"]["judge_tokens"]["total"] == 0 and run["aggregates"]["tokens"]["total"] == 0
    result.stdout.fnmatch_lines([
        "pairwise (each task's two outputs judged in both orders; a win only when both orders agree):",
        "  terse vs good by helpful (judge function:sunny): terse won 0, good won 3, 0 ties, of 3 pairs judged; "
        "terse's win rate 0.0% [95% CI 0.0%-56.1%] over 3 decided",
        "    flips (the two orders disagreed, so a tie): 0 of 3 pairs; the answer shown first was picked in 50.0% of "
        "6 decisive verdicts (50%: no position bias)",
        "  pairwise judges, apart from the agents' and the per-task judges' totals: tokens input=600 output=60 "
        "total=660, cost unknown (no price for its model)",
    ])


def test_named_pairs_put_variant_a_first_and_its_win_rate_is_measured(project: pytest.Pytester) -> None:
    project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:GOOD_FIRST").assert_outcomes(passed=6)
    (found,) = comparisons(project)
    assert (found["variant_a"], found["variant_b"], found["wins_a"], found["win_rate"]) == ("good", "terse", 3, 1.0)


def test_the_ini_names_the_judges_and_repeats_pair_by_index(project: pytest.Pytester) -> None:
    project.makeini(INI + "eval_pairwise =\n    judges_here:BIASED\n    judges_here:HELPFUL\n")
    write_suite(project.path / "s.jsonl", [*TASKS, record("boom", "explode")])
    result = project.runpytest("--eval-store=runs", "--eval-repeats=2")
    result.assert_outcomes(passed=16)
    found, helpful = comparisons(project)
    assert [(o["task_id"], o["repeat"]) for o in found["outcomes"]] == [
        (task, k) for task in ("paris", "rome", "oslo", "boom") for k in (1, 2)]
    assert (found["pairs"], found["ties"], found["flips"]) == (8, 8, 8)
    assert (helpful["pairs"], helpful["wins_b"], helpful["errors"]) == (6, 6, 2)
    result.stdout.fnmatch_lines(["  terse vs good by biased (judge function:first): *of 8 pairs judged*",
                                 "    judge errors: 2: s.jsonl::boom#1 (RuntimeError: judge backend down), "
                                 "s.jsonl::boom#2 (RuntimeError: judge backend down)"])


def test_a_position_biased_judge_yields_ties_and_flips_not_a_winner(project: pytest.Pytester,
                                                                   dist_args: list[str]) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:BIASED", *dist_args)
    result.assert_outcomes(passed=6)
    (found,) = comparisons(project)
    assert (found["wins_a"], found["wins_b"], found["ties"], found["flips"]) == (0, 0, 3, 3)
    assert found["win_rate"] is None and found["interval"] is None
    assert all(o["winner"] == "tie" and o["flipped"] for o in found["outcomes"])
    result.stdout.fnmatch_lines(["  terse vs good by biased (judge function:first): terse won 0, good won 0, 3 ties, "
                                 "of 3 pairs judged; no pair decided, so no win rate",
                                 "    flips (the two orders disagreed, so a tie): 3 of 3 pairs; the answer shown "
                                 "first was picked in 100.0% of 6 decisive verdicts (50%: no position bias)"])
    assert (found["decisive_verdicts"], found["shown_first_rate"]) == (6, 1.0)


def test_the_pairwise_section_is_the_same_with_and_without_workers(project: pytest.Pytester) -> None:
    sections = []
    for store, args in (("one", []), ("two", ["-n", "2"])):
        project.runpytest(f"--eval-store={store}", "--eval-pairwise=judges_here:HELPFUL",
                          "--eval-pairwise=judges_here:BIASED", *args).assert_outcomes(passed=6)
        sections.append(read_single_run(project.path / store)["pairwise"])
    assert sections[0] == sections[1]
    assert [c["key"] for c in sections[0]["comparisons"]] == ["helpful", "biased"]


def test_a_failed_judge_call_is_that_pairs_error_and_a_crashed_task_is_not_compared(
        project: pytest.Pytester) -> None:
    write_suite(project.path / "s.jsonl", [*TASKS, record("boom", "explode"), record("crashing", "crash")])
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:HELPFUL")
    result.assert_outcomes(passed=9, failed=1)  # the crashed agent's item fails; judge errors fail no item
    (found,) = comparisons(project)
    by_task = {o["task_id"]: o for o in found["outcomes"]}
    assert (by_task["boom"]["status"], by_task["boom"]["error"]["type"]) == ("error", "RuntimeError")
    assert "judge backend down" in by_task["boom"]["error"]["message"] and by_task["boom"]["winner"] is None
    assert (by_task["crashing"]["status"], by_task["crashing"]["reason"]) == ("not_compared",
                                                                              "good's run raised ValueError")
    # good failed a task, so terse leads now: good is compared with it, as variant A
    assert (found["variant_a"], found["pairs"], found["wins_a"], found["errors"], found["not_compared"]) == (
        "good", 3, 3, 1, 1)
    result.stdout.fnmatch_lines([
        "    judge errors: 1: s.jsonl::boom (RuntimeError: judge backend down)",
        "    not compared: 1: s.jsonl::crashing (good's run raised ValueError)",
    ])


def test_a_judge_slower_than_the_scorer_timeout_makes_each_pair_an_error_without_holding_up_the_session(
        project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:SLOW", "--eval-scorer-timeout=0.3")
    result.assert_outcomes(passed=6)
    (found,) = comparisons(project)
    assert {(o["status"], o["error"]["type"]) for o in found["outcomes"]} == {("error", "TimeoutError")}
    assert found["errors"] == 3 and found["win_rate"] is None
    result.stdout.fnmatch_lines(["    judge errors: 3: s.jsonl::paris (TimeoutError: the judge took longer than 0.3 s "
                                 "on this pair)*"])


def test_without_swap_each_pair_is_judged_once_and_position_bias_is_not_measured(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:ONE_ORDER")
    (found,) = comparisons(project)
    assert (found["swap"], found["wins_a"], found["flips"], found["tokens"]["total"]) == (False, 3, 0, 330)
    assert all(o["b_first"] is None for o in found["outcomes"])
    result.stdout.fnmatch_lines(["    position bias not measured (swap=False: each pair judged once, A shown first)"])


def test_a_pair_naming_a_variant_that_did_not_run_says_so_and_the_others_still_run(
        project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:MISSING",
                               "--eval-pairwise=judges_here:HELPFUL")
    ghost, helpful = comparisons(project)
    assert ghost["problem"] == "variant 'nobody' did not run (the run has: good, terse)" and not ghost["outcomes"]
    assert helpful["wins_b"] == 3
    result.stdout.fnmatch_lines(["  good vs nobody by ghost: not compared, variant 'nobody' did not run (the run "
                                 "has: good, terse)"])


def test_a_run_with_one_variant_stores_why_nothing_was_compared(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-variant=good", "--eval-pairwise=judges_here:HELPFUL")
    result.assert_outcomes(passed=3)
    section = read_single_run(project.path / "runs")["pairwise"]
    assert section["comparisons"] == [] and section["problems"] == [
        "pairwise judge 'helpful': nothing to compare, the run has fewer than two variants (it ran: good)"]


def test_judges_from_the_hook_run_and_a_hook_value_that_is_no_judge_is_reported(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST + '''
from judges_here import HELPFUL

def pytest_agenteval_pairwise_judges(config):
    return [HELPFUL, "not a judge"]
''')
    result = project.runpytest("--eval-store=runs", "-n", "2")
    result.assert_outcomes(passed=6)
    section = read_single_run(project.path / "runs")["pairwise"]
    assert [c["wins_b"] for c in section["comparisons"]] == [3]
    assert section["problems"] == ["pytest_agenteval_pairwise_judges gave str 'not a judge', not a pairwise judge: "
                                   "return pairwise_judge(...) objects"]


def test_a_hook_that_raises_is_a_problem_of_the_section_and_the_run_is_still_stored(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST + '''
def pytest_agenteval_pairwise_judges(config):
    raise KeyError("judges.yaml")
''')
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:HELPFUL")
    result.assert_outcomes(passed=6)
    assert result.ret == pytest.ExitCode.OK
    section = read_single_run(project.path / "runs")["pairwise"]
    assert section["problems"] == ["pytest_agenteval_pairwise_judges raised KeyError: 'judges.yaml'"]
    assert [c["wins_b"] for c in section["comparisons"]] == [3]  # --eval-pairwise's judge still ran
    result.stdout.fnmatch_lines(["  pytest_agenteval_pairwise_judges raised KeyError: 'judges.yaml'"])


def test_a_judge_that_breaks_the_pairing_is_said_and_the_run_is_still_stored(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:BROKEN")
    result.assert_outcomes(passed=6)
    section = read_single_run(project.path / "runs")["pairwise"]
    assert section["problems"] == ["pairwise judging failed: ValueError: not enough values to unpack (expected 2, "
                                   "got 1)"]
    result.stdout.fnmatch_lines(["  pairwise judging failed: ValueError: not enough values to unpack*"])


@pytest.mark.parametrize(("spec", "message"), [
    ("judges_here:NOPE", "*--eval-pairwise=judges_here:NOPE: cannot import it: AttributeError*"),
    ("judges_here:shown", "*--eval-pairwise=judges_here:shown: function is not a pairwise judge or a list of them; "
                          "make each with pytest_agenteval.judges.pairwise_judge(...)"),
])
def test_an_eval_pairwise_that_is_not_a_judge_stops_the_session_before_anything_runs(
        project: pytest.Pytester, spec: str, message: str) -> None:
    result = project.runpytest("--eval-store=runs", f"--eval-pairwise={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert not (project.path / "runs").exists() or not list((project.path / "runs").glob("*.json"))


def test_the_markdown_summary_and_agenteval_show_render_the_comparisons(
        project: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    write_suite(project.path / "s.jsonl", [*TASKS, record("boom", "explode")])
    project.runpytest("--eval-store=runs", "--eval-pairwise=judges_here:HELPFUL", "--eval-markdown=summary.md",
                      "--eval-run-id=r1")
    markdown = (project.path / "summary.md").read_text()
    assert "### Pairwise comparisons" in markdown
    row = "| terse vs good | helpful | function:sunny | 3 | 0 | 3 | 0 | 0 | 50.0% | 1 | 0 | 0.0% | 0.0%-56.1% |"
    assert row in markdown
    assert ("| s.jsonl::paris | good won | good | good | A first: second gives the weather; B first: first gives the "
            "weather |") in markdown
    assert "| s.jsonl::boom | error | - | - | RuntimeError: judge backend down |" in markdown
    assert main(["show", str(project.path / "runs" / "r1.json")]) == 0
    shown = capsys.readouterr().out
    assert "  terse vs good by helpful (judge function:sunny): terse won 0, good won 3, 0 ties, of 3 pairs" in shown
    assert "    judge errors: 1: s.jsonl::boom (RuntimeError: judge backend down)" in shown
    assert main(["show", "--format=markdown", str(project.path / "runs" / "r1.json")]) == 0
    assert "### Pairwise comparisons" in capsys.readouterr().out
