"""Fixtures for the plugin's tests; the helpers they share are in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest

from .fake_openai_server import FakeOpenAIServer, serve

# Inner runs load only our plugin and those of our dependencies. Any other installed plugin would load in each
# inner run and in each of its xdist workers (langsmith's takes about a second; hypothesis's imports all of
# hypothesis again after pytester drops it). `-p no:` names only what is installed.
INNER_RUN_PLUGINS = {"agenteval", "asyncio", "xdist", "xdist.looponfail"}
UNRELATED_PLUGINS = sorted({plugin.name for plugin in entry_points(group="pytest11")} - INNER_RUN_PLUGINS)
INNER_RUN_ADDOPTS = " ".join([
    "-o asyncio_default_fixture_loop_scope=function",  # inner runs have no ini file; pytest-asyncio warns without it
    *(f"-p no:{name}" for name in UNRELATED_PLUGINS),
])


@pytest.fixture(autouse=True)
def _inner_runs_get_our_addopts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester's inner runs, their xdist workers and the subprocesses the tests start read PYTEST_ADDOPTS."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS, so set ours after it
        monkeypatch.setenv("PYTEST_ADDOPTS", INNER_RUN_ADDOPTS)


@pytest.fixture(params=[[], ["-n", "0"], ["-n", "2"]], ids=["single", "n0", "xdist"])
def dist_args(request: pytest.FixtureRequest) -> list[str]:
    """Run a parity test without xdist, with xdist but no workers, and on two workers."""
    return list(request.param)


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """The fake chat.completions server the OpenAI-based test agents talk to, each reply 20 ms late."""
    with serve(delay=0.02) as server:
        yield server
