"""Killed sessions: after kill -9 the journal holds every result that had reported and `agenteval recover`
stores it as a partial run; SIGTERM stops a session as Ctrl+C does; a running session's journal is left alone.
Real processes and real signals throughout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.cli import main
from pytest_agenteval.results.journal import RunJournal
from pytest_agenteval.results.journal_models import JournalHeader
from pytest_agenteval.results.models import RunConfig, TaskResult

from .helpers import WAIT_FOR_RELEASE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and FIFOs")

# "block..." waits (cancellably) until the file `release` exists, at most a minute.
BLOCKING_CONFTEST = '''
import asyncio, pathlib, pytest
''' + WAIT_FOR_RELEASE + '''

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):
        if prompt.startswith("block"):
            await wait_for_release()
        return prompt
    return agent
'''
DIST = pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
PROMPTS = ["a", "b", "c", "block", "e", "f"]


def write_suite(path: Path, prompts: list[str]) -> None:
    path.write_text("".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def journaled(journal: Path) -> list[str]:
    """The task ids in the journal's complete lines."""
    if not journal.exists():
        return []
    lines = journal.read_bytes().split(b"\n")[1:-1]
    return [json.loads(line)["task"]["task_id"] for line in lines if line.startswith(b'{"task"')]


@pytest.fixture
def session(pytester: pytest.Pytester) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Starts `pytest` on the suite in a real subprocess; at the end the blocked agent is released."""
    pytester.makeconftest(BLOCKING_CONFTEST)
    write_suite(pytester.path / "s.jsonl", PROMPTS)
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl", "--eval-store=runs",
             "--eval-concurrency=1", *args], cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    (pytester.path / "release").touch()
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(2400):
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the session ended before {what}: {process.communicate()[0].decode()}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def blocked_after_three(root: Path, run_id: str) -> Callable[[], bool]:
    return lambda: (root / "blocked").exists() and len(journaled(root / "runs" / f"{run_id}.journal.jsonl")) >= 3


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`agenteval ARGS` in its own process, so a hang fails the test instead of stalling it."""
    return subprocess.run([sys.executable, "-m", "pytest_agenteval", *args], cwd=root, capture_output=True,
                          text=True, timeout=60)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@DIST
