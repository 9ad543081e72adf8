"""Secrets never written or printed: values of secret-looking environment variables and --eval-redact matches are
masked in the run JSON, JUnit XML, Markdown, the terminal, failure text and the stored command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.report.redact import Redactor, RedactorCache, secret_variables

SECRET = "sk-live-0123456789abcdef"
MARKER = "<redacted:EVAL_DEMO_API_KEY>"

LEAKY_CONFTEST = '''
import os
import pytest
from pytest_agenteval import Feedback, scorer

@scorer
def leaky(inputs, outputs):
    key = os.environ["EVAL_DEMO_API_KEY"]
    return Feedback(key="leaky", score=inputs["input"] != "fail", comment=f"compared with {key}",
                    detail={"seen": key, key: "as a key"})

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        key = os.environ["EVAL_DEMO_API_KEY"]
        print(f"calling the model with {key}")
        if prompt == "crash":
            raise RuntimeError(f"401 for key {key}")
        return f"my key is {key}"
    return agent

@pytest.fixture
def eval_scorers():
    return [leaky]
'''


def write_suite(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def task(task_id: str, **fields: Any) -> dict[str, Any]:
    return {"task_id": task_id, "inputs": {"input": task_id}, **fields}


def stored_run(store: Path) -> tuple[str, dict[str, Any]]:
    (path,) = store.glob("*.json")
    text = path.read_text(encoding="utf-8")
    return text, json.loads(text)


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_an_env_secret_the_agent_echoes_is_masked_in_every_file_and_on_the_terminal(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: list[str]) -> None:
    monkeypatch.setenv("EVAL_DEMO_API_KEY", SECRET)  # xdist workers inherit it
    pytester.makeconftest(LEAKY_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [task("ok", metadata={"note": f"suite holds {SECRET}"}), task("fail"),
                                            task("crash")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--junitxml=junit.xml",
                                "--eval-markdown=summary.md", "--eval-html=report.html",
                                f"--eval-label=nightly-{SECRET}", "-rA", "-vv", *dist)
    result.assert_outcomes(passed=1, failed=2)
    text, run = stored_run(pytester.path / "runs")
    junit = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    markdown = (pytester.path / "summary.md").read_text(encoding="utf-8")
    html = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert 'data-encoding="json"' in html  # small enough to be embedded as plain text, so searching it means something
    terminal = result.stdout.str()
    for written in (text, junit, markdown, html, terminal):
        assert SECRET not in written
    tasks = {each["task_id"]: each for each in run["tasks"]}
    assert tasks["ok"]["outputs"]["body"] == f"my key is {MARKER}"
    assert tasks["ok"]["metadata"] == {"note": f"suite holds {MARKER}"}
    assert tasks["ok"]["feedback"][0]["comment"] == f"compared with {MARKER}"
    assert tasks["ok"]["feedback"][0]["detail"] == {"seen": MARKER, MARKER: "as a key"}
    assert tasks["crash"]["exception"] == {"type": "RuntimeError", "message": f"401 for key {MARKER}"}
    assert MARKER in tasks["crash"]["traceback"]
    assert run["label"] == f"nightly-{MARKER}"
    assert f"--eval-label=nightly-{MARKER}" in run["config"]["pytest_args"]
    assert 'name="agenteval.task_id" value="ok"' in junit
    assert f"nightly-{MARKER}" in markdown
    # Each on its own: under xdist the failing tasks' sections come in the order their workers finish.
    for shown in (f"*calling the model with {MARKER}*",  # the agent output section
                  f"*agent raised RuntimeError: 401 for key {MARKER}*",  # the failure text
                  f"*label: nightly-{MARKER}*"):  # the terminal summary
        result.stdout.fnmatch_lines([shown])


PATTERN_CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: "account acct-123456 holds tok_abcdef"
'''


def test_a_pattern_from_the_command_line_is_masked_in_the_run_and_its_label(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PATTERN_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [task("a")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-redact=acct-[0-9]{6}",
                                "--eval-redact=tok_[a-z]{6}", "--eval-label=acct-999999")
    result.assert_outcomes(passed=1)
    text, run = stored_run(pytester.path / "runs")
    assert "acct-123456" not in text and "tok_abcdef" not in text and "acct-999999" not in text
    assert run["tasks"][0]["outputs"]["body"] == "account <redacted> holds <redacted>"
    assert run["label"] == "<redacted>"
    assert "--eval-label=<redacted>" in run["config"]["pytest_args"]


def test_patterns_from_the_ini_file_are_masked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\neval_redact =\n    acct-[0-9]{6}\n    tok_[a-z]{6}\n")
    pytester.makeconftest(PATTERN_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [task("a")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    text, run = stored_run(pytester.path / "runs")
    assert "acct-123456" not in text and "tok_abcdef" not in text
    assert run["tasks"][0]["outputs"]["body"] == "account <redacted> holds <redacted>"


def test_a_pattern_that_matches_schema_words_keeps_ids_and_verdicts(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: "the task passed"
''')
    write_suite(pytester.path / "s.jsonl", [task("passed-task")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-redact=passed")
    result.assert_outcomes(passed=1)
    _, run = stored_run(pytester.path / "runs")
    (stored,) = run["tasks"]
    assert (stored["task_id"], stored["verdict"], stored["outcome"]) == ("passed-task", "passed", "passed")
    assert stored["outputs"]["body"] == "the task <redacted>"


def test_short_values_and_ordinary_variables_are_not_masked(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVAL_DEMO_TOKEN", "1234567")  # 7 characters: under the minimum of 8
    monkeypatch.setenv("EVAL_DEMO_GREETING", "hello-everyone")
    pytester.makeconftest('''
import os
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: os.environ["EVAL_DEMO_TOKEN"] + " " + os.environ["EVAL_DEMO_GREETING"]
''')
    write_suite(pytester.path / "s.jsonl", [task("a")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    _, run = stored_run(pytester.path / "runs")
    assert run["tasks"][0]["outputs"]["body"] == "1234567 hello-everyone"


def test_a_secret_a_fixture_sets_after_collection_is_masked(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import os
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    os.environ["EVAL_LATE_TOKEN"] = "late-secret-loaded-from-dotenv"  # like load_dotenv() in a fixture
    yield lambda prompt: "using " + os.environ["EVAL_LATE_TOKEN"]
    del os.environ["EVAL_LATE_TOKEN"]
''')
    write_suite(pytester.path / "s.jsonl", [task("a")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    text, run = stored_run(pytester.path / "runs")
    assert "late-secret-loaded-from-dotenv" not in text
    assert run["tasks"][0]["outputs"]["body"] == "using <redacted:EVAL_LATE_TOKEN>"


def test_a_fixture_error_showing_a_secret_is_masked_in_its_traceback_and_result(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVAL_DEMO_API_KEY", SECRET)
    pytester.makeconftest('''
import os
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    raise RuntimeError("cannot log in with " + os.environ["EVAL_DEMO_API_KEY"])
''')
    write_suite(pytester.path / "s.jsonl", [task("a")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--junitxml=junit.xml")
    result.assert_outcomes(errors=1)
    assert SECRET not in result.stdout.str()
    assert SECRET not in (pytester.path / "junit.xml").read_text(encoding="utf-8")
    result.stdout.fnmatch_lines([f"*RuntimeError: cannot log in with {MARKER}*"])
    _, run = stored_run(pytester.path / "runs")
    assert run["tasks"][0]["exception"] == {"type": "RuntimeError", "message": f"cannot log in with {MARKER}"}


@pytest.mark.parametrize(("name", "secret"), [
    ("OPENAI_API_KEY", True), ("API_KEY", True), ("openai_apikey", True), ("GITHUB_TOKEN", True), ("TOKEN", True),
    ("AWS_SECRET_ACCESS_KEY", True), ("client_secret", True), ("DB_PASSWORD", True), ("PGPASSWORD", True),
    ("MAX_TOKENS", False), ("TOKENIZERS_PARALLELISM", False), ("HOME", False), ("KEYBOARD_LAYOUT", False),
])
def test_which_variable_names_look_secret(name: str, secret: bool) -> None:
    assert bool(secret_variables({name: "long-enough-value"})) is secret


def test_the_json_and_repr_forms_of_a_secret_are_masked_too() -> None:
    redactor = Redactor.build({"X_TOKEN": 'ab"cd\\ef-ghij\u00e9'})
    assert redactor.text(json.dumps({"k": 'ab"cd\\ef-ghij\u00e9'})) == '{"k": "<redacted:X_TOKEN>"}'
    assert redactor.text(repr('ab"cd\\ef-ghij\u00e9')) == "'<redacted:X_TOKEN>'"


def test_the_longest_secret_wins_and_patterns_never_rewrite_a_marker() -> None:
    redactor = Redactor.build({"A_TOKEN": "abcdefgh", "B_TOKEN": "abcdefgh-longer"}, ["redacted", "x*"])
    assert redactor.text("abcdefgh-longer, abcdefgh, redacted") == \
        "<redacted:B_TOKEN>, <redacted:A_TOKEN>, <redacted>"


def test_a_record_keeps_identities_and_masks_everything_else() -> None:
    redactor = Redactor.build({"A_TOKEN": "secret-value"}, ["error"])
    record = {"task_id": "error-1", "verdict": "error", "inputs": {"secret-value": "secret-value"},
              "exception": {"type": "ValueError", "message": "error with secret-value"},
              "trace": {"steps": [{"kind": "tool_call", "name": "t", "arguments": {"error": "secret-value"}}]}}
    assert redactor.record(record) == {
        "task_id": "error-1", "verdict": "error", "inputs": {"<redacted:A_TOKEN>": "<redacted:A_TOKEN>"},
        "exception": {"type": "ValueError", "message": "<redacted> with <redacted:A_TOKEN>"},
        "trace": {"steps": [{"kind": "tool_call", "name": "t", "arguments": {"<redacted>": "<redacted:A_TOKEN>"}}]},
    }


def test_the_cache_rebuilds_when_a_secret_variable_changes() -> None:
    cache = RedactorCache()
    environ = {"HOME": "/root", "A_TOKEN": "short"}
    assert not cache.current(environ).active
    environ["A_TOKEN"] = "now-long-enough"  # same number of variables, another value
    assert cache.current(environ).text("now-long-enough") == "<redacted:A_TOKEN>"
