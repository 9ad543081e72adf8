"""The run's provenance names the project's git commit and whether tracked files changed; git is asked while the
session runs (from configure), not after its last item, and its processes never outlive the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pytest_agenteval.results.provenance import GitProbe

from .helpers import ECHO_CONFTEST, read_single_run, record, write_suite

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="needs git")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                          capture_output=True, text=True, check=True).stdout.strip()


def committed_project(pytester: pytest.Pytester) -> str:
    pytester.makeconftest(ECHO_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("t1"), record("t2")])
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "conftest.py", "s.jsonl")
    git(pytester.path, "commit", "-q", "-m", "suite")
    return git(pytester.path, "rev-parse", "HEAD")


@needs_git
def test_the_run_names_the_commit_and_a_clean_tree(pytester: pytest.Pytester) -> None:
    commit = committed_project(pytester)
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=2)
    provenance = read_single_run(pytester.path / "runs")["provenance"]
    assert provenance["git_commit"] == commit and provenance["git_dirty"] is False
    assert provenance["python_version"] and provenance["plugin_version"]


@needs_git
def test_a_changed_tracked_file_makes_the_run_dirty(pytester: pytest.Pytester) -> None:
    commit = committed_project(pytester)
    write_suite(pytester.path / "s.jsonl", [record("t1"), record("t2"), record("t3")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=3)
    provenance = read_single_run(pytester.path / "runs")["provenance"]
    assert provenance["git_commit"] == commit and provenance["git_dirty"] is True


def test_outside_git_the_run_has_no_commit(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))  # no repository above, either
    pytester.makeconftest(ECHO_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("t1")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    provenance = read_single_run(pytester.path / "runs")["provenance"]
    assert provenance["git_commit"] is None and provenance["git_dirty"] is None


FAKE_GIT = '''#!/bin/sh
date +%s.%N >> "{log}"
sleep 1
echo 0123456789abcdef0123456789abcdef01234567
'''

TIMED_CONFTEST = '''
import time
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        with open("agent.log", "a") as out:
            out.write(f"{time.time()}\\n")
        return prompt
    return agent
'''


def timed_project_with_slow_git(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-task suite whose agent logs when it runs, and a `git` first on PATH that logs when it starts."""
    fake = pytester.path / "bin"
    fake.mkdir()
    (fake / "git").write_text(FAKE_GIT.format(log=pytester.path / "git.log"))
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{Path(shutil.which('sh') or '/bin/sh').parent}")
    pytester.makeconftest(TIMED_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("t1")])


def test_git_runs_while_the_tasks_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git that takes a second: both of its calls start before the first task, without a store too (where
    nothing needs the run's provenance before its end)."""
    timed_project_with_slow_git(pytester, monkeypatch)
    pytester.runpytest("--eval-suite=s.jsonl").assert_outcomes(passed=1)
    git_started = [float(line) for line in (pytester.path / "git.log").read_text().split()]
    agent_ran = float((pytester.path / "agent.log").read_text())
    assert len(git_started) == 2 and max(git_started) < agent_ran


def test_a_probe_that_is_never_read_leaves_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "git").write_text(f'#!/bin/sh\necho $$ >> "{tmp_path / "pids"}"\nexec sleep 30\n')
    (tmp_path / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{Path(shutil.which('sleep') or '/bin/sleep').parent}")
    probe = GitProbe(tmp_path)
    deadline = time.monotonic() + 10
    while len(pids(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = pids(tmp_path)
    assert len(started) == 2 and all(alive(pid) for pid in started)
    probe.close()  # what the session's end does with a run that was never built
    assert not any(alive(pid) for pid in started)


def pids(directory: Path) -> list[int]:
    path = directory / "pids"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_discovery_asks_no_git(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """IDE test explorers collect often and store nothing: `--collect-only` starts no git."""
    timed_project_with_slow_git(pytester, monkeypatch)
    pytester.runpytest("--eval-suite=s.jsonl", "--collect-only", "-q").stdout.fnmatch_lines(["*1 test*collected*"])
    assert not (pytester.path / "git.log").exists()
