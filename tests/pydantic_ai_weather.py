"""A pydantic-ai weather agent on a `FunctionModel` that reads each task's prompt.

The framework tests' pytester conftests import it (`from tests.pydantic_ai_weather import build_agent`).
Needs pydantic-ai-slim.
"""

from __future__ import annotations

import asyncio
import re

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

TOOL_PROMPT = re.compile(r"(weather|forecast) in (\w+)")
IN_FLIGHT = {"now": 0, "peak": 0}  # how many get_weather calls overlapped: proof the tasks ran concurrently


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
    await asyncio.sleep(0.02)
    IN_FLIGHT["now"] -= 1
    return f"sunny in {city}"


def get_forecast(city: str) -> str:
    """Tomorrow's forecast for a city."""
    raise ConnectionError(f"forecast service down for {city}")


def prompt_of(messages: list[ModelMessage]) -> str:
    first = messages[0]
    assert isinstance(first, ModelRequest)
    return next(str(part.content) for part in first.parts if isinstance(part, UserPromptPart))


async def weather_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A tool call for "weather in X" / "forecast in X", then an answer; "crash" raises; anything else is echoed."""
    prompt = prompt_of(messages)
    if prompt == "crash":
        raise ValueError("provider exploded")
    match = TOOL_PROMPT.fullmatch(prompt)
    if match is None:
        return ModelResponse(parts=[TextPart(prompt)], usage=RequestUsage(input_tokens=12, output_tokens=4))
    tool, city = match.groups()
    if len(messages) == 1:
        call = ToolCallPart(f"get_{tool}", {"city": city}, tool_call_id=f"call_{city}")
        return ModelResponse(parts=[call], usage=RequestUsage(input_tokens=30, output_tokens=5))
    answer = TextPart(f"It is sunny in {city}.")
    return ModelResponse(parts=[answer], usage=RequestUsage(input_tokens=50, output_tokens=7))


def build_agent() -> Agent[None, str]:
    return Agent(FunctionModel(weather_model, model_name="weather-fn"), name="weather_agent",
                 tools=[get_weather, get_forecast])
