"""Judges over HTTP and under cassettes: an `llm_judge` on pydantic-ai's OpenAI model talks to a real
OpenAI-compatible judge on 127.0.0.1, its calls are recorded in the task's cassette like the agent's and replayed
with the server gone; the retry of a malformed verdict is a request of its own, so it is never answered by the
recording of the bad one. The judge's cost comes from genai-prices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import read_single_run, record, write_suite
from .judge_model_server import serve

pytest.importorskip("vcr", reason="needs the replay extra")
pytest.importorskip("openai", reason="needs the frameworks extra")
pytest.importorskip("pydantic_ai", reason="needs the judge extra")

CONFTEST = '''
import os
import pytest
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pytest_agenteval.judges import llm_judge

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

@pytest.fixture(scope="session")
def eval_scorers():
    provider = OpenAIProvider(base_url=os.environ["JUDGE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    return [llm_judge(os.environ.get("RUBRIC", "The answer gives the weather."), key="weather_judge",
                      model=OpenAIChatModel("gpt-4o-mini", provider=provider))]
'''
TASKS = [record("sunny", "sunny in Paris"), record("rainy", "no idea"), record("garbled", "garble: sunny in Rome")]
PRICE = 250 * 0.15e-6 + 30 * 0.6e-6  # gpt-4o-mini per verdict request: $0.15 / $0.60 per million tokens


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-judge-secret-0123456789")
    monkeypatch.setenv("JUDGE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", TASKS)
    return pytester


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, dict[str, Any]]]:
    for old in (project.path / "runs").glob("*.json"):
        old.unlink()
    result = project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-cassettes=cassettes", *args)
    return result, {task["task_id"]: task for task in read_single_run(project.path / "runs")["tasks"]}


def record_live(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        result, tasks = run(project, "--eval-record=new")
        assert len(server.prompts) == 4  # one verdict each, and a second one for the garbled answer
    result.assert_outcomes(passed=2, failed=1)
    return tasks


def test_judge_calls_are_recorded_in_the_tasks_cassette_and_replayed_offline(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = record_live(project, monkeypatch)
    assert {task_id: task["replay"]["recorded"] for task_id, task in recorded.items()} == {
        "sunny": 1, "rainy": 1, "garbled": 2}
    verdicts = {task_id: task["feedback"][0]["passed"] for task_id, task in recorded.items()}
    assert verdicts == {"sunny": True, "rainy": False, "garbled": True}

    result, replayed = run(project)  # the judge is gone: only the cassettes can answer
    result.assert_outcomes(passed=2, failed=1)
    assert {task_id: task["feedback"][0]["passed"] for task_id, task in replayed.items()} == verdicts
    assert {task["replay"]["status"] for task in replayed.values()} == {"replayed"}
    assert replayed["garbled"]["replay"]["played"] == 2 and replayed["garbled"]["feedback"][0]["detail"][
        "attempts"] == 2
    for task in replayed.values():  # replayed verdicts cost what the recorded ones did
        assert task["judge_tokens"] == recorded[task["task_id"]]["judge_tokens"]
        assert task["tokens"]["total"] == 0  # the echo agent made no model call


def test_the_retry_of_a_malformed_verdict_is_a_request_of_its_own_in_the_cassette(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    record_live(project, monkeypatch)
    interactions = json.loads((project.path / "cassettes" / "s" / "garbled" / "r1.json").read_text())["interactions"]
    first, second = (interaction["request"]["body"]["json"]["messages"][-1]["content"] for interaction in interactions)
    assert "<attempt>" not in first and "This is attempt 2 of 3." in second
    bad = interactions[0]["response"]["body"]["json"]["choices"][0]["message"]["tool_calls"][0]["function"]
    assert bad["arguments"] == '{"reason": "it gives the wea'  # the malformed answer is kept, for the first request
    text = (project.path / "cassettes" / "s" / "garbled" / "r1.json").read_text()
    assert "sk-judge-secret" not in text


def test_each_verdict_is_priced_by_genai_prices_and_kept_apart(project: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = record_live(project, monkeypatch)
    assert recorded["sunny"]["judge_tokens"]["total"] == 280 and recorded["garbled"]["judge_tokens"]["total"] == 560
    assert recorded["sunny"]["judge_cost"] == pytest.approx(PRICE)
    assert recorded["garbled"]["judge_cost"] == pytest.approx(2 * PRICE)  # the malformed verdict is paid for too
    assert recorded["sunny"]["cost"] is None  # the agent spent nothing
    assert recorded["sunny"]["feedback"][0]["detail"]["cost"] == pytest.approx(PRICE)


def test_the_judge_cost_budget_warns_on_the_task_whose_retry_made_it_dear(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    record_live(project, monkeypatch)
    result, tasks = run(project, f"--eval-max-judge-cost={1.5 * PRICE}")
    result.stdout.fnmatch_lines(["*BudgetExceededWarning: garbled: judge_cost budget exceeded: 0.000111 > 8.325e-05*"])
    assert [task_id for task_id, task in tasks.items() if task["budget_violations"]] == ["garbled"]


def test_a_changed_rubric_misses_its_recording_and_fails_without_reaching_the_judge(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    record_live(project, monkeypatch)
    monkeypatch.setenv("RUBRIC", "The answer gives the weather in Celsius.")
    result, tasks = run(project)
    result.assert_outcomes(failed=3)
    feedback = tasks["sunny"]["feedback"][0]
    assert feedback["error"]["type"] == "CassetteMissError" and "the closest recording differs in: body" in feedback[
        "error"]["message"]
    assert tasks["sunny"]["replay"]["status"] == "missed"
