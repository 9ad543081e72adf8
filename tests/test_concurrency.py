"""Concurrent agent calls: order, isolation of spans / output / warnings, timeout, -x, Ctrl+C, xdist, loops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import read_single_run, record, write_suite

TRACKING_CONFTEST = '''
import asyncio, json, logging, os, time
import pytest
from opentelemetry import trace

IN_FLIGHT = {"now": 0, "max": 0}
CALLS = os.path.join(os.path.dirname(__file__), "calls.jsonl")

def log_call(**fields):
    with open(CALLS, "a") as handle:
        handle.write(json.dumps({**fields, "pid": os.getpid()}) + "\\n")

@pytest.fixture(scope="session")
def eval_agent():
    tracer = trace.get_tracer("test-agent")
    async def agent(prompt):
        IN_FLIGHT["now"] += 1
        IN_FLIGHT["max"] = max(IN_FLIGHT["max"], IN_FLIGHT["now"])
        started = time.perf_counter()
        log_call(prompt=prompt, event="start", in_flight=IN_FLIGHT["now"])
        try:
            with tracer.start_as_current_span(f"execute_tool {prompt}", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": prompt}):
                print(f"stdout of {prompt}")
                logging.getLogger("agent").warning("log of %s", prompt)
                await asyncio.sleep(float(os.environ.get("AGENT_SLEEP", "0.05")))
            if prompt.startswith("fail"):
                raise ValueError(f"{prompt} failed")
            if prompt.startswith("hang"):
                await asyncio.sleep(30)
            return prompt
        finally:
            IN_FLIGHT["now"] -= 1
            log_call(prompt=prompt, event="end", latency_ms=(time.perf_counter() - started) * 1000)
    return agent
'''


def calls(path: Path) -> list[dict[str, object]]:
    file = path / "calls.jsonl"
    return [json.loads(line) for line in file.read_text().splitlines()] if file.exists() else []


def max_in_flight(path: Path) -> int:
    return max(int(str(c["in_flight"])) for c in calls(path) if c["event"] == "start")


@pytest.fixture
def tracked(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(TRACKING_CONFTEST)
    return pytester


def test_calls_overlap_up_to_the_concurrency_and_items_report_in_order(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(12)])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=4", "--eval-store=runs", "-v")
    result.assert_outcomes(passed=12)
    result.stdout.fnmatch_lines([f"*s.jsonl::t{i} PASSED*" for i in range(12)])
    assert max_in_flight(tracked.path) == 4
    sequential = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=1")
    sequential.assert_outcomes(passed=12)


def test_recorded_duration_is_the_agents_latency_not_its_wait(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(8)])
    tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=2", "--eval-store=runs")
    latency = {str(c["prompt"]): float(str(c["latency_ms"])) for c in calls(tracked.path) if c["event"] == "end"}
    for task in read_single_run(tracked.path / "runs")["tasks"]:
        # measured around the call itself, so the time spent queued behind the semaphore is not in it
        assert task["duration_ms"] == pytest.approx(latency[task["task_id"]], abs=25)


def test_spans_output_and_warnings_stay_with_their_own_task(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(5)] + [record("fail-me")])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=6", "--eval-store=runs",
                               "--eval-max-seconds=0.001")
    result.assert_outcomes(passed=5, failed=1, warnings=6)
    for task in read_single_run(tracked.path / "runs")["tasks"]:
        assert [step["name"] for step in task["trace"]["steps"]] == [task["task_id"]]
    failure = result.stdout.str().split("= FAILURES =")[1].split("= warnings summary")[0]
    assert "stdout of fail-me" in failure and "log of fail-me" in failure
    assert "stdout of t" not in failure and "log of t" not in failure
    for i in range(5):
        result.stdout.fnmatch_lines([f"s.jsonl::t{i}", f"*BudgetExceededWarning: t{i}: seconds budget exceeded*"])


def test_function_scoped_agent_runs_one_at_a_time_and_says_so_once(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(TRACKING_CONFTEST.replace('@pytest.fixture(scope="session")', "@pytest.fixture"))
    write_suite(pytester.path / "s.jsonl", [record(f"t{i}") for i in range(4)])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=4")
    result.assert_outcomes(passed=4, warnings=1)
    result.stdout.fnmatch_lines(["*SequentialRunWarning: eval_agent is not a session-scoped*"])
    assert max_in_flight(pytester.path) == 1


def test_timeout_cancels_the_task_and_the_rest_goes_on(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record("t0"), record("hang-1"), record("t2")])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-timeout=0.5", "--eval-store=runs")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*agent raised TaskTimeoutError: the agent did not finish within "
                                 "--eval-timeout=0.5s; the call was cancelled*"])
    hang = next(t for t in read_single_run(tracked.path / "runs")["tasks"] if t["task_id"] == "hang-1")
    assert hang["exception"]["type"] == "TaskTimeoutError"


def test_exitfirst_stops_within_the_lookahead(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record("t0"), record("t1"), record("fail-2")]
                + [record(f"t{i}") for i in range(3, 30)])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=2", "-x", "--eval-store=runs")
    result.assert_outcomes(passed=2, failed=1)
    started = {c["prompt"] for c in calls(tracked.path) if c["event"] == "start"}
    assert len(started) <= 3 + 2 * 2  # the three items that ran, plus at most the look-ahead window
    assert len(read_single_run(tracked.path / "runs")["tasks"]) == 3


def test_concurrency_inside_each_xdist_worker(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(8)])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=4", "-n", "2",
                               "--dist", "loadfile", "--eval-store=runs")
    result.assert_outcomes(passed=8)
    assert max_in_flight(tracked.path) > 1
    assert len(read_single_run(tracked.path / "runs")["tasks"]) == 8


def test_agent_bound_to_pytest_asyncio_session_loop(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import asyncio
import pytest_asyncio

@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def eval_agent():
    loop = asyncio.get_running_loop()
    lock = asyncio.Lock()  # bound to the session loop on first use
    async def agent(prompt):
        assert asyncio.get_running_loop() is loop, "agent ran on another loop"
        async with lock:
            await asyncio.sleep(0.01)
        return prompt
    yield agent
''')
    write_suite(pytester.path / "s.jsonl", [record(f"t{i}") for i in range(6)])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=3").assert_outcomes(passed=6)


def test_function_scoped_async_fixture_agent(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest_asyncio

@pytest_asyncio.fixture
async def eval_agent(eval_task):
    async def agent(prompt):
        return f"{eval_task.task_id}:{prompt}"
    yield agent
''')
    write_suite(pytester.path / "s.jsonl", [record("a", "x"), record("b", "y")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-concurrency=1")
    result.assert_outcomes(passed=2)
    outputs = [t["outputs"]["body"] for t in read_single_run(pytester.path / "runs")["tasks"]]
    assert outputs == ["a:x", "b:y"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_cancels_pending_calls_and_writes_a_partial_run(tracked: pytest.Pytester) -> None:
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(200)])
    env = {**os.environ, "AGENT_SLEEP": "0.5"}  # PYTEST_ADDOPTS as for every inner run (tests/conftest.py)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--eval-suite=s.jsonl", "--eval-concurrency=4", "--eval-store=runs",
         "-p", "no:cacheprovider"], cwd=tracked.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while sum(1 for c in calls(tracked.path) if c["event"] == "end") < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
    run = read_single_run(tracked.path / "runs")
    assert run["partial"] is True
    assert 1 <= len(run["tasks"]) < 200
    assert len({c["prompt"] for c in calls(tracked.path) if c["event"] == "start"}) < 40


def test_sync_agents_run_concurrently_in_threads(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import threading, time, pytest
STATE = {"now": 0, "max": 0}
LOCK = threading.Lock()

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        with LOCK:
            STATE["now"] += 1
            STATE["max"] = max(STATE["max"], STATE["now"])
        time.sleep(0.05)
        with LOCK:
            STATE["now"] -= 1
        return str(STATE["max"])
    return agent
''')
    write_suite(pytester.path / "s.jsonl", [record(f"t{i}") for i in range(9)])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=3", "--eval-store=runs")
    peaks = [int(t["outputs"]["body"]) for t in read_single_run(pytester.path / "runs")["tasks"]]
    assert max(peaks) == 3


def test_spans_an_agent_leaves_running_are_reported_not_lost_silently(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import asyncio, pytest
from opentelemetry import trace

BACKGROUND = []

@pytest.fixture(scope="session")
def eval_agent():
    tracer = trace.get_tracer("leaky")
    async def later():
        await asyncio.sleep(0.05)
        with tracer.start_as_current_span("execute_tool late", attributes={"gen_ai.operation.name": "execute_tool",
                                                                           "gen_ai.tool.name": "late"}):
            pass
    async def agent(prompt):
        if prompt == "a":
            BACKGROUND.append(asyncio.ensure_future(later()))  # fire and forget: runs after the task
        else:
            await asyncio.sleep(0.3)  # keeps the loop running while task a's leftover starts its span
        return prompt
    return agent
''')
    write_suite(pytester.path / "s.jsonl", [record("a"), record("b")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=1", "--eval-store=runs")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*TraceWarning: 1 span(s) started after their task had finished and are in no "
                                 "trace*"])
    assert all(task["trace"]["steps"] == [] for task in read_single_run(pytester.path / "runs")["tasks"])


def test_items_marked_skip_are_never_started_early(tracked: pytest.Pytester) -> None:
    tracked.syspathinsert()
    tracked.makepyfile(skipper='''
import pytest
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "t3":
            item.add_marker(pytest.mark.skip(reason="not today"))
''')
    write_suite(tracked.path / "s.jsonl", [record(f"t{i}") for i in range(6)])
    result = tracked.runpytest("--eval-suite=s.jsonl", "--eval-concurrency=4", "-p", "skipper")
    result.assert_outcomes(passed=5, skipped=1)
    assert {c["prompt"] for c in calls(tracked.path)} == {"t0", "t1", "t2", "t4", "t5"}
