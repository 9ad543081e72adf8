"""The example agents, run directly (no plugin) on every record of the bundled suites."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic_ai")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic_ai import Agent, InstrumentationSettings
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)

from example_suites.agents import PROMPT_CANARY, build_qa_agent, build_weather_agent, solve
from pytest_agenteval.task import Task

SUITES = Path(__file__).resolve().parent.parent / "example_suites"
FAILS_BY_DESIGN = "weather-oslo-fahrenheit"
VOLATILE_FIELDS = {"timestamp", "run_id", "conversation_id"}


def load_records(name: str) -> list[dict[str, Any]]:
    lines = (SUITES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


WEATHER = load_records("weather.jsonl")
QA = load_records("qa.jsonl")
BUILDERS: dict[str, Callable[[], Agent[None, str]]] = {
    "weather.jsonl": build_weather_agent,
    "qa.jsonl": build_qa_agent,
}
# The conftest agent runs a real model when EVAL_MODEL is set; its tests only hold offline.
OFFLINE_ONLY = pytest.mark.skipif(bool(os.environ.get("EVAL_MODEL")), reason="EVAL_MODEL picks a real model")


def cases(suite: str, records: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(suite, record, id=record["task_id"]) for record in records]


def run(agent: Agent[None, str], prompt: str) -> tuple[str, list[ModelMessage]]:
    result = asyncio.run(agent.run(prompt))
    return result.output, result.all_messages()


def tool_calls(messages: list[ModelMessage]) -> list[ToolCallPart]:
    return [part for m in messages if isinstance(m, ModelResponse) for part in m.parts
            if isinstance(part, ToolCallPart)]


def tool_returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [part for m in messages for part in m.parts if isinstance(part, ToolReturnPart)]


def comparable(messages: list[ModelMessage]) -> Any:
    """The messages as JSON, without the fields that differ between runs by nature (times, run ids)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(ModelMessagesTypeAdapter.dump_python(messages, mode="json"))


@pytest.mark.parametrize(("suite", "record"), cases("weather.jsonl", WEATHER) + cases("qa.jsonl", QA))
def test_every_task_gets_the_same_answer_messages_and_tokens_twice(
    suite: str, record: dict[str, Any]
) -> None:
    agent = BUILDERS[suite]()
    first = asyncio.run(agent.run(record["inputs"]["input"]))
    second = asyncio.run(agent.run(record["inputs"]["input"]))
    assert first.output == second.output
    assert comparable(first.all_messages()) == comparable(second.all_messages())
    assert first.usage == second.usage
    assert first.usage.input_tokens > 0 and first.usage.output_tokens > 0


@pytest.mark.parametrize(("suite", "records"), [("weather.jsonl", WEATHER), ("qa.jsonl", QA)])
def test_one_agent_shared_by_concurrent_tasks_answers_as_it_does_alone(
    suite: str, records: list[dict[str, Any]]
) -> None:
    agent = BUILDERS[suite]()
    prompts = [record["inputs"]["input"] for record in records]

    async def run_all() -> list[str]:
        results = await asyncio.gather(*(agent.run(prompt) for prompt in prompts))
        return [result.output for result in results]

    assert asyncio.run(run_all()) == [run(agent, prompt)[0] for prompt in prompts]


@pytest.mark.parametrize(("suite", "record"), cases("weather.jsonl", WEATHER))
def test_weather_agent_calls_get_weather_exactly_as_the_reference_says(
    suite: str, record: dict[str, Any]
) -> None:
    reference = record["reference_outputs"]
    _, messages = run(build_weather_agent(), record["inputs"]["input"])
    calls = tool_calls(messages)
    assert [call.tool_name for call in calls] == reference["trajectory"]
    assert [call.args_as_dict() for call in calls] == list(reference.get("tool_args", {}).values())
    assert [returned.tool_call_id for returned in tool_returns(messages)] == [c.tool_call_id for c in calls]


@pytest.mark.parametrize(("suite", "record"), cases("weather.jsonl", WEATHER))
def test_every_weather_answer_contains_its_reference_except_the_task_that_fails_by_design(
    suite: str, record: dict[str, Any]
) -> None:
    output, _ = run(build_weather_agent(), record["inputs"]["input"])
    contains = record["reference_outputs"]["answer"].casefold() in output.casefold()
    assert contains is (record["task_id"] != FAILS_BY_DESIGN), output
    assert PROMPT_CANARY not in output


