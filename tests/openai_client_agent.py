"""A hand-written tool loop on the plain `openai` client, as users write without a framework.

The tool runs under OpenInference's `@tracer.tool`, so it has a TOOL span; `traced_tools=False` runs it
bare, to show what the trace holds then. Imported only after `pytest.importorskip("openai")`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from openai import AsyncOpenAI
from openai.types.chat import (
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)
from openinference.instrumentation import OITracer, TraceConfig
from opentelemetry.trace import TracerProvider

from .fake_openai_server import MODEL

TOOLS: list[ChatCompletionFunctionToolParam] = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]


def get_weather(city: str) -> str:
    """The weather in a city."""
    if city == "Atlantis":
        raise RuntimeError("weather service down")
    return f"sunny in {city}"


def build_client_agent(base_url: str, provider: TracerProvider, *, model: str = MODEL,
                       traced_tools: bool = True) -> Callable[[str], Awaitable[str | None]]:
    """An async agent: ask the model, run the tools it asks for, until it answers."""
    client = AsyncOpenAI(base_url=base_url, api_key="test-key", max_retries=0)
    tracer = OITracer(provider.get_tracer("weather_agent"), config=TraceConfig())
    tool = tracer.tool(get_weather) if traced_tools else get_weather

    async def agent(prompt: str) -> str | None:
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": prompt}]
        while True:
            response = await client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
            message = response.choices[0].message
            calls = [c for c in message.tool_calls or () if isinstance(c, ChatCompletionMessageFunctionToolCall)]
            if not calls:
                return message.content
            messages.append({"role": "assistant", "tool_calls": [
                {"id": call.id, "type": "function",
                 "function": {"name": call.function.name, "arguments": call.function.arguments}} for call in calls]})
            for call in calls:
                try:
                    content = tool(**json.loads(call.function.arguments))
                except RuntimeError as exc:
                    content = f"tool failed: {exc}"
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    return agent
