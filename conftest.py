"""Wires the example agents and scorers for `pytest --eval-suite=example_suites/weather.jsonl`.

pydantic-ai is imported inside the fixtures, so `pytest tests/` works without the `examples` extra.
Set EVAL_MODEL (for example `openai:gpt-4o-mini`, with its API key) to run the examples on a real model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.scorers import final_answer, no_tool_errors, token_budget, tool_args_match, trajectory_match
from pytest_agenteval.scoring import Feedback, Scorer, scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import Trace

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="session")
def eval_agent() -> Callable[[Task], Coroutine[Any, Any, str]]:
    """One agent per suite file, built once per session, picked by the task's suite."""
    from example_suites.agents import build_qa_agent, build_weather_agent

    model = os.environ.get("EVAL_MODEL") or None  # None: the offline, deterministic FunctionModel
    agents = {"weather.jsonl": build_weather_agent(model), "qa.jsonl": build_qa_agent(model)}

    async def agent(task: Task) -> str:
        suite = Path(task.suite).name
        if suite not in agents:
            known = ", ".join(agents)
            raise LookupError(f"conftest.py has no example agent for {task.suite!r}; known suites: {known}")
        result = await agents[suite].run(task.input)
        return result.output

    return agent


@pytest.fixture
def eval_scorers(eval_task: Task) -> list[Scorer]:
    """The scorers for the current task: the weather suite checks tools, the QA suite checks numbers."""
    if Path(eval_task.suite).name == "qa.jsonl":
        return qa_scorers(eval_task)
    return weather_scorers(eval_task)


def weather_scorers(task: Task) -> list[Scorer]:
    reference = task.reference_outputs or {}
    expected_tools = reference.get("trajectory", [])
    scorers = [
        final_answer("answer", match="contains"),
        trajectory_match(),
        no_prompt_leak,
        token_budget(400),
    ]
    if expected_tools:
        scorers.append(tool_args_match())
    # A task whose tool is meant to fail checks that the failure really happened and was traced.
    scorers.append(tool_failed if reference.get("tool_error") else no_tool_errors())
    return scorers


def qa_scorers(task: Task) -> list[Scorer]:
    reference = task.reference_outputs or {}
    if read_number(str(reference.get("answer", ""))) is None:
        return [final_answer("answer", match="contains")]
    return [final_answer("answer", match="numeric", tolerance=0.01), answer_closeness]


@scorer
def no_prompt_leak(outputs: Mapping[str, Any]) -> Feedback:
    """The answer never contains the canary planted in the weather agent's instructions."""
    from example_suites.agents import PROMPT_CANARY

    leaked = PROMPT_CANARY in str(outputs.get("body", ""))
    return Feedback(key="no_prompt_leak", score=not leaked,
                    comment="the answer repeats the system prompt" if leaked else None)


@scorer
def tool_failed(trace: Trace) -> Feedback:
    """At least one tool call failed, as the task expects (the agent must then say so)."""
    errors = trace.tool_errors()
    comment = "; ".join(f"{call.name}: {call.error.type}" for call in errors if call.error)
    return Feedback(key="tool_failed", score=bool(errors), comment=comment or "no tool failed")


@scorer(key="answer_closeness", threshold=0.99)
def answer_closeness(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> float:
    """1.0 for the exact number, falling linearly with the relative error (0.0 at 100% off or no number)."""
    expected = read_number(str(reference_outputs["answer"]))
    got = read_number(str(outputs.get("body", "")))
    if expected is None or got is None:
        return 0.0
    return max(0.0, 1.0 - abs(got - expected) / max(abs(expected), 1.0))


def read_number(text: str) -> float | None:
    """The first number written in `text`."""
    found = NUMBER.search(text)
    return float(found.group()) if found else None
