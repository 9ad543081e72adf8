"""Run ids are reserved when the session starts (the journal, created exclusively): a second session with the
same id stops with a usage error before it runs anything, whether the first one is running, was killed, or
finished; two sessions started together never share an id."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_agenteval.cli import main
from pytest_agenteval.results.journal import RunJournal
from pytest_agenteval.results.journal_models import JournalHeader
from pytest_agenteval.results.models import RunConfig

from .helpers import WAIT_FOR_RELEASE

# Each call is logged with the session's pid; "block" waits for the file `release` (at most a minute).
CONFTEST = '''
import asyncio, os, pathlib, pytest
''' + WAIT_FOR_RELEASE + '''

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):
        with open("calls.log", "a") as log:
            log.write(f"{os.getpid()} {prompt}\\n")
        if prompt == "block":
            await wait_for_release()
        return prompt
    return agent
'''


def project(pytester: pytest.Pytester, prompts: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text(
        "".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def callers(root: Path) -> set[str]:
    log = root / "calls.log"
    return {line.split()[0] for line in log.read_text().splitlines()} if log.exists() else set()


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl",
                             "--eval-store=runs", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def released(pytester: pytest.Pytester) -> Iterator[None]:
    yield
    (pytester.path / "release").touch()


@pytest.mark.usefixtures("released")
@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_a_second_session_with_the_id_of_a_running_one_stops_before_running_anything(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    project(pytester, ["a", "block", "c"])
    first = start(pytester.path, "--eval-run-id=same", "--eval-concurrency=1")
    for _ in range(2400):
        if (pytester.path / "blocked").exists():
            break
        assert first.poll() is None, first.communicate()[0]
        time.sleep(0.05)
    second = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=same", *dist)
    assert second.ret == pytest.ExitCode.USAGE_ERROR
    second.stderr.fnmatch_lines([f"ERROR: --eval-run-id=same: */runs/same.journal.jsonl exists: a session with this "
                                 f"run id is running (pid {first.pid} on *); choose another id"])
    assert callers(pytester.path) == {str(first.pid)}
    (pytester.path / "release").touch()
    assert first.wait(timeout=120) == 0
    stored = json.loads((pytester.path / "runs" / "same.json").read_text())
    assert sorted(task["task_id"] for task in stored["tasks"]) == ["a", "block", "c"]


def test_two_sessions_started_together_never_share_a_run_id(pytester: pytest.Pytester) -> None:
    project(pytester, [f"t{i}" for i in range(20)])
    sessions = [start(pytester.path, "--eval-run-id=race") for _ in range(2)]
    outputs = [session.communicate(timeout=300)[0] for session in sessions]
    assert sorted(session.returncode for session in sessions) == [0, pytest.ExitCode.USAGE_ERROR], outputs
    loser = outputs[[session.returncode for session in sessions].index(pytest.ExitCode.USAGE_ERROR)]
    assert "ERROR: --eval-run-id=race: " in loser and ("is running (pid" in loser or "already exists" in loser)
    winner = sessions[[session.returncode for session in sessions].index(0)]
    assert callers(pytester.path) == {str(winner.pid)}
    assert len(json.loads((pytester.path / "runs" / "race.json").read_text())["tasks"]) == 20


def test_the_id_of_a_killed_session_is_refused_until_its_journal_is_recovered(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    project(pytester, ["a"])
    header = JournalHeader(run_id="gone", created_at="2026-01-01T00:00:00+00:00", config=RunConfig(), pid=1,
                           host="elsewhere")
    RunJournal.reserve(pytester.path / "runs", header).close()  # what kill -9 leaves: a journal, no lock
    refused = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=gone")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["ERROR: --eval-run-id=gone: */runs/gone.journal.jsonl exists: a session with this "
                                  "run id was stopped before it finished; `agenteval recover */runs` stores what it "
                                  "ran as a partial run, or choose another id"])
    assert main(["recover", str(pytester.path / "runs")]) == 0  # nothing had reported: the journal goes
    capsys.readouterr()
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=gone").assert_outcomes(passed=1)
    again = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=gone")
    assert again.ret == pytest.ExitCode.USAGE_ERROR
    again.stderr.fnmatch_lines(["ERROR: --eval-run-id=gone: */runs/gone.json already exists; runs are never "
                                "overwritten, choose another id"])
    assert sorted(p.name for p in (pytester.path / "runs").iterdir()) == ["gone.json"]


def test_a_session_without_suites_reserves_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    pytester.runpytest("--eval-store=runs", "--eval-run-id=plain").assert_outcomes(passed=1)
    assert not (pytester.path / "runs").exists()


def test_a_usage_error_after_the_reservation_leaves_no_journal(pytester: pytest.Pytester) -> None:
    project(pytester, ["a"])
    pytester.makeconftest(CONFTEST + '''
def pytest_configure(config):
    if config.pluginmanager.has_plugin("agenteval-publisher"):
        raise pytest.UsageError("a later plugin refuses")
''')
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=later")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert list((pytester.path / "runs").iterdir()) == []