def test_kill_9_leaves_a_journal_that_recover_turns_into_a_partial_run(
        pytester: pytest.Pytester, session: Callable[..., subprocess.Popen[bytes]], dist: list[str]) -> None:
    process = session("--eval-run-id=k9", *dist)
    wait_for(blocked_after_three(pytester.path, "k9"), "three results and the blocked task", process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    journal = pytester.path / "runs" / "k9.journal.jsonl"
    before = journaled(journal)
    listed = cli(pytester.path, "ls", "runs", "--format=json")
    assert [(row["run_id"], row["state"], row["items"]) for row in json.loads(listed.stdout)] == [
        ("k9", "orphaned", len(before))]
    assert "orphaned journals: `agenteval recover runs`" in listed.stderr
    recovered = cli(pytester.path, "recover", "runs")
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout == f"recovered run k9: {len(before)} result(s) -> runs/k9.json (partial)\n"
    run = load(pytester.path / "runs" / "k9.json")
    assert (run["partial"], run["exit_status"], run["gates"]) == (True, None, [])
    assert sorted(task["task_id"] for task in run["tasks"]) == sorted(before)
    assert run["aggregates"]["verdicts"] == {"passed": len(before)} and "block" not in before
    assert not journal.exists()


@DIST
def test_sigterm_stops_the_session_like_ctrl_c_and_stores_the_partial_run(
        pytester: pytest.Pytester, session: Callable[..., subprocess.Popen[bytes]], dist: list[str]) -> None:
    process = session("--eval-run-id=term", *dist)
    wait_for(blocked_after_three(pytester.path, "term"), "three results and the blocked task", process)
    before = journaled(pytester.path / "runs" / "term.journal.jsonl")
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output and "run JSON: runs/term.json" in output
    run = load(pytester.path / "runs" / "term.json")
    assert run["partial"] is True and run["exit_status"] == pytest.ExitCode.INTERRUPTED
    assert set(before) <= {task["task_id"] for task in run["tasks"]} < set(PROMPTS)
    assert not (pytester.path / "runs" / "term.journal.jsonl").exists()


def test_recover_leaves_the_journal_of_a_running_session_alone(
        pytester: pytest.Pytester, session: Callable[..., subprocess.Popen[bytes]]) -> None:
    process = session("--eval-run-id=live")
    wait_for(blocked_after_three(pytester.path, "live"), "the blocked task", process)
    listed = cli(pytester.path, "ls", "runs", "--format=json")
    assert [(row["run_id"], row["state"]) for row in json.loads(listed.stdout)] == [("live", "running")]
    recovered = cli(pytester.path, "recover", "runs")
    assert recovered.returncode == 2
    assert recovered.stderr.startswith(f"agenteval recover: runs/live.journal.jsonl: its session is still running "
                                       f"(pid {process.pid} on ")
    (pytester.path / "release").touch()
    assert process.wait(timeout=120) == 0
    assert len(load(pytester.path / "runs" / "live.json")["tasks"]) == len(PROMPTS)
    assert not (pytester.path / "runs" / "live.journal.jsonl").exists()


def task(task_id: str) -> TaskResult:
    return TaskResult(task_id=task_id, base_task_id=task_id, inputs={"input": task_id}, suite="s.jsonl", line=1,
                      node_id=f"s.jsonl::{task_id}", verdict="passed")


def orphaned_journal(store: Path, run_id: str, *task_ids: str) -> Path:
    """A journal as a killed session leaves it: written, closed (its lock released), not removed."""
    header = JournalHeader(run_id=run_id, label="lbl", created_at="2026-01-01T00:00:00+00:00",
                           config=RunConfig(repeats=1), pid=1, host="elsewhere")
    journal = RunJournal.reserve(store, header)
    for task_id in task_ids:
        journal.append_task(task(task_id))
    journal.close()
    return journal.path


def test_unreadable_lines_are_skipped_and_named_and_the_rest_is_recovered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = orphaned_journal(tmp_path, "bad", "a")
    with path.open("ab") as handle:
        handle.write(b"not json\n" + b"[" * 100_000 + b"\n" + b'{"task": ' + task("b").model_dump_json().encode()
                     + b'}\n{"task": {"task_id"')
    assert main(["recover", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{path}:3: unreadable line skipped: not valid JSON: Expecting value (line 1)",
                   f"{path}:4: unreadable line skipped: not valid JSON: nested too deeply to read",
                   f"{path}:6: torn last line dropped (the session died writing it)",
                   f"recovered run bad: 2 result(s) -> {tmp_path / 'bad.json'} (partial)"]
    run = load(tmp_path / "bad.json")
    assert ([t["task_id"] for t in run["tasks"]], run["label"]) == (["a", "b"], "lbl")


def test_a_journal_whose_run_was_already_stored_is_removed_and_the_run_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = orphaned_journal(tmp_path / "other", "done", "a")
    assert main(["recover", str(tmp_path / "other")]) == 0
    (tmp_path / "other" / "done.json").rename(tmp_path / "done.json")
    orphaned_journal(tmp_path / "other", "done", "a", "b")
    (tmp_path / "other" / "done.journal.jsonl").rename(tmp_path / "done.journal.jsonl")
    capsys.readouterr()
    assert main(["recover", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (f"run done was stored already ({tmp_path / 'done.json'}): its journal is "
                                       "removed\n")
    assert [t["task_id"] for t in load(tmp_path / "done.json")["tasks"]] == ["a"]
    assert not path.exists() and not (tmp_path / "done.journal.jsonl").exists()


def test_a_journal_without_results_is_removed_and_an_empty_store_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orphaned_journal(tmp_path, "empty")
    assert main(["recover", str(tmp_path)]) == 0
    assert main(["recover", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (f"run empty: no result had reported: its journal is removed\n"
                                       f"no journal in {tmp_path}: nothing to recover\n")
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_named_like_a_journal_is_reported_and_never_waited_on(tmp_path: Path) -> None:
    orphaned_journal(tmp_path, "good", "a")
    os.mkfifo(tmp_path / "pipe.journal.jsonl")
    recovered = cli(tmp_path, "recover", ".")
    assert recovered.returncode == 2
    assert recovered.stderr == "agenteval recover: pipe.journal.jsonl: not a regular file (a FIFO); nothing recovered\n"
    assert recovered.stdout == "recovered run good: 1 result(s) -> good.json (partial)\n"
    listed = cli(tmp_path, "ls", ".")
    assert listed.returncode == 0
    assert "agenteval ls: skipped pipe.journal.jsonl: not a regular file (a FIFO)" in listed.stderr
