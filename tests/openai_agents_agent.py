"""An offline OpenAI Agents SDK weather agent for the Agents SDK tests, served by tests/fake_openai_server.py.

Imported only after `pytest.importorskip("agents")`.
"""

from __future__ import annotations

from typing import Any

import agents
from openai import AsyncOpenAI


def get_weather(city: str) -> str:
    """The weather in a city."""
    if city == "Atlantis":
        raise RuntimeError("weather service down")
    return f"sunny in {city}"


def tool_error_text(context: Any, error: Exception) -> str:
    """What the model is told when the tool raises (a custom function also keeps the error in the trace)."""
    return f"tool failed: {error}"


def build_weather_agent(base_url: str, *, redact_tool_errors: bool = False) -> agents.Agent[Any]:
    """An agent on the chat.completions API of the fake server (`base_url`), with one tool."""
    failure = agents.default_tool_error_function if redact_tool_errors else tool_error_text
    tool = agents.function_tool(get_weather, failure_error_function=failure)
    client = AsyncOpenAI(base_url=base_url, api_key="test-key", max_retries=0)
    model = agents.OpenAIChatCompletionsModel(model="fake-gpt", openai_client=client)
    return agents.Agent(name="weather_agent", instructions="Answer briefly.", tools=[tool], model=model)
