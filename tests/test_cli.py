"""The `agenteval` command: show, diff, merge, ls, bless, html, schema; bad files are one-line errors with exit code
2. The HTML report in a browser: tests/test_html_report.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.cli import main

from .ci_agents import make_project
from .helpers import comparable, load_run_json

GATES = ("--eval-fail-under=0.5", "--eval-fail-under=adv=0.5")


def run_shards(pytester: pytest.Pytester) -> Path:
    """The same suite run whole, and in two shards selected with -k."""
    make_project(pytester, ["p1", "p2", "broken", "p4"], tags={"broken": ["adv"], "p4": ["adv"]})
    common = ["--eval-suite=s.jsonl", "--eval-store=runs", "--eval-repeats=2", *GATES]
    pytester.runpytest(*common, "--eval-run-id=whole")
    pytester.runpytest(*common, "--eval-run-id=shard-1", "-k", "p1 or broken")
    pytester.runpytest(*common, "--eval-run-id=shard-2", "-k", "not (p1 or broken)")
    return pytester.path / "runs"


def without_outcomes(run: dict[str, Any]) -> dict[str, Any]:
    return run | {"tasks": [{k: v for k, v in task.items() if k != "outcome"} for task in run["tasks"]]}


def test_merging_two_shards_gives_the_run_of_the_whole_suite(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    runs = run_shards(pytester)
    code = main(["merge", str(runs / "shard-1.json"), str(runs / "shard-2.json"), "-o", str(runs / "merged.json")])
    assert code == 0
    whole, merged = load_run_json(runs / "whole.json"), load_run_json(runs / "merged.json")
    # Each shard shows its items by its own gates (xfailed or failed); the run's content is the same.
    assert comparable(without_outcomes(merged)) == comparable(without_outcomes(whole))
    assert merged["gates"] == whole["gates"] and len(merged["gates"]) == 2
    assert (merged["run_id"], merged["exit_status"]) == ("merged", None)
    assert len(load_run_json(runs / "shard-1.json")["tasks"]) == 4
    assert "gates:" in capsys.readouterr().out


def test_merge_exits_1_when_the_merged_run_fails(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["good", "broken"])
    for run_id, selection in (("s1", "good"), ("s2", "broken")):
        pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", f"--eval-run-id={run_id}", "-k", selection)
    runs = pytester.path / "runs"
    assert main(["merge", str(runs / "s1.json"), str(runs / "s2.json"), "-o", str(runs / "all.json")]) == 1
    assert load_run_json(runs / "all.json")["aggregates"]["verdicts"] == {"failed": 1, "passed": 1}


def test_merge_refuses_overlapping_shards_and_different_configurations(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    runs = run_shards(pytester)
    capsys.readouterr()
    assert main(["merge", str(runs / "whole.json"), str(runs / "shard-1.json"), "-o", str(runs / "m.json")]) == 2
    assert capsys.readouterr().err == (
        "agenteval merge: error: cannot merge: task s.jsonl::p1#1 is in both whole and shard-1; "
        "shards must not overlap (split them with -k or by suite)\n")
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=other", "-k", "p4")
    capsys.readouterr()
    assert main(["merge", str(runs / "shard-1.json"), str(runs / "other.json"), "-o", str(runs / "m.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("agenteval merge: error: cannot merge other into shard-1: they differ in config.repeats "
                          "2 vs 1; config.fail_under ['0.5', 'adv=0.5'] vs []; ")
    assert err.endswith("merge only shards of one run configuration\n")
    assert not (runs / "m.json").exists()


def test_show_renders_the_stored_run_as_text_json_and_markdown(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(pytester, ["a", "broken"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1", "--eval-fail-under=0.5")
    path = str(pytester.path / "runs" / "r1.json")
    capsys.readouterr()
    assert main(["show", path]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "run r1" and "  s.jsonl::broken  0/1 passed (needs 1)" in text
    assert text[1] == "gates:" and text[2].startswith("  PASS suite: 50.0% of tasks pass (1/2)")
    assert main(["show", path, "--format=json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == "r1"
    assert main(["show", path, "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("## agenteval run `r1`\n\n**Gates: passed**")


def test_diff_compares_two_files_and_can_fail_on_regression(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(pytester, ["a", "b"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=old")
    monkeypatch.setenv("BREAK", "b")
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=new")
    new, old = str(pytester.path / "runs" / "new.json"), str(pytester.path / "runs" / "old.json")
    capsys.readouterr()
    assert main(["diff", new, old]) == 0
    assert "  regressed  s.jsonl::b  1/1 -> 0/1  scorers pass->fail: echoed" in capsys.readouterr().out
    assert main(["diff", new, old, "--fail-on-regression", "--format=json"]) == 1
    diff = json.loads(capsys.readouterr().out)
    assert [(t["task_id"], t["status"]) for t in diff["tasks"]] == [("a", "unchanged"), ("b", "regressed")]


def test_ls_lists_runs_oldest_first_and_skips_files_that_are_not_runs(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(pytester, ["a"])
    for run_id in ("first", "second"):
        pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", f"--eval-run-id={run_id}", "--eval-label=m")
    (pytester.path / "runs" / "notes.json").write_text("[1, 2")
    capsys.readouterr()
    assert main(["ls", str(pytester.path / "runs"), "--format=json"]) == 0
    out, err = capsys.readouterr()
    assert [(row["run_id"], row["label"], row["items"], row["gates"]) for row in json.loads(out)] == [
        ("first", "m", 1, "-"), ("second", "m", 1, "-")]
    assert err.startswith("agenteval ls: skipped ") and "notes.json: not valid JSON" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["show", "missing.json"], "agenteval show: error: missing.json: no such run file"),
    (["diff", "garbage.json", "garbage.json"], "agenteval diff: error: garbage.json: not valid JSON: "
                                               "Expecting value (line 1)"),
    (["ls", "nowhere"], "agenteval ls: error: nowhere: no such store directory"),
    (["merge", "a.json", "b.json", "-o", "out.txt"], "agenteval merge: error: -o out.txt: the merged run's file "
                                                     "must end in .json"),
    (["html", "missing.json"], "agenteval html: error: missing.json: no such run file"),
])
def test_bad_files_are_one_line_errors_with_exit_code_2(
        argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.json").write_text("nope")
    assert main(argv) == 2
    assert capsys.readouterr().err == message + "\n"


def test_html_writes_the_report_beside_the_run_or_where_asked_and_never_over_a_run_file(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(pytester, ["a", "broken"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1")
    runs = pytester.path / "runs"
    capsys.readouterr()
    assert main(["html", str(runs / "r1.json")]) == 0
    assert capsys.readouterr().out == f"HTML report of run r1: written to {runs / 'r1.html'}\n"
    page = (runs / "r1.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '"run_id":"r1"' in page
    assert main(["html", str(runs / "r1.json"), "-o", str(pytester.path / "out" / "report.html")]) == 0
    assert (pytester.path / "out" / "report.html").read_text(encoding="utf-8") == page
    assert main(["html", str(runs / "r1.json"), "-o", str(runs / "r1.json")]) == 2
    assert main(["html", str(runs / "r1.json"), "-o", str(runs)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"agenteval html: error: -o {runs / 'r1.json'}: not replaced, it may be a run file; name an .html "
                   "file", f"agenteval html: error: -o {runs}: is a directory; name the HTML file"]
    assert load_run_json(runs / "r1.json")["run_id"] == "r1"


def test_bless_copies_a_complete_run_to_the_baseline_file(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(pytester, ["a"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=good")
    target = pytester.path / "baselines" / "main.json"
    capsys.readouterr()
    assert main(["bless", str(pytester.path / "runs" / "good.json"), "--to", str(target)]) == 0
    assert load_run_json(target)["run_id"] == "good"
    assert capsys.readouterr().out.startswith("blessed run good as the baseline ")
    partial = load_run_json(target) | {"partial": True, "run_id": "cut"}
    (pytester.path / "cut.json").write_text(json.dumps(partial))
    assert main(["bless", str(pytester.path / "cut.json"), "--to", str(target)]) == 2
    assert "run cut is partial (the session was interrupted); bless a complete run" in capsys.readouterr().err
    assert load_run_json(target)["run_id"] == "good"


def test_the_module_entry_point_prints_the_schema() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_agenteval", "schema"], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout)["title"] == "RunResult"
    usage = subprocess.run([sys.executable, "-m", "pytest_agenteval", "show"], capture_output=True, text=True)
    assert usage.returncode == 2 and "the following arguments are required: RUN" in usage.stderr
