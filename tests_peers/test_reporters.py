"""Reporting and ordering peers: allure-pytest (a failing scorer is "failed", an agent crash "broken"),
pytest-html, pytest-json-report, pytest-randomly and pytest-split each leave the outcomes and the stored run
right."""

from __future__ import annotations

import json
from typing import Any

import pytest

# Task "wrong" answers something else (its scorer fails it), "crash" raises, the others echo (and pass).
CONFTEST = '''
import pytest
from pytest_agenteval import scorer

@scorer
def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "crash":
            raise ValueError("agent exploded")
        return "something else" if prompt == "wrong" else prompt
    return agent

@pytest.fixture
def eval_scorers():
    return [echoed]
'''
ORDER = ["a", "wrong", "b", "crash", "c", "d", "e", "f"]


def make_project(pytester: pytest.Pytester, prompts: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text(
        "".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def stored_tasks(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((pytester.path / "runs" / "r1.json").read_text())["tasks"]
    return tasks


def verdicts(pytester: pytest.Pytester) -> list[tuple[str, str]]:
    return [(task["task_id"], task["verdict"]) for task in stored_tasks(pytester)]


EXPECTED = [("a", "passed"), ("wrong", "failed"), ("b", "passed"), ("crash", "error"), ("c", "passed"),
            ("d", "passed"), ("e", "passed"), ("f", "passed")]
RUN = ("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1")


def test_allure_shows_a_failing_scorer_as_failed_and_an_agent_crash_as_broken(pytester: pytest.Pytester) -> None:
    make_project(pytester, ORDER)
    result = pytester.runpytest(*RUN, "--alluredir=allure", "-p", "no:randomly")
    result.assert_outcomes(passed=6, failed=2)
    statuses = {}
    for path in (pytester.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        statuses[data["name"]] = data["status"]
    assert statuses == {"a": "passed", "wrong": "failed", "b": "passed", "crash": "broken", "c": "passed",
                        "d": "passed", "e": "passed", "f": "passed"}
    assert verdicts(pytester) == EXPECTED


# Wiring the user must fix: a non-scorer in eval_scorers (found by the plugin) and an agent fixture that raises.
MISWIRED = {
    "not-a-scorer": CONFTEST.replace("return [echoed]", "return [echoed, 42]"),
    "agent-fixture-raises": CONFTEST.replace("    def agent(prompt):",
                                             "    raise RuntimeError('no key')\n    def agent(prompt):"),
}


@pytest.mark.parametrize("wiring", sorted(MISWIRED))
def test_allure_shows_wiring_errors_as_broken_and_the_run_keeps_them(pytester: pytest.Pytester, wiring: str) -> None:
    make_project(pytester, ["a", "b"])
    pytester.makeconftest(MISWIRED[wiring])
    result = pytester.runpytest(*RUN, "--alluredir=allure", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    statuses = {json.loads(path.read_text())["name"]: json.loads(path.read_text())["status"]
                for path in (pytester.path / "allure").glob("*-result.json")}
    assert statuses == {"a": "broken", "b": "broken"}
    assert verdicts(pytester) == [("a", "error"), ("b", "error")]


def test_pytest_json_report_has_each_item_with_its_outcome(pytester: pytest.Pytester) -> None:
    make_project(pytester, ORDER)
    result = pytester.runpytest(*RUN, "--json-report", "--json-report-file=report.json", "-p", "no:randomly")
    result.assert_outcomes(passed=6, failed=2)
    report = json.loads((pytester.path / "report.json").read_text())
    outcomes = {test["nodeid"].partition("::")[2]: test["outcome"] for test in report["tests"]}
    assert outcomes == {task: ("passed" if verdict == "passed" else "failed") for task, verdict in EXPECTED}
    assert verdicts(pytester) == EXPECTED


def test_pytest_html_writes_its_report_and_the_run_is_complete(pytester: pytest.Pytester) -> None:
    make_project(pytester, ORDER)
    result = pytester.runpytest(*RUN, "--html=report.html", "--self-contained-html", "-p", "no:randomly")
    result.assert_outcomes(passed=6, failed=2)
    html = (pytester.path / "report.html").read_text()
    assert "s.jsonl::wrong" in html and "s.jsonl::crash" in html and "s.jsonl::f" in html
    assert verdicts(pytester) == EXPECTED


def test_pytest_randomly_may_shuffle_the_items_but_the_run_is_complete_and_in_suite_order(
        pytester: pytest.Pytester) -> None:
    make_project(pytester, ORDER)
    # Seed 1 shuffles these eight items (checked below), so the run's order is not the order they ran in.
    result = pytester.runpytest(*RUN, "--randomly-seed=1", "-v")
    result.assert_outcomes(passed=6, failed=2)
    ran = [line.split("::")[1].split()[0] for line in result.outlines if line.startswith("s.jsonl::")]
    assert sorted(ran) == sorted(ORDER) and ran != ORDER
    assert verdicts(pytester) == EXPECTED


def test_pytest_split_runs_one_group_and_the_run_has_exactly_those_tasks(pytester: pytest.Pytester) -> None:
    make_project(pytester, ORDER)
    result = pytester.runpytest(*RUN, "--splits=2", "--group=1", "-p", "no:randomly", "-v")
    ran = [line.split("::")[1].split()[0] for line in result.outlines if line.startswith("s.jsonl::")]
    assert 0 < len(ran) < len(ORDER)
    assert [task for task, _ in verdicts(pytester)] == [task for task in ORDER if task in ran]
    assert dict(verdicts(pytester)) == {task: verdict for task, verdict in EXPECTED if task in ran}
