"""With plugin auto-loading off (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1) and the plugins named with `-p`, as locked-down
CI setups do, eval runs work the same, xdist workers included (xdist is then registered as "xdist.plugin")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .helpers import read_single_run, record, write_suite


def test_an_xdist_run_with_explicitly_loaded_plugins_stores_every_task(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import pytest\n\n@pytest.fixture(scope='session')\ndef eval_agent():\n"
                          "    return lambda prompt: prompt\n")
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}") for index in range(6)])
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-p", "pytest_asyncio", "-p",
               "pytest_agenteval.plugin", "-o", "asyncio_default_fixture_loop_scope=function", "-n", "2",
               "--eval-suite=s.jsonl", "--eval-store=runs"]
    done = subprocess.run(command, cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    assert sorted(task["task_id"] for task in tasks) == [f"t{index}" for index in range(6)]
    assert {task["worker"] for task in tasks} <= {"gw0", "gw1"}
