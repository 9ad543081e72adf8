"""Tracing: capture one task's spans (`capture`, `provider`, `router`, `spans`) and rebuild its `Trace`
(`build`, with one reader per span convention: `genai`, `openinference`). Imports neither pytest nor the
collect/run stages. Public: the trace model and the `SpanConvention` protocol users implement.
"""

from pytest_agenteval.tracing.model import (
    AgentStep,
    ErrorInfo,
    ModelCall,
    SpanData,
    SpanEvent,
    TokenUsage,
    ToolCall,
    Trace,
)

__all__ = ["AgentStep", "ErrorInfo", "ModelCall", "SpanData", "SpanEvent", "TokenUsage", "ToolCall", "Trace"]
