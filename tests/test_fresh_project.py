"""A fresh project that turns warnings into errors works: no dependency's configuration warning breaks it,
and the plugin emits none of its own at configure time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt
'''


@pytest.mark.parametrize(("strictness", "dist"), [
    pytest.param(["-W", "error"], [], id="-W"),
    pytest.param(["-o", "filterwarnings=error"], [], id="ini"),
    pytest.param(["-W", "error"], ["-n", "2"], id="-W-xdist"),
])
def test_a_project_without_asyncio_settings_runs_under_warnings_as_errors(
        pytester: pytest.Pytester, strictness: list[str], dist: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}  # no ini, no -o: fresh
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl",
                           *strictness, *dist], cwd=pytester.path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_users_own_deprecation_warnings_still_fail_under_warnings_as_errors(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_own="import warnings, pytest\n\ndef test_old():\n"
                                 "    warnings.warn(pytest.PytestDeprecationWarning('mine'))\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", "test_own.py"],
                          cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "1 failed" in done.stdout
