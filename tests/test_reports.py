"""Every report renders the one stored run: terminal summary, JUnit XML properties, Markdown, step summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from .ci_agents import make_project
from .helpers import read_single_run

BUDGET_CONFTEST_TAIL = '''
import time

@pytest.fixture
def eval_budgets(eval_task):
    return {"max_seconds": 0.01} if eval_task.task_id == "slow" else None


@pytest.fixture(scope="session")
def eval_agent():
    def agent(task):
        if task.input == "slow":
            time.sleep(0.03)
        return "wrong" if task.input == "broken" else task.input
    return agent
'''


def markdown_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Each `### heading` (or the gates block) mapped to its table rows, parsed by cells."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, header = "gates", None
    for line in text.splitlines():
        if line.startswith("### "):
            heading, header = line[4:], None
        elif line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip().replace("\\|", "|") for cell in line.strip("|").split(" | ")]
            if header is None:
                header = cells
                tables[heading] = []
            else:
                tables[heading].append(dict(zip(header, cells, strict=True)))
    return tables


def test_terminal_summary_groups_by_suite_and_tag_and_gives_reasons(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "broken"], tags={"a": ["smoke"], "broken": ["smoke", "adv"]})
    result = pytester.runpytest("--eval-suite=s.jsonl")
    result.stdout.fnmatch_lines([
        "tasks by suite and tag:",
        "  s.jsonl      1/2 tasks pass    50.0%  [95% CI 9.5%-90.5%]",
        "    tag adv    0/1 tasks pass     0.0%  [95% CI 0.0%-79.3%]",
        "    tag smoke  1/2 tasks pass    50.0%  [95% CI 9.5%-90.5%]",
        "failing tasks:",
        "  s.jsonl::broken  0/1 passed (needs 1)",
        "    echoed: False",
    ])


def test_junit_properties_carry_the_stored_result_of_each_item(
        pytester: pytest.Pytester, dist_args: list[str]) -> None:
    make_project(pytester, ["a", "broken"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--junitxml=junit.xml", *dist_args)
    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")}
    run = read_single_run(pytester.path / "runs")
    assert set(cases) == {"a", "broken"}
    for task in run["tasks"]:
        properties = cases[task["task_id"]]
        assert properties["agenteval.verdict"] == task["verdict"]
        assert properties["agenteval.score.echoed"] == str(task["feedback"][0]["score"])
        assert properties["agenteval.tokens.total"] == str(task["tokens"]["total"])
        assert properties["agenteval.duration_ms"] == str(task["duration_ms"])
        assert properties["agenteval.trace_id"] == task["trace_ref"]["trace_id"]


def test_markdown_summary_agrees_with_the_run_json(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["a", "b", "broken"], tags={"broken": ["adv"]})
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-markdown=out/summary.md",
                                "--eval-fail-under=0.6", "--eval-fail-under=adv=1")
    result.stdout.fnmatch_lines(["Markdown summary: written to */out/summary.md"])
    text = (pytester.path / "out" / "summary.md").read_text()
    run = read_single_run(pytester.path / "runs")
    assert text.startswith(f"## agenteval run `{run['run_id']}`\n\n**Gates: FAILED**")
    tables = markdown_tables(text)
    assert [(row["gate"], row["result"]) for row in tables["gates"]] == [
        (gate["spec"], "pass" if gate["passed"] else "FAIL") for gate in run["gates"]]
    assert tables["Tasks by suite and tag"] == [
        {"group": "s.jsonl", "passing tasks": "2", "tasks": "3", "pass rate": "66.7%", "95% CI": "20.8%-93.9%"},
        {"group": "tag adv", "passing tasks": "0", "tasks": "1", "pass rate": "0.0%", "95% CI": "0.0%-79.3%"}]
    (failing,) = tables["Failing tasks"]
    assert (failing["task"], failing["passed"], failing["reasons"]) == ("s.jsonl::broken", "0/1", "echoed: False")
    assert {row["scorer"]: int(row["passed"]) for row in tables["Scorers"]} == {
        key: count["passed"] for key, count in run["aggregates"]["pass_counts"].items()}
    assert tables["Totals"][0]["items"] == str(len(run["tasks"]))


def test_step_summary_is_appended_and_counts_budget_violations(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(pytester, ["slow", "a"])
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + BUDGET_CONFTEST_TAIL)
    summary = pytester.path / "step.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-github-summary")
    result.stdout.fnmatch_lines(["budget violations: 1 (seconds=1)", f"Markdown summary: appended to {summary}"])
    text = summary.read_text()
    assert text.startswith("earlier step\n## agenteval run ")
    assert markdown_tables(text)["Totals"][0]["budget violations"] == "1 (seconds: 1)"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    unset = pytester.runpytest("--eval-suite=s.jsonl", "--eval-github-summary")
    unset.stdout.fnmatch_lines(["Markdown summary: $GITHUB_STEP_SUMMARY is not set, nothing appended*"])


def test_budgets_block_ci_with_the_warning_filter(pytester: pytest.Pytester) -> None:
    make_project(pytester, ["slow", "a"])
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + BUDGET_CONFTEST_TAIL)
    result = pytester.runpytest("--eval-suite=s.jsonl", "-W", "error::pytest_agenteval.BudgetExceededWarning")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
