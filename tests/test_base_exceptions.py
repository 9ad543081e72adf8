"""What user code raises is that task's error: SystemExit, GeneratorExit, KeyboardInterrupt and CancelledError
raised by an agent or a scorer never hide the task, never blame another task, never hang the session; the
user's own Ctrl+C still stops the session promptly and keeps the partial run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .helpers import read_single_run

SESSION_TIMEOUT = 120  # a hang fails the test instead of the suite

RAISING_CONFTEST = '''
import asyncio, pytest

RAISED = {"exit": SystemExit(3), "genexit": GeneratorExit(), "interrupt": KeyboardInterrupt(),
          "cancel": asyncio.CancelledError()}

def sync_agent(prompt):
    if prompt in RAISED:
        raise RAISED[prompt]
    return prompt

async def async_agent(prompt):
    await asyncio.sleep(0.01)
    if prompt in RAISED:
        raise RAISED[prompt]
    return prompt

@pytest.fixture(scope="session")
def eval_agent():
    return {AGENT}

def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture
def eval_scorers():
    return [echoed]
'''


def write_suite(path: Path, prompts: list[str]) -> None:
    lines = [json.dumps({"task_id": f"t{i}-{prompt}", "inputs": {"input": prompt}}) for i, prompt in enumerate(prompts)]
    path.write_text("\n".join(lines) + "\n")


def run_session(pytester: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    """A real pytest process, so a leaked BaseException or a hang shows as what it is."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
               "-o", "asyncio_default_fixture_loop_scope=function", "--eval-suite=s.jsonl", "--eval-store=runs", *args]
    return subprocess.run(command, cwd=pytester.path, capture_output=True, text=True, timeout=SESSION_TIMEOUT,
                          check=False)


def stored_verdicts(pytester: pytest.Pytester) -> dict[str, Any]:
    run = read_single_run(pytester.path / "runs")
    return {task["task_id"]: (task["verdict"], (task["exception"] or {}).get("type")) for task in run["tasks"]}


@pytest.mark.parametrize("agent", ["sync_agent", "async_agent"])
@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_a_base_exception_raised_by_an_agent_is_that_tasks_error(pytester: pytest.Pytester, agent: str,
                                                                  concurrency: str) -> None:
    pytester.makeconftest(RAISING_CONFTEST.replace("{AGENT}", agent))
    write_suite(pytester.path / "s.jsonl", ["a", "exit", "b", "genexit", "c", "interrupt", "d", "cancel", "e"])
    done = run_session(pytester, f"--eval-concurrency={concurrency}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert stored_verdicts(pytester) == {
        "t0-a": ("passed", None), "t1-exit": ("error", "SystemExit"), "t2-b": ("passed", None),
        "t3-genexit": ("error", "GeneratorExit"), "t4-c": ("passed", None),
        "t5-interrupt": ("error", "KeyboardInterrupt"), "t6-d": ("passed", None),
        "t7-cancel": ("error", "CancelledError"), "t8-e": ("passed", None),
    }


def test_a_run_where_every_task_raises_system_exit_is_still_written(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RAISING_CONFTEST.replace("{AGENT}", "sync_agent"))
    write_suite(pytester.path / "s.jsonl", ["exit", "exit", "exit"])
    done = run_session(pytester)
    assert done.returncode == 1
    assert sorted(stored_verdicts(pytester).values()) == [("error", "SystemExit")] * 3


SCORER_CONFTEST = '''
import asyncio, pytest

def raising(outputs):
    raise {RAISED}

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

@pytest.fixture
def eval_scorers():
    return [raising]
'''


@pytest.mark.parametrize("raised", ["SystemExit(2)", "KeyboardInterrupt()", "GeneratorExit()",
                                    "asyncio.CancelledError()"])
def test_a_base_exception_raised_by_a_scorer_fails_that_item(pytester: pytest.Pytester, raised: str) -> None:
    pytester.makeconftest(SCORER_CONFTEST.replace("{RAISED}", raised))
    write_suite(pytester.path / "s.jsonl", ["a", "b"])
    done = run_session(pytester)
    assert done.returncode == 1 and "INTERNALERROR" not in done.stdout + done.stderr
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    assert [task["verdict"] for task in tasks] == ["failed", "failed"]
    assert {task["feedback"][0]["error"]["type"] for task in tasks} == {raised.split("(")[0].split(".")[-1]}


SLOW_SCORER_CONFTEST = '''
import pathlib, time, pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

def slow(outputs):
    pathlib.Path("scoring").touch()
    time.sleep(60)
    return True

@pytest.fixture
def eval_scorers():
    return [slow]
'''


def test_ctrl_c_during_a_sync_scorer_stops_promptly_and_keeps_the_partial_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SLOW_SCORER_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["a", "b"])
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl", "--eval-store=runs",
               "-o", "asyncio_default_fixture_loop_scope=function"]
    process = subprocess.Popen(command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not (pytester.path / "scoring").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=SESSION_TIMEOUT)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert time.monotonic() - interrupted_at < 30, "the session did not stop promptly on Ctrl+C"
    assert read_single_run(pytester.path / "runs")["partial"] is True


HANGING_CONFTEST = '''
import asyncio, time, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "hang":
            time.sleep(600)
        return prompt
    return agent

def hangs_sync(outputs):
    if outputs.get("body") == "slow-scorer":
        time.sleep(600)
    return True

async def hangs_async(outputs):
    if outputs.get("body") == "slow-scorer":
        await asyncio.sleep(600)
    return True

@pytest.fixture
def eval_scorers():
    return [hangs_sync, hangs_async]
'''


def test_timeouts_bound_agents_and_scorers_and_abandoned_threads_never_keep_the_process(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(HANGING_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["a", "hang", "slow-scorer", "b"])
    started = time.monotonic()
    done = run_session(pytester, "--eval-timeout=1", "--eval-scorer-timeout=1")
    assert time.monotonic() - started < 60, "a hung agent or scorer kept the session or the process alive"
    assert done.returncode == 1, done.stdout
    tasks = {task["task_id"]: task for task in read_single_run(pytester.path / "runs")["tasks"]}
    assert tasks["t1-hang"]["exception"]["type"] == "TaskTimeoutError"
    scorer_errors = [fb["error"]["type"] for fb in tasks["t2-slow-scorer"]["feedback"]]
    assert scorer_errors == ["ScorerTimeoutError", "ScorerTimeoutError"]
    assert tasks["t0-a"]["verdict"] == tasks["t3-b"]["verdict"] == "passed"


def test_a_non_daemon_thread_left_by_an_agent_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import threading, time, pytest

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):  # on the event loop's (main) thread, so the thread it starts is not a daemon
        threading.Thread(target=time.sleep, args=(3,), name="telemetry-flusher").start()
        return prompt
    return agent
''')
    write_suite(pytester.path / "s.jsonl", ["a"])
    done = run_session(pytester)
    assert done.returncode == 0, done.stdout
    assert "thread 'telemetry-flusher' was started during the run and is still running" in done.stdout


def test_sessions_stay_independent_of_the_interrupt_watch(pytester: pytest.Pytester) -> None:
    """The SIGINT handler is the previous one again after a session."""
    pytester.makeconftest(RAISING_CONFTEST.replace("{AGENT}", "sync_agent"))
    write_suite(pytester.path / "s.jsonl", ["a"])
    before = signal.getsignal(signal.SIGINT)
    pytester.runpytest("--eval-suite=s.jsonl").assert_outcomes(passed=1)
    assert signal.getsignal(signal.SIGINT) == before
