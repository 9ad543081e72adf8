"""Record and replay (`--eval-cassettes`): one cassette per task x repeat, recorded at concurrency against a real
OpenAI-compatible server on 127.0.0.1 through the real `openai` client, then replayed with the server gone;
misses fail closed, uncovered connections are blocked, secrets never reach the files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .counting_model_server import serve
from .helpers import read_single_run, record, write_suite

pytest.importorskip("vcr", reason="needs the replay extra")
pytest.importorskip("openai", reason="needs the frameworks extra")

SECRET = "sk-test-secret-key-0123456789"
CONFTEST = '''
import os, socket
import pytest
from openai import AsyncOpenAI

@pytest.fixture(scope="session")
def eval_agent():
    client = AsyncOpenAI(base_url=os.environ["MODEL_URL"], api_key=os.environ["OPENAI_API_KEY"], max_retries=0)

    async def agent(prompt):
        if prompt == "raw-socket":  # a client no cassette covers
            socket.create_connection(("127.0.0.1", int(os.environ["MODEL_PORT"])), timeout=2).close()
            return "connected"
        if prompt.startswith("stream:"):
            stream = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": prompt}], stream=True)
            return "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
        for _ in range(int(os.environ.get("CALLS", "1"))):  # the same request again, as retrying agents do
            reply = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
        return reply.choices[0].message.content
    return agent
'''
TASKS = [record("paris", "weather in Paris"), record("rome", "weather in Rome"),
         record("live/stream", "stream: tell a story")]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("MODEL_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("MODEL_PORT", "9")
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", TASKS)
    return pytester


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, dict[str, Any]]]:
    store = project.path / "runs"
    for old in store.glob("*.json"):
        old.unlink()
    result = project.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-cassettes=cassettes",
                               "--eval-concurrency=4", *args)
    tasks = {task["task_id"]: task for task in read_single_run(store)["tasks"]}
    return result, tasks


def record_with_server(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    """Record against a live server; MODEL_URL keeps its URL, where nothing listens once it stops."""
    with serve() as server:
        monkeypatch.setenv("MODEL_URL", server.url)
        monkeypatch.setenv("MODEL_PORT", str(server.server_address[1]))
        result, tasks = run(project, "--eval-record=new", *args)
        result.assert_outcomes(passed=len(tasks))
        assert server.answered == sum(task["replay"]["recorded"] for task in tasks.values())
    return tasks


def test_record_then_replay_offline_each_repeat_with_its_own_answer(project: pytest.Pytester,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = record_with_server(project, monkeypatch, "--eval-repeats=2")
    answers = {task_id: task["outputs"]["body"] for task_id, task in recorded.items()}
    assert len(set(answers.values())) == 6  # every request got its own answer, repeats included
    assert {task["replay"]["status"] for task in recorded.values()} == {"recorded"}
    paths = sorted(p.relative_to(project.path / "cassettes").as_posix()
                   for p in (project.path / "cassettes").rglob("*.json"))
    assert paths == ["s/live%2Fstream/r1.json", "s/live%2Fstream/r2.json", "s/paris/r1.json", "s/paris/r2.json",
                     "s/rome/r1.json", "s/rome/r2.json"]

    result, replayed = run(project, "--eval-repeats=2")  # the server is gone: nothing could answer live
    result.assert_outcomes(passed=6)
    assert {task_id: task["outputs"]["body"] for task_id, task in replayed.items()} == answers
    assert {task["replay"]["status"] for task in replayed.values()} == {"replayed"}
    assert all(task["replay"]["played"] == 1 and task["replay"]["unused"] == 0 for task in replayed.values())


def test_cassettes_are_readable_and_hold_no_secret(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    record_with_server(project, monkeypatch)
    text = (project.path / "cassettes" / "s" / "paris" / "r1.json").read_text()
    interaction = json.loads(text)["interactions"][0]
    assert interaction["request"]["body"]["json"]["messages"] == [{"role": "user", "content": "weather in Paris"}]
    assert interaction["response"]["body"]["json"]["choices"][0]["message"]["content"].startswith("weather in Paris #")
    assert SECRET not in text and "server-cookie-value" not in text
    assert not {name.lower() for name in interaction["request"]["headers"]} & {"authorization", "cookie"}
    assert "date" not in {name.lower() for name in interaction["response"]["headers"]}
    events = json.loads((project.path / "cassettes" / "s" / "live%2Fstream" / "r1.json").read_text())[
        "interactions"][0]["response"]["body"]["events"]
    assert events[-2:] == ["data: [DONE]", ""] and len(events) == 7  # 5 words, [DONE], the final separator


def test_a_request_without_a_recording_fails_its_item_and_reaches_no_server(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    record_with_server(project, monkeypatch)
    write_suite(project.path / "s.jsonl", [TASKS[0], record("rome", "weather in Rome tomorrow"),
                                           record("new", "a task never recorded")])
    with serve(int(os_port())) as server:  # the recorded URL answers again: a live call would reach it
        result, tasks = run(project)
        assert server.answered == 0
    result.assert_outcomes(passed=1, failed=2)
    assert tasks["paris"]["replay"]["status"] == "replayed"
    for task_id, hint in (("rome", "the closest recording differs in: body"), ("new", "(no cassette yet)")):
        task = tasks[task_id]
        assert task["verdict"] == "error" and task["exception"]["type"] == "CassetteMissError", task_id
        message = task["exception"]["message"]
        assert f"task {task_id!r}, repeat 1" in message and "POST http://127.0.0.1" in message
        assert "/chat/completions (body sha256 " in message and hint in message
        assert task["replay"]["status"] == "missed"


def os_port() -> str:
    import os

    return os.environ["MODEL_PORT"]


def test_match_rules_per_host_decide_what_a_recording_must_match(project: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    record_with_server(project, monkeypatch)
    write_suite(project.path / "s.jsonl", [record("paris", "weather in Paris today")])  # the prompt changed
    strict, _ = run(project)
    strict.assert_outcomes(failed=1)
    lenient, tasks = run(project, "--eval-match-on=127.0.0.1=method,path")  # that host: body and port ignored
    lenient.assert_outcomes(passed=1)
    assert tasks["paris"]["outputs"]["body"].startswith("weather in Paris #")  # the recorded answer
    other_host, _ = run(project, "--eval-match-on=api.example.com=method,path")  # a rule for another host
    other_host.assert_outcomes(failed=1)


def test_an_unknown_match_field_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--eval-match-on=host.example=method,colour")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*match on a comma-separated list of method, scheme, host, port, path, query, body*"])


def test_a_broken_cassette_is_that_tasks_error_naming_the_file(project: pytest.Pytester,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    record_with_server(project, monkeypatch)
    (project.path / "cassettes" / "s" / "rome" / "r1.json").write_text('{"interactions": [')  # cut off
    result, tasks = run(project)
    result.assert_outcomes(passed=2, failed=1)
    error = tasks["rome"]["exception"]
    assert error["type"] == "CassetteLoadError" and "s/rome/r1.json: not a readable cassette" in error["message"]
    assert tasks["paris"]["replay"]["status"] == "replayed"


def test_a_client_no_cassette_covers_is_blocked_unless_its_host_is_allowed(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_suite(project.path / "s.jsonl", [record("raw", "raw-socket")])
    with serve() as server:
        monkeypatch.setenv("MODEL_PORT", str(server.server_address[1]))
        blocked, tasks = run(project)
        blocked.assert_outcomes(failed=1)
        assert tasks["raw"]["exception"]["type"] == "BlockedConnectionError"
        assert "replaying from cassettes" in tasks["raw"]["exception"]["message"]
        allowed, tasks = run(project, "--eval-allow-host=127.0.0.1")
        allowed.assert_outcomes(passed=1)
        assert tasks["raw"]["outputs"]["body"] == "connected"


def test_unused_recordings_are_counted_and_all_records_afresh(project: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLS", "2")
    recorded = record_with_server(project, monkeypatch)
    monkeypatch.setenv("CALLS", "1")  # the agent changed: it asks once now
    summary, replayed = run(project)
    # paris and rome asked twice when recorded (the streaming task asks once either way)
    summary.stdout.fnmatch_lines(["replay: 3 replayed; 2 unused recording(s) (stale cassettes?)"])
    assert replayed["paris"]["replay"] == {"status": "replayed", "cassette": "s/paris/r1.json", "played": 1,
                                           "recorded": 0, "misses": [], "unused": 1}
    assert replayed["paris"]["outputs"]["body"] != recorded["paris"]["outputs"]["body"]  # the first of the two
    with serve(int(os_port())) as server:
        result, again = run(project, "--eval-record=all")
        result.assert_outcomes(passed=3)
        assert server.answered == 3
    assert again["paris"]["replay"]["recorded"] == 1
    cassette = json.loads((project.path / "cassettes" / "s" / "paris" / "r1.json").read_text())
    assert len(cassette["interactions"]) == 1  # rewritten, not appended to


# pydantic-ai's own OpenAI model (its httpx client, its retries) against the same server.
PYDANTIC_AI_CONFTEST = '''
import os
import pytest
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

@pytest.fixture(scope="session")
def eval_agent():
    provider = OpenAIProvider(base_url=os.environ["MODEL_URL"], api_key=os.environ["OPENAI_API_KEY"])
    return Agent(OpenAIChatModel("m", provider=provider), name="replayed")
'''


def test_a_pydantic_ai_openai_model_records_and_replays_at_concurrency(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pydantic_ai.models.openai")
    project.makeconftest(PYDANTIC_AI_CONFTEST)
    write_suite(project.path / "s.jsonl", TASKS[:2])
    recorded = record_with_server(project, monkeypatch, "--eval-repeats=2")
    result, replayed = run(project, "--eval-repeats=2")
    result.assert_outcomes(passed=4)
    assert {key: task["outputs"]["body"] for key, task in replayed.items()} == {
        key: task["outputs"]["body"] for key, task in recorded.items()}
    assert len({t["outputs"]["body"] for t in replayed.values()}) == 4
    assert all(t["replay"]["status"] == "replayed" and t["tokens"]["input"] == 5 for t in replayed.values())


LANGCHAIN_CONFTEST = '''
import os
import pytest
from langchain_openai import ChatOpenAI

@pytest.fixture(scope="session")
def eval_agent():
    return ChatOpenAI(model="m", base_url=os.environ["MODEL_URL"], api_key=os.environ["OPENAI_API_KEY"],
                      max_retries=0)
'''


def test_langchain_chat_openai_records_and_replays(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_openai")
    project.makeconftest(LANGCHAIN_CONFTEST)
    write_suite(project.path / "s.jsonl", TASKS[:2])
    recorded = record_with_server(project, monkeypatch)
    result, replayed = run(project)
    result.assert_outcomes(passed=2)
    assert {key: task["outputs"]["body"] for key, task in replayed.items()} == {
        key: task["outputs"]["body"] for key, task in recorded.items()}
    assert all(task["replay"]["status"] == "replayed" for task in replayed.values())


# A sync agent on `requests` (urllib3): it runs on the plugin's threads, which carry the task's context. One at a
# time: vcrpy's urllib3 stubs let requests made at once from several threads pass unrecorded (4 threads: 3 of 4;
# httpx's do not), which README's "Record and replay" says.
REQUESTS_CONFTEST = '''
import os
import pytest
import requests

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        reply = requests.post(os.environ["MODEL_URL"] + "/chat/completions", timeout=5,
                              headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]},
                              json={"model": "m", "messages": [{"role": "user", "content": prompt}]})
        return reply.json()["choices"][0]["message"]["content"]
    return agent
'''


def test_a_sync_requests_agent_on_threads_records_and_replays(project: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project.makeconftest(REQUESTS_CONFTEST)
    write_suite(project.path / "s.jsonl", TASKS[:2])
    recorded = record_with_server(project, monkeypatch, "--eval-repeats=2", "--eval-concurrency=1")
    result, replayed = run(project, "--eval-repeats=2", "--eval-concurrency=1")
    result.assert_outcomes(passed=4)
    assert {key: task["outputs"]["body"] for key, task in replayed.items()} == {
        key: task["outputs"]["body"] for key, task in recorded.items()}
    assert SECRET not in "".join(path.read_text() for path in (project.path / "cassettes").rglob("*.json"))


def test_without_cassettes_no_replay_is_stored(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import pytest\n\n@pytest.fixture(scope='session')\ndef eval_agent():\n"
                          "    return lambda prompt: prompt\n")
    write_suite(pytester.path / "s.jsonl", [record("a")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert task["replay"] is None


def test_an_unknown_record_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--eval-record=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'sometimes' is not a record mode: write none, new or all*"])


