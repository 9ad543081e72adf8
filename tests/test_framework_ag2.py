"""AG2's own quirks (the shared adapter contract is in test_framework_contract.py): a user's own
TelemetryMiddleware is not doubled, and agents are recognised by class."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import read_single_run, record, stored_steps, write_suite

pytest.importorskip("ag2.middleware.builtin.telemetry", reason="needs the frameworks extra")

# The middleware the user attached themselves, to the provider the plugin also reads (the global one).
OWN_TELEMETRY_CONFTEST = '''
import pytest
from ag2.middleware.builtin import TelemetryMiddleware
from tests.ag2_weather import build_agent


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent(middleware=[TelemetryMiddleware(agent_name="weather_bot")])
'''


def test_an_agent_with_its_own_telemetry_is_not_traced_twice(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OWN_TELEMETRY_CONFTEST)
    write_suite(pytester.path / "ag2.jsonl", [record("weather", "weather in Paris")])
    pytester.runpytest("--eval-suite=ag2.jsonl", "--eval-store=runs").assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert len(stored_steps(task, "agent")) == 1 and len(stored_steps(task, "tool_call")) == 1
    assert task["tokens"]["input"] == 55


# An AG2-style wrapper of the user's own: not an ag2 class, but it holds one (in a dict, as routers do).
WRAPPER_CONFTEST = '''
import pytest
from tests.ag2_weather import build_agent


class WeatherDesk:
    def __init__(self):
        self.agents = {"weather": build_agent()}

    async def ask(self, prompt):
        return await self.agents["weather"].ask(prompt)


@pytest.fixture(scope="session")
def eval_agent():
    return WeatherDesk()
'''


def test_a_wrapper_holding_an_ag2_agent_is_traced_through_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(WRAPPER_CONFTEST)
    write_suite(pytester.path / "ag2.jsonl", [record("paris", "weather in Paris"), record("rome", "weather in Rome")])
    result = pytester.runpytest("--eval-suite=ag2.jsonl", "--eval-store=runs",
                                "-W", "error::pytest_agenteval.TraceWarning")
    result.assert_outcomes(passed=2)
    for task in read_single_run(pytester.path / "runs")["tasks"]:
        assert len(stored_steps(task, "agent")) == 1 and len(stored_steps(task, "tool_call")) == 1, task["task_id"]
        assert task["tokens"]["input"] == 55


def test_a_subclass_of_an_ag2_agent_is_recognised_and_a_look_alike_is_not() -> None:
    from ag2 import Agent

    from pytest_agenteval.agents.ag2 import AG2Adapter

    class MyAgent(Agent[Any]):
        pass

    class LookAlike:
        async def ask(self, prompt: str) -> str:
            return prompt

    assert AG2Adapter().matches(MyAgent("mine"))
    assert not AG2Adapter().matches(LookAlike())
