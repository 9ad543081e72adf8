"""Variants: `eval_variants` gives `{name: agent}`, `--eval-variant` / the ini's `eval_variants` name the ones to run;
each task x variant x repeat is an item. The leaderboard equals AG2's `run_variants`, the paired comparison says
which tasks flip, and gates, tolerance, resume, baselines, merge and xdist all work per variant."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.collect.names import item_params, read_item_params
from pytest_agenteval.results.variants import sign_test
from pytest_agenteval.task import Task

from .helpers import load_run_json, read_single_run, record, write_suite

# "yes" is right for a and c, "no" for b; AG2 agents answer from their own scripted config.
TASKS = [record("a", "question a", reference_outputs={"answer": "yes"}, tags=["easy"]),
         record("b", "question b", reference_outputs={"answer": "no"}),
         record("c", "question c", reference_outputs={"answer": "yes"}, tags=["easy"])]
SCORERS = '''
import ag2.eval

@ag2.eval.scorer
def right(outputs, reference_outputs):
    return outputs.get("body") == reference_outputs["answer"]

@ag2.eval.scorer
def closeness(outputs, reference_outputs):
    return 1.0 if outputs.get("body") == reference_outputs["answer"] else 0.25
'''
CONFTEST = SCORERS + '''
import pytest
from ag2 import Agent
from ag2.testing import TestConfig

def agents():
    return {"yes-bot": Agent("bot", config=TestConfig("yes")), "no-bot": Agent("bot", config=TestConfig("no")),
            "yes-too": Agent("bot", config=TestConfig("yes"))}

@pytest.fixture(scope="session")
def eval_variants():
    return agents()

@pytest.fixture(scope="session")
def eval_scorers():
    return [right, closeness]
'''
VARIANTS = ("--eval-variant=yes-bot", "--eval-variant=no-bot", "--eval-variant=yes-too")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytest.importorskip("ag2.testing", reason="needs the frameworks extra")
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", TASKS)
    return pytester


def test_each_task_runs_once_per_variant_with_ids_that_select(project: pytest.Pytester) -> None:
    listed = project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-repeats=2", "--collect-only", "-q")
    ids = [line for line in listed.outlines if "::" in line]
    assert ids == [f"s.jsonl::{task}[{variant}-r{k}]" for task in "abc" for variant in ("yes-bot", "no-bot")
                   for k in (1, 2)]
    chosen = project.runpytest("s.jsonl", *VARIANTS, "-k", "no-bot and easy", "--collect-only", "-q")
    assert [line for line in chosen.outlines if "::" in line] == ["s.jsonl::a[no-bot]", "s.jsonl::c[no-bot]"]


def test_the_ini_names_the_variants_of_a_bare_run_and_the_option_picks_among_them(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\neval_suites = s.jsonl\neval_variants =\n    yes-bot\n    no-bot\n")
    bare = project.runpytest("--collect-only", "-q")
    assert "s.jsonl::b[no-bot]" in bare.outlines and "s.jsonl::b[yes-bot]" in bare.outlines
    one = project.runpytest("--eval-variant=no-bot", "--collect-only", "-q")
    assert [line for line in one.outlines if "::" in line] == [f"s.jsonl::{task}[no-bot]" for task in "abc"]


def test_the_leaderboard_equals_ag2_run_variants_and_every_task_keeps_its_variant(project: pytest.Pytester) -> None:
    import ag2.eval
    from ag2.testing import TestConfig

    result = project.runpytest("s.jsonl", *VARIANTS, "--eval-store=runs", "--eval-concurrency=3")
    result.assert_outcomes(passed=5, failed=4)
    run = read_single_run(project.path / "runs")
    assert sorted((task["task_id"], task["variant"], task["verdict"]) for task in run["tasks"]) == sorted(
        (task, variant, "passed" if (task == "b") == (variant == "no-bot") else "failed")
        for task in "abc" for variant in ("yes-bot", "no-bot", "yes-too"))
    assert run["config"]["variants"] == ["yes-bot", "no-bot", "yes-too"]

    namespace: dict[str, Any] = {}
    exec(SCORERS, namespace)
    theirs = asyncio.run(ag2.eval.run_variants(
        ag2.eval.Suite.from_list([dict(each) for each in TASKS]),
        variants=ag2.eval.Variants({name: ag2.Agent("bot", config=TestConfig(answer)) for name, answer in
                                    (("yes-bot", "yes"), ("no-bot", "no"), ("yes-too", "yes"))}),
        scorers=[namespace["right"], namespace["closeness"]], concurrency=3))
    board = run["variants"]["leaderboard"]
    for key in ("right", "closeness"):
        expected = {row.variant: (round(row.score, 9), row.n, row.rank) for row in theirs.leaderboard(key)}
        ours = {row["variant"]: (round(row["scores"][key]["score"], 9), row["scores"][key]["n"],
                                 row["scores"][key]["rank"]) for row in board}
        assert ours == expected, key
    assert [(row["variant"], row["rank"], row["passed_tasks"]) for row in board] == [
        ("yes-bot", 1, 2), ("yes-too", 1, 2), ("no-bot", 3, 1)]
    assert run["variants"]["aggregates"]["no-bot"]["pass_rate"] == {"right": pytest.approx(1 / 3)}


def test_the_paired_comparison_lists_the_flipped_tasks_with_an_exact_p_value(project: pytest.Pytester) -> None:
    result = project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs")
    run = read_single_run(project.path / "runs")
    (comparison,) = run["variants"]["comparisons"]
    assert (comparison["variant"], comparison["against"], comparison["tasks"]) == ("no-bot", "yes-bot", 3)
    assert (comparison["only_variant"], comparison["only_against"], comparison["both_passed"]) == (1, 2, 0)
    assert comparison["p_value"] == pytest.approx(1.0)  # 1 vs 2 of 3 discordant: 2 * (1 + 3) / 8, capped at 1
    assert {(flip["task_id"], flip["passed_by"]) for flip in comparison["flips"]} == {
        ("a", "yes-bot"), ("b", "no-bot"), ("c", "yes-bot")}
    text = result.stdout.str()
    assert "variants (ranked by the tasks that meet the pass policy):" in text
    assert "no-bot vs yes-bot: 1 won, 2 lost" in text
    assert "s.jsonl::a[no-bot]" in text  # a failing task is named with its variant


@pytest.mark.parametrize(("variant", "repeat", "repeats"), [
    (None, 1, 1), (None, 3, 4), ("gpt-4o", 1, 1), ("gpt-4o", 2, 3), ("r2", 1, 1), ("a-r1", 5, 9), ("[x]::y", 2, 2)])
def test_item_params_read_back_to_their_variant_and_repeat(variant: str | None, repeat: int, repeats: int) -> None:
    task = Task(task_id="t", inputs={"input": "q"}, repeat=repeat, repeats=repeats, variant=variant)
    assert read_item_params(item_params(task) or "", repeats) == (variant, repeat)


@pytest.mark.parametrize(("wins", "losses", "expected"), [
    (0, 0, 1.0), (0, 3, 0.25), (3, 0, 0.25), (1, 9, 2 * 11 / 1024), (0, 10, 2 / 1024), (5, 5, 1.0),
    (2, 12, 2 * (1 + 14 + 91) / 2**14),
])
def test_the_sign_test_is_the_exact_two_sided_binomial(wins: int, losses: int, expected: float) -> None:
    assert sign_test(wins, losses) == pytest.approx(expected)


def test_gates_and_their_tolerance_are_judged_per_variant(project: pytest.Pytester) -> None:
    result = project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs", "--eval-fail-under=0.6")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    gates = {(gate["variant"], gate["passed"], gate["passed_tasks"]) for gate in
             read_single_run(project.path / "runs")["gates"]}
    assert gates == {("yes-bot", True, 2), ("no-bot", False, 1)}
    # yes-bot's one miss fits its own gate (2 of 3 >= 0.6): xfailed; no-bot's second miss breaks its gate.
    result.assert_outcomes(passed=3, xfailed=2, failed=1)
    assert "FAIL suite of variant no-bot: 33.3% of tasks pass (1/3)" in result.stdout.str()


def test_a_variant_it_does_not_have_or_undeclared_variants_are_clear_errors(project: pytest.Pytester) -> None:
    missing = project.runpytest("s.jsonl", "--eval-variant=yes-bot", "--eval-variant=nope", "--eval-store=runs")
    missing.assert_outcomes(passed=2, failed=4)
    missing.stdout.fnmatch_lines(["*eval_variants has no variant 'nope'; it has: 'yes-bot', 'no-bot', 'yes-too'*"])
    assert [task["verdict"] for task in read_single_run(project.path / "runs")["tasks"]
            if task["variant"] == "nope"] == ["error"] * 3
    undeclared = project.runpytest("s.jsonl")
    undeclared.assert_outcomes(errors=3)
    undeclared.stdout.fnmatch_lines(["*eval_variants gives 'yes-bot', 'no-bot', 'yes-too', but no variant is named*"])
    twice = project.runpytest("s.jsonl", "--eval-variant=no-bot", "--eval-variant=no-bot")
    assert twice.ret == pytest.ExitCode.USAGE_ERROR
    twice.stderr.fnmatch_lines(["*'no-bot' given twice*"])


def test_resume_keeps_each_variants_results_apart(project: pytest.Pytester) -> None:
    first = project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs", "--eval-run-id=r1", "-k", "yes-bot")
    first.assert_outcomes(passed=2, failed=1)
    resumed = project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs", "--eval-run-id=r2",
                                "--eval-resume=r1")
    resumed.assert_outcomes(passed=1, failed=2)  # only no-bot's three items run
    run = load_run_json(project.path / "runs" / "r2.json")
    assert sorted((task["task_id"], task["variant"]) for task in run["tasks"]) == sorted(
        (task, variant) for task in "abc" for variant in ("yes-bot", "no-bot"))


def test_xdist_workers_store_the_same_variant_results(project: pytest.Pytester) -> None:
    project.runpytest("s.jsonl", *VARIANTS, "--eval-store=single", "--eval-run-id=one")
    project.runpytest("s.jsonl", *VARIANTS, "--eval-store=workers", "--eval-run-id=two", "-n", "2")

    def verdicts(path: Path) -> tuple[set[tuple[str, str, str]], list[dict[str, Any]]]:
        run = load_run_json(path)
        return {(t["task_id"], t["variant"], t["verdict"]) for t in run["tasks"]}, run["variants"]["leaderboard"]

    single, workers = verdicts(project.path / "single" / "one.json"), verdicts(project.path / "workers" / "two.json")
    assert single == workers and len(single[0]) == 9
    assert {task["worker"] for task in load_run_json(project.path / "workers" / "two.json")["tasks"]} <= {"gw0", "gw1"}


def test_baseline_and_merge_compare_and_join_per_variant(project: pytest.Pytester) -> None:
    project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs", "--eval-run-id=base")
    # no-bot now answers "yes" too: its task b regresses, a and c are fixed; yes-bot is unchanged.
    project.makeconftest(CONFTEST.replace('TestConfig("no")', 'TestConfig("yes")'))
    project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs", "--eval-run-id=now",
                      "--eval-baseline=runs/base.json")
    diff = load_run_json(project.path / "runs" / "now.json")["baseline"]
    changes = {(task["task_id"], task["variant"]): task["status"] for task in diff["tasks"]}
    assert changes == {("a", "yes-bot"): "unchanged", ("b", "yes-bot"): "unchanged", ("c", "yes-bot"): "unchanged",
                       ("a", "no-bot"): "fixed", ("b", "no-bot"): "regressed", ("c", "no-bot"): "fixed"}

    project.makeconftest(CONFTEST)  # one CI job a variant, then one run of both
    project.runpytest("s.jsonl", "--eval-variant=yes-bot", "--eval-store=shards", "--eval-run-id=one")
    project.runpytest("s.jsonl", "--eval-variant=no-bot", "--eval-store=shards", "--eval-run-id=two")
    merged = project.path / "merged.json"
    cli = subprocess.run([sys.executable, "-m", "pytest_agenteval", "merge", "shards/one.json", "shards/two.json",
                          "-o", str(merged)], cwd=project.path, capture_output=True, text=True, check=False)
    assert cli.returncode in (0, 1), cli.stderr
    run = json.loads(merged.read_text())
    assert run["config"]["variants"] == ["yes-bot", "no-bot"]
    assert [row["variant"] for row in run["variants"]["leaderboard"]] == ["yes-bot", "no-bot"]
    shown = subprocess.run([sys.executable, "-m", "pytest_agenteval", "show", str(merged)], cwd=project.path,
                           capture_output=True, text=True, check=False)
    assert "no-bot vs yes-bot: 1 won, 2 lost" in shown.stdout, shown.stdout


def test_ag2_load_run_reads_a_run_with_variants(project: pytest.Pytester) -> None:
    from ag2.eval import load_run

    project.runpytest("s.jsonl", *VARIANTS[:2], "--eval-store=runs")
    (path,) = (project.path / "runs").glob("*.json")
    loaded = load_run(path)
    assert len(loaded.tasks) == 6
    assert sorted(task.task.task_id for task in loaded.tasks) == ["a", "a", "b", "b", "c", "c"]