def test_the_task_failing_by_design_answers_in_celsius_when_asked_for_fahrenheit() -> None:
    (record,) = [r for r in WEATHER if r["task_id"] == FAILS_BY_DESIGN]
    output, _ = run(build_weather_agent(), record["inputs"]["input"])
    assert output == "It's snowy in Oslo, -3°C."
    assert "fails by design" in record["metadata"]["note"]


def test_service_down_surfaces_as_a_failed_tool_return_and_the_agent_says_so() -> None:
    output, messages = run(build_weather_agent(), "What's the weather in Reykjavik?")
    (returned,) = tool_returns(messages)
    assert returned.outcome == "failed"
    assert returned.content == "weather service down for Reykjavik"
    assert "try again later" in output


def test_unknown_city_is_a_normal_tool_result_not_a_tool_error() -> None:
    output, messages = run(build_weather_agent(), "What's the weather in Atlantis?")
    (returned,) = tool_returns(messages)
    assert returned.outcome == "success"
    assert returned.content == {"city": "Atlantis", "error": "no such city in the weather database"}
    assert output == "Sorry, I don't know a city called Atlantis."


@pytest.mark.parametrize(("suite", "record"), cases("qa.jsonl", QA))
def test_qa_answers_equal_the_reference_within_a_hundredth(suite: str, record: dict[str, Any]) -> None:
    expected = record["reference_outputs"]["answer"]
    answer = solve(record["inputs"]["input"])
    output, _ = run(build_qa_agent(), record["inputs"]["input"])
    assert output == f"The answer is {answer}."
    if expected.replace(".", "").isdigit():
        assert float(str(answer)) == pytest.approx(float(expected), abs=0.01)
    else:
        assert answer == expected


@pytest.mark.parametrize(
    "question", ["What is love?", "Convert 3 parsecs to furlongs.", "What is the capital of Mars?"]
)
def test_qa_solver_says_it_does_not_know_instead_of_guessing(question: str) -> None:
    assert solve(question) is None
    output, _ = run(build_qa_agent(), question)
    assert output == "I don't know how to answer that."


def finished_spans(agent_builder: Callable[..., Agent[None, str]], prompt: str) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agent = agent_builder(instrument=InstrumentationSettings(tracer_provider=provider))
    asyncio.run(agent.run(prompt))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def test_weather_agent_emits_genai_spans_for_model_and_tool_calls() -> None:
    spans = {span.name: span for span in finished_spans(build_weather_agent, "What's the weather in Paris?")}
    assert {"invoke_agent weather_agent", "chat example-weather", "execute_tool get_weather"} <= set(spans)
    tool = spans["execute_tool get_weather"].attributes or {}
    assert json.loads(str(tool["gen_ai.tool.call.arguments"])) == {"city": "Paris"}
    chat = spans["chat example-weather"].attributes or {}
    assert int(str(chat["gen_ai.usage.input_tokens"])) > 0


def test_failed_tool_call_marks_its_span_as_an_error() -> None:
    spans = finished_spans(build_weather_agent, "What's the weather in Reykjavik?")
    (tool,) = [span for span in spans if span.name == "execute_tool get_weather"]
    assert tool.status.status_code is StatusCode.ERROR
    (agent,) = [span for span in spans if span.name == "invoke_agent weather_agent"]
    assert agent.status.status_code is not StatusCode.ERROR  # the run itself recovered


@OFFLINE_ONLY
@pytest.mark.parametrize(("suite", "prompt", "expected"), [
    ("example_suites/weather.jsonl", "What's the weather in Paris?", "It's sunny in Paris, 22°C."),
    ("example_suites/qa.jsonl", "What is 17 times 23?", "The answer is 391."),
])
def test_conftest_eval_agent_dispatches_on_the_suite_file_name(
    eval_agent: Callable[[Task], Coroutine[Any, Any, str]], suite: str, prompt: str, expected: str
) -> None:
    task = Task(task_id="t", inputs={"input": prompt}, suite=suite)
    assert asyncio.run(eval_agent(task)) == expected


@OFFLINE_ONLY
def test_conftest_eval_agent_names_the_known_suites_for_an_unknown_one(
    eval_agent: Callable[[Task], Coroutine[Any, Any, str]],
) -> None:
    task = Task(task_id="t", inputs={"input": "hi"}, suite="other/suite.jsonl")
    expected = r"no example agent for 'other/suite.jsonl'; known suites: weather.jsonl, qa.jsonl"
    with pytest.raises(LookupError, match=expected):
        asyncio.run(eval_agent(task))
