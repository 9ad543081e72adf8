"""The OTel GenAI convention (`gen_ai.*`): pydantic-ai, AG2, openai-v2, Traceloop, CrewAI native.

Keeps its own attribute names (the semconv package marks them deprecated). Pure; no OpenTelemetry import.
"""

from __future__ import annotations

from typing import Any

from pytest_agenteval.tracing.model import AgentStep, ModelCall, SpanData, TokenUsage, ToolCall
from pytest_agenteval.tracing.reading import (
    SpanReading,
    first,
    first_float,
    first_int,
    first_str,
    parse_json,
    read_messages,
    read_tool_results,
    span_error,
)

MODEL_OPERATIONS = frozenset({"chat", "generate_content", "text_completion", "completion"})
_AG2_KINDS = {"llm": "chat", "tool": "execute_tool", "agent": "invoke_agent"}
_NAME_PREFIXES = {"chat ": "chat", "execute_tool ": "execute_tool", "invoke_agent ": "invoke_agent"}


class GenAIConvention:
    """Reads spans that carry `gen_ai.*` attributes or AG2's `ag2.span.type`."""

    def read(self, span: SpanData) -> SpanReading | None:
        attributes = span.attributes
        if "ag2.span.type" not in attributes and not any(key.startswith("gen_ai.") for key in attributes):
            return None
        if attributes.get("ag2.span.type") == "usage":  # AG2 record_usage repeats the chat span's usage
            return SpanReading()
        operation = _operation(span)
        if operation in MODEL_OPERATIONS:
            tool_results = read_tool_results(attributes.get("gen_ai.input.messages"))
            return SpanReading(step=_model_call(span), tool_results=tool_results)
        if operation == "execute_tool":
            return SpanReading(step=_tool_call(span))
        if operation == "invoke_agent":
            return SpanReading(step=_agent(span))
        if operation == "invoke_workflow":
            return SpanReading(workflow=True)
        return SpanReading()


def _operation(span: SpanData) -> str | None:
    attributes = span.attributes
    operation = first_str(attributes, "gen_ai.operation.name", "llm.request.type")
    if operation is not None:
        return operation
    ag2_kind = _AG2_KINDS.get(str(attributes.get("ag2.span.type")))
    if ag2_kind is not None:
        return ag2_kind
    for prefix, name in _NAME_PREFIXES.items():
        if span.name.startswith(prefix):
            return name
    if "gen_ai.tool.name" in attributes:
        return "execute_tool"
    if "gen_ai.system" in attributes and first(
        attributes, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"
    ):
        return "chat"  # an older emitter: system and usage, no operation name
    return None


def _model_call(span: SpanData) -> ModelCall:
    attributes = span.attributes
    messages = read_messages(first(attributes, "gen_ai.output.messages"))
    text = messages.text
    if text is None:
        text = first_str(attributes, "gen_ai.completion.0.content")  # older flattened (Traceloop) output
    return ModelCall(
        model=first_str(attributes, "gen_ai.response.model", "gen_ai.request.model"),
        provider=first_str(attributes, "gen_ai.provider.name", "gen_ai.system"),
        tokens=_tokens(span),
        finish_reason=_finish_reason(attributes.get("gen_ai.response.finish_reasons"))
        or messages.finish_reason,
        tool_requests=messages.tool_requests,
        output_text=text,
        cost=first_float(attributes, "operation.cost", "gen_ai.usage.cost"),
        error=span_error(span),
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )


def _tokens(span: SpanData) -> TokenUsage:
    attributes = span.attributes
    return TokenUsage(
        input=first_int(attributes, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        output=first_int(attributes, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
        cache_read=first_int(
            attributes,
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "gen_ai.usage.details.cache_read_tokens",
        ),
        cache_write=first_int(
            attributes,
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "gen_ai.usage.details.cache_write_tokens",
        ),
        reasoning=first_int(
            attributes, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.details.reasoning_tokens"
        ),
    )


def _finish_reason(value: Any) -> str | None:
    value = parse_json(value)
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _tool_call(span: SpanData) -> ToolCall:
    attributes = span.attributes
    name = first_str(attributes, "gen_ai.tool.name") or span.name.removeprefix("execute_tool ")
    return ToolCall(
        name=name,
        arguments=parse_json(first(attributes, "gen_ai.tool.call.arguments", "tool_arguments")),
        result=parse_json(first(attributes, "gen_ai.tool.call.result", "tool_response")),
        call_id=first_str(attributes, "gen_ai.tool.call.id"),
        error=span_error(span),
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )


def _agent(span: SpanData) -> AgentStep:
    attributes = span.attributes
    name = first_str(attributes, "gen_ai.agent.name", "agent_name") or span.name.removeprefix("invoke_agent ")
    # pydantic-ai final_result; its gen_ai.aggregated_usage.* is never read (tokens come from chat spans).
    output = parse_json(attributes.get("final_result"))
    if output is None:
        output = read_messages(attributes.get("gen_ai.output.messages")).text
    return AgentStep(
        name=name,
        output=output,
        error=span_error(span),
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )
