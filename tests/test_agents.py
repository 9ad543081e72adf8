"""Agent adapters: every kind of agent becomes one async call; outputs get AG2's shape."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from pytest_agenteval.agents.calls import AgentTypeError, adapt_agent, normalize_outputs
from pytest_agenteval.task import Task

TASK = Task(task_id="t", inputs={"input": "hello"})


def run(agent: Any) -> Any:
    async def call(pool: ThreadPoolExecutor) -> Any:
        return await adapt_agent(agent, pool)(TASK)

    with ThreadPoolExecutor(1) as pool:
        return asyncio.run(call(pool))


def sync_agent(prompt: str) -> str:
    return f"sync:{prompt}:{threading.current_thread().name != 'MainThread'}"


async def async_agent(prompt: str) -> str:
    return f"async:{prompt}"


def task_agent(task: Task) -> str:
    return f"task:{task.task_id}"


async def async_task_agent(task: Task) -> str:
    return f"atask:{task.task_id}"


class AskAgent:
    async def ask(self, prompt: str) -> str:
        return f"ask:{prompt}"


class RunAgent:
    async def run(self, prompt: str) -> str:
        return f"run:{prompt}"


class AinvokeAgent:
    async def ainvoke(self, prompt: str) -> str:
        return f"ainvoke:{prompt}"

    def invoke(self, prompt: str) -> str:
        return "invoke should not be used when ainvoke exists"


class InvokeAgent:
    def invoke(self, prompt: str) -> str:
        return f"invoke:{prompt}"


class CallableObject:
    async def __call__(self, prompt: str) -> str:
        return f"object:{prompt}"


@pytest.mark.parametrize(("agent", "expected"), [
    (sync_agent, "sync:hello:True"),
    (async_agent, "async:hello"),
    (task_agent, "task:t"),
    (async_task_agent, "atask:t"),
    (AskAgent(), "ask:hello"),
    (RunAgent(), "run:hello"),
    (AinvokeAgent(), "ainvoke:hello"),
    (InvokeAgent(), "invoke:hello"),
    (CallableObject(), "object:hello"),
    (lambda prompt: prompt * 2, "hellohello"),
])
def test_every_kind_of_agent_is_called_with_the_input_or_the_task(agent: Any, expected: str) -> None:
    assert run(agent) == expected


def test_sync_agents_run_in_a_thread_and_keep_the_callers_context() -> None:
    import contextvars

    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")

    def agent(prompt: str) -> str:
        return marker.get()

    async def main() -> Any:
        marker.set("task-context")
        with ThreadPoolExecutor(1) as pool:
            return await adapt_agent(agent, pool)(TASK)

    assert asyncio.run(main()) == "task-context"


def test_something_that_is_not_an_agent_is_refused_with_the_ways_to_make_one() -> None:
    with pytest.raises(AgentTypeError, match=r"give a sync or async callable taking the input .* ask, run, ainvoke"):
        adapt_agent(42)


class Answer(BaseModel):
    answer: str


@dataclass
class Reply:  # AG2's AgentReply carries the text in `body`
    body: str


@dataclass
class RunResult:  # pydantic-ai's result carries the answer in `output`
    output: Any


@dataclass
class Message:  # a LangChain message carries `content`
    content: str


@pytest.mark.parametrize(("returned", "body", "content"), [
    ("plain text", "plain text", "plain text"),
    ('{"answer": "42"}', '{"answer": "42"}', {"answer": "42"}),
    ("42", "42", 42),
    ({"answer": "x"}, json.dumps({"answer": "x"}), {"answer": "x"}),
    (Answer(answer="y"), json.dumps({"answer": "y"}), {"answer": "y"}),
    (Reply(body="from ag2"), "from ag2", "from ag2"),
    (RunResult(output=Answer(answer="z")), json.dumps({"answer": "z"}), {"answer": "z"}),
    ({"messages": [Message("first"), Message("last")]}, "last", "last"),
    (7.5, "7.5", 7.5),
])
def test_outputs_get_ag2s_shape(returned: Any, body: str, content: Any) -> None:
    outputs = normalize_outputs(returned)
    assert (outputs["body"], outputs["content"], outputs["raw"]) == (body, content, returned)


def test_no_output_is_an_empty_dict() -> None:
    assert normalize_outputs(None) == {}
