"""A real pydantic-ai agent (FunctionModel, instrumented) through TaskTracer and build_trace."""

from __future__ import annotations

import asyncio

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.capture import TaskTracer
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage


def weather_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """First asks for the weather tool, then answers with the tool's result."""
    if len(messages) == 1:
        call = ToolCallPart("get_weather", {"city": "Paris"}, tool_call_id="call_1")
        return ModelResponse(parts=[call], usage=RequestUsage(input_tokens=30, output_tokens=5))
    return ModelResponse(
        parts=[TextPart("The weather is sunny")], usage=RequestUsage(input_tokens=50, output_tokens=7)
    )


def weather_agent(*, broken_tool: bool = False) -> Agent[None, str]:
    agent = Agent(FunctionModel(weather_model), name="weather_agent", instructions="Be brief.")
    agent.instrument = True  # the global provider, which TaskTracer attaches to (or installs)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        if broken_tool:
            raise RuntimeError("weather service down")
        return "sunny"

    return agent


def test_pydantic_ai_run_yields_tool_call_tokens_and_output() -> None:
    agent = weather_agent()
    tracer = TaskTracer()

    run = asyncio.run(
        tracer.run(lambda: agent.run("Weather in Paris?"), attributes={"agenteval.task_id": "w"})
    )
    tracer.close()
    trace = build_trace(
        run.spans, output=run.output.output, duration_ms=run.duration_ms, trace_id=run.trace_id
    )

    (tool,) = trace.tool_calls()
    assert (tool.name, tool.arguments, tool.result, tool.call_id) == (
        "get_weather",
        {"city": "Paris"},
        "sunny",
        "call_1",
    )
    assert trace.tokens == TokenUsage(input=80, output=12)
    assert trace.output == "The weather is sunny"
    assert [agent.name for agent in trace.agents()] == ["weather_agent"]
    assert [call.provider for call in trace.model_calls()] == ["function", "function"]
    assert build_trace(run.spans).output == "The weather is sunny"  # from final_result when not given
    assert {span.trace_id for span in run.spans} == {run.trace_id}


def test_pydantic_ai_tool_crash_keeps_the_exception_type() -> None:
    agent = weather_agent(broken_tool=True)
    tracer = TaskTracer()

    run = asyncio.run(tracer.run(lambda: agent.run("Weather in Paris?")))
    tracer.close()
    trace = build_trace(run.spans)

    assert isinstance(run.exception, RuntimeError)
    assert trace.tool_errors()[0].error == ErrorInfo("RuntimeError", "weather service down")
    assert trace.exception == ErrorInfo("RuntimeError", "weather service down")
