"""An AG2 weather agent scripted with `ag2.testing.TestClient` (the script picked by each task's prompt),
and scorers written for `ag2.eval` that grade it.

The AG2 tests' pytester conftests import it too, so `ag2.eval.run_agent` and the plugin run the very same
agent and scorers. Needs `ag2[tracing]`; the script's "crash" prompt makes the provider raise.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from ag2 import Agent
from ag2.eval import Scorer, Trace, scorer
from ag2.eval.scorers import failure_attribution, final_answer_matches, no_tool_errors, token_budget, tool_called
from ag2.events import ModelMessage, ModelRequest, ModelResponse, TextInput, ToolCallEvent, ToolCallsEvent
from ag2.events.types import Usage
from ag2.testing import TestClient, TestConfig

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


def script(prompt: str) -> list[Any]:
    """The model's turns for one prompt: a tool call then an answer, a provider crash, or an echo."""
    if prompt == "crash":
        return [ValueError("provider exploded")]
    match = TOOL_PROMPT.fullmatch(prompt)
    if match is None:
        return [ModelResponse(ModelMessage(prompt), usage=Usage(prompt_tokens=12, completion_tokens=4))]
    tool, city = match.groups()
    call = ToolCallEvent(name=f"get_{tool}", arguments=f'{{"city": "{city}"}}')
    return [
        ModelResponse(tool_calls=ToolCallsEvent([call]), usage=Usage(prompt_tokens=20, completion_tokens=8)),
        ModelResponse(ModelMessage(f"It is sunny in {city}."), usage=Usage(prompt_tokens=35, completion_tokens=9)),
    ]


class PromptScriptClient(TestClient):
    """A `TestClient` that reads the prompt on its first call, then replays that prompt's script."""

    def __init__(self) -> None:
        super().__init__(raise_tool_errors=False)  # a failed tool goes back to the model, as with a real provider
        self.scripted = False

    async def __call__(self, messages: Sequence[Any], context: Any, **kwargs: Any) -> ModelResponse:
        if not self.scripted:
            request = next(m for m in messages if isinstance(m, ModelRequest))
            prompt = next(part.content for part in request.parts if isinstance(part, TextInput))
            self.events = iter(script(prompt))
            self.scripted = True
        return await super().__call__(messages, context, **kwargs)


class ScriptByPrompt(TestConfig):
    """A `TestConfig` whose script is chosen by the user prompt, so one shared agent serves every task."""

    def create(self) -> TestClient:
        return PromptScriptClient()


def build_agent(middleware: Sequence[Any] = ()) -> Agent[Any]:
    return Agent("weather_bot", config=ScriptByPrompt(), tools=[get_weather, get_forecast], middleware=middleware)


@scorer
def city_argument_correct(trace: Trace, reference_outputs: dict[str, Any] | None) -> bool | None:
    """Reads AG2's own Trace: the first tool call's city is the reference city."""
    if not reference_outputs or "city" not in reference_outputs:
        return None
    calls = trace.events_of(ToolCallEvent)
    return bool(calls) and calls[0].serialized_arguments.get("city") == reference_outputs["city"]


@scorer
def answer_shape(outputs: dict[str, Any]) -> str:
    """Reads `outputs["body"]` and `outputs["content"]`: a categorical label."""
    if outputs.get("body") is None:
        return "no_answer"
    return "sentence" if isinstance(outputs["content"], str) and outputs["body"].endswith(".") else "other"


@scorer
def fragile(outputs: dict[str, Any]) -> float:
    """Crashes (ZeroDivisionError) on a task with no answer."""
    return 1 / len(outputs)


def ag2_scorers() -> list[Scorer]:
    """AG2's factories and custom `@ag2.eval.scorer`s."""
    return [
        tool_called("get_weather"),
        no_tool_errors(),
        final_answer_matches("answer", matcher="contains"),
        token_budget(60),
        failure_attribution(),
        city_argument_correct,
        answer_shape,
        fragile,
    ]
