"""The public trace model: what one task's agent run did, rebuilt from its spans.

Frozen dataclasses, SDK-free; pydantic serializes them into the run JSON as they are.
Imports nothing from pytest or OpenTelemetry.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


class RaisedInThread(Exception):
    """Carries a BaseException (SystemExit, GeneratorExit, ...) that user code raised on a worker thread back to
    the event loop: raised bare out of an asyncio future, a GeneratorExit would escape every `except`."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An exception or error status, with its real type name kept."""

    type: str
    message: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        return cls(type=type(exc).__name__, message=str(exc))


_PLUGIN_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


def user_traceback(exc: BaseException) -> str:
    """The exception's traceback without the plugin's, asyncio's and the thread pool's frames."""
    import asyncio
    import concurrent.futures

    # Frames of these packages are machinery around the user's code, not part of what went wrong.
    machinery = (_PLUGIN_DIR, *(str(Path(str(m.__file__)).parent) + os.sep for m in (asyncio, concurrent.futures)))
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith(machinery) and not frame.filename.endswith("threading.py")]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines)


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Token counts; `total` is input + output, as in AG2 (cache and reasoning are parts of those)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_write=self.cache_write + other.cache_write,
            reasoning=self.reasoning + other.reasoning,
        )


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """A span event (for example the standard `exception` event)."""

    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanData:
    """One finished span, copied out of the SDK so trace building needs no provider."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    start_ns: int
    end_ns: int
    attributes: Mapping[str, Any] = field(default_factory=dict)
    status: Literal["UNSET", "OK", "ERROR"] = "UNSET"
    status_description: str | None = None
    events: tuple[SpanEvent, ...] = ()
    dropped_attributes: int = 0

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """A tool call the model asked for (read from a model call's output)."""

    name: str
    arguments: Any = None
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One leaf model (LLM) call."""

    model: str | None = None
    provider: str | None = None
    tokens: TokenUsage = field(default_factory=TokenUsage)
    finish_reason: str | None = None
    tool_requests: tuple[ToolRequest, ...] = ()
    output_text: str | None = None
    cost: float | None = None
    error: ErrorInfo | None = None
    duration_ms: float = 0.0
    span_id: str = ""
    parent_id: str | None = None
    kind: Literal["model_call"] = "model_call"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One executed tool call."""

    name: str
    arguments: Any = None
    result: Any = None
    call_id: str | None = None
    error: ErrorInfo | None = None
    duration_ms: float = 0.0
    span_id: str = ""
    parent_id: str | None = None
    kind: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True)
class AgentStep:
    """An agent (or workflow) span; `depth` counts the agent spans above it."""

    name: str
    depth: int = 0
    output: Any = None
    error: ErrorInfo | None = None
    duration_ms: float = 0.0
    span_id: str = ""
    parent_id: str | None = None
    kind: Literal["agent"] = "agent"


Step = ModelCall | ToolCall | AgentStep


@dataclass(frozen=True, slots=True)
class Trace:
    """What one task's run did: ordered steps, totals, outcome, and the raw spans."""

    steps: tuple[Step, ...] = ()
    input: Any = None
    output: Any = None
    exception: ErrorInfo | None = None
    duration_ms: float = 0.0
    trace_id: str | None = None
    spans: tuple[SpanData, ...] = ()

    @property
    def tokens(self) -> TokenUsage:
        """Tokens summed over leaf model calls only."""
        total = TokenUsage()
        for call in self.model_calls():
            total = total + call.tokens
        return total

    @property
    def cost(self) -> float | None:
        """Cost summed over model calls that carry one; None when none does."""
        costs = [call.cost for call in self.model_calls() if call.cost is not None]
        return sum(costs) if costs else None

    def model_calls(self, model: str | None = None) -> list[ModelCall]:
        return [s for s in self.steps if isinstance(s, ModelCall) and model in (None, s.model)]

    def tool_calls(self, name: str | None = None) -> list[ToolCall]:
        return [s for s in self.steps if isinstance(s, ToolCall) and name in (None, s.name)]

    def agents(self, name: str | None = None) -> list[AgentStep]:
        return [s for s in self.steps if isinstance(s, AgentStep) and name in (None, s.name)]

    def tool_errors(self) -> list[ToolCall]:
        return [call for call in self.tool_calls() if call.error is not None]
