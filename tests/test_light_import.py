"""The plugin's import is light: pydantic, OpenTelemetry and the engine load with the first suite, not before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY_PACKAGES = ("pydantic", "pydantic_core", "opentelemetry", "ag2", "autogen", "pydantic_ai", "langchain_core",
                  "langgraph", "agents", "openai")
ENGINE_MODULES = ("pytest_agenteval.collect.items", "pytest_agenteval.run.runtime", "pytest_agenteval.results.models",
                  "pytest_agenteval.tracing.capture", "pytest_agenteval.tracing.model")

# Written by the inner session at its very end: which modules it had loaded.
MODULES_CONFTEST = '''
import json, sys

def pytest_unconfigure(config):
    with open("modules.json", "w") as handle:
        json.dump(sorted(sys.modules), handle)
'''


def heavy(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] in HEAVY_PACKAGES or name in ENGINE_MODULES]


def test_importing_the_plugin_module_loads_no_pydantic_opentelemetry_or_engine() -> None:
    code = "import json, sys, pytest_agenteval.plugin; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert "pytest_agenteval.plugin" in loaded
    assert heavy(loaded) == []


def run_isolated(pytester: pytest.Pytester, *args: str) -> list[str]:
    """A pytest session in a subprocess with only our plugin (and the ones it needs) loaded."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "pytest_agenteval.plugin", "-p", "pytest_asyncio",
               "-p", "xdist.plugin", "-o", "asyncio_default_fixture_loop_scope=function", *args]
    subprocess.run(command, cwd=pytester.path, env=env, capture_output=True, check=False, timeout=120)
    modules: list[str] = json.loads((pytester.path / "modules.json").read_text())
    return modules


def test_a_session_without_suites_never_loads_the_engine(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MODULES_CONFTEST)
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    loaded = run_isolated(pytester)
    assert "pytest_agenteval.plugin" in loaded
    assert heavy(loaded) == []


def test_the_engine_loads_when_a_suite_is_collected(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MODULES_CONFTEST + "\nimport pytest\n\n@pytest.fixture(scope='session')\n"
                          "def eval_agent():\n    return lambda prompt: prompt\n")
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    loaded = run_isolated(pytester, "--eval-suite=s.jsonl")
    assert set(ENGINE_MODULES) <= set(loaded)
    assert "pydantic" in loaded and "opentelemetry.sdk.trace" in loaded


def test_a_run_without_pairwise_judges_never_loads_the_judges(pytester: pytest.Pytester) -> None:
    # Importing them cost 10-12 ms at the end of every run, in the session's reported time.
    pytester.makeconftest(MODULES_CONFTEST + "\nimport pytest\n\n@pytest.fixture(scope='session')\n"
                          "def eval_agent():\n    return lambda prompt: prompt\n")
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    loaded = run_isolated(pytester, "--eval-suite=s.jsonl", "--eval-store=runs")
    assert "pytest_agenteval.publish" in loaded and list((pytester.path / "runs").glob("*.json"))
    assert [name for name in loaded if name.startswith("pytest_agenteval.judges")] == []
