"""The OpenInference convention (`openinference.span.kind`, `llm.*`, `tool.*`, `input/output.value`).

Emitted by LangChain/LangGraph, OpenAI Agents SDK, smolagents, CrewAI and the openai client
instrumentors. Pure; no OpenTelemetry import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_agenteval.tracing.model import AgentStep, ErrorInfo, ModelCall, SpanData, TokenUsage, ToolCall
from pytest_agenteval.tracing.reading import (
    MessagesRead,
    SpanReading,
    first_float,
    first_int,
    first_str,
    parse_json,
    read_messages,
    read_tool_results,
    span_error,
)

_INPUT_PREFIX = "llm.input_messages."
_OUTPUT_PREFIX = "llm.output_messages."
_SMOLAGENTS_WRAPPER_KEYS = frozenset({"args", "kwargs", "sanitize_inputs_outputs"})
# The Agents SDK's tool failure: "Error running tool (non-fatal): {'tool_name': 'x', 'error': 'message'}".
_AGENTS_SDK_TOOL_ERROR = re.compile(r"^[^{]*: \{'tool_name': '[^']*', 'error': (['\"])(.*)\1\}$", re.DOTALL)


class OpenInferenceConvention:
    """Reads spans that carry `openinference.span.kind`."""

    def read(self, span: SpanData) -> SpanReading | None:
        kind = span.attributes.get("openinference.span.kind")
        if kind is None:
            return None
        kind = str(kind).upper()
        if kind == "LLM":
            tool_results = read_tool_results(_flat_messages(span.attributes, _INPUT_PREFIX))
            return SpanReading(step=_model_call(span), tool_results=tool_results)
        if kind == "TOOL":
            return SpanReading(step=_tool_call(span))
        if kind == "AGENT":
            return SpanReading(step=_agent(span))
        if kind == "CHAIN":
            return SpanReading(workflow=True, output=final_output(span.attributes.get("output.value")))
        return SpanReading()


def _model_call(span: SpanData) -> ModelCall:
    attributes = span.attributes
    messages = _output_messages(attributes)
    return ModelCall(
        model=first_str(attributes, "llm.model_name"),
        provider=first_str(attributes, "llm.provider", "llm.system"),
        tokens=TokenUsage(
            input=first_int(attributes, "llm.token_count.prompt"),
            output=first_int(attributes, "llm.token_count.completion"),
            cache_read=first_int(attributes, "llm.token_count.prompt_details.cache_read"),
            cache_write=first_int(attributes, "llm.token_count.prompt_details.cache_write"),
            reasoning=first_int(attributes, "llm.token_count.completion_details.reasoning"),
        ),
        finish_reason=first_str(attributes, "llm.finish_reason") or messages.finish_reason,
        tool_requests=messages.tool_requests,
        output_text=messages.text,
        cost=first_float(attributes, "llm.cost.total"),
        error=span_error(span),
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )


def _output_messages(attributes: Mapping[str, Any]) -> MessagesRead:
    """Flattened `llm.output_messages.N.message.*` when present, else the raw `output.value`."""
    messages = _flat_messages(attributes, _OUTPUT_PREFIX)
    if messages:
        return read_messages(messages)
    output = parse_json(attributes.get("output.value"))
    return MessagesRead(text=output) if isinstance(output, str) else read_messages(output)


def _flat_messages(attributes: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Flattened OpenInference messages under `prefix`, rebuilt in the OpenAI message shape."""
    flat = {key[len(prefix) :]: value for key, value in attributes.items() if key.startswith(prefix)}
    messages = []
    for entry in _as_list(_unflatten(flat)) if flat else []:
        message = dict(_field(entry, "message"))
        contents = [_field(item, "message_content") for item in _as_list(message.pop("contents", None))]
        if message.get("content") is None and contents:
            message["content"] = contents
        message["tool_calls"] = [_field(item, "tool_call") for item in _as_list(message.get("tool_calls"))]
        messages.append(message)
    return messages


def _field(value: Any, key: str) -> Mapping[str, Any]:
    inner = value.get(key) if isinstance(value, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _unflatten(flat: Mapping[str, Any]) -> Any:
    """`{"0.message.role": "x"}` -> `[{"message": {"role": "x"}}]`: digit keys become lists."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = value
    return _listify(tree)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    return {key: _listify(value) for key, value in node.items()}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _tool_call(span: SpanData) -> ToolCall:
    attributes = span.attributes
    result = parse_json(attributes.get("output.value"))
    message = _tool_message(result)
    error = _agents_sdk_tool_error(span_error(span))
    call_id = first_str(attributes, "tool.id")
    if message is not None:  # a LangChain ToolMessage
        result = message.get("content")
        call_id = call_id or first_str(message, "tool_call_id")
        if error is None and message.get("status") == "error":
            error = ErrorInfo(type="ToolError", message=str(result))
    return ToolCall(
        name=first_str(attributes, "tool.name") or span.name,
        arguments=_tool_arguments(attributes.get("input.value")),
        result=result,
        call_id=call_id,
        error=error,
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )


def _agents_sdk_tool_error(error: ErrorInfo | None) -> ErrorInfo | None:
    """The tool's own message out of the Agents SDK's status description (the exception type is not kept)."""
    match = _AGENTS_SDK_TOOL_ERROR.match(error.message) if error is not None else None
    return ErrorInfo(type="Error", message=match.group(2)) if match else error


def _tool_arguments(value: Any) -> Any:
    arguments = parse_json(value)
    if (
        isinstance(arguments, Mapping)
        and "kwargs" in arguments
        and set(arguments) <= _SMOLAGENTS_WRAPPER_KEYS
    ):
        positional, keywords = arguments.get("args") or [], arguments.get("kwargs") or {}
        return keywords if keywords or not positional else positional
    return arguments


def _tool_message(value: Any) -> Mapping[str, Any] | None:
    """The fields of a serialized LangChain ToolMessage (`{"type": "tool", "data": {...}}` or lc form)."""
    if not isinstance(value, Mapping):
        return None
    if value.get("type") == "tool" and isinstance(value.get("data"), Mapping):
        data: Mapping[str, Any] = value["data"]
        return data
    ids = value.get("id")
    if (
        isinstance(ids, list)
        and ids
        and ids[-1] == "ToolMessage"
        and isinstance(value.get("kwargs"), Mapping)
    ):
        kwargs: Mapping[str, Any] = value["kwargs"]
        return kwargs
    return None


def _agent(span: SpanData) -> AgentStep:
    attributes = span.attributes
    # smolagents puts aggregated llm.token_count.* on its AGENT span: never read here.
    return AgentStep(
        name=first_str(attributes, "agent.name", "graph.node.id") or span.name,
        output=final_output(attributes.get("output.value")),
        error=span_error(span),
        duration_ms=span.duration_ms,
        span_id=span.span_id,
        parent_id=span.parent_id,
    )


def final_output(value: Any) -> Any:
    """An AGENT/CHAIN `output.value`: CrewAI's `raw`, a LangGraph state's last message text, or the value."""
    output = parse_json(value)
    if not isinstance(output, Mapping):
        return output
    if "raw" in output:
        return output["raw"]
    messages = output.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, str) and messages:
        return _message_content(messages[-1])
    return output


def _message_content(message: Any) -> Any:
    if not isinstance(message, Mapping):
        return message
    for holder in (message, message.get("data"), message.get("kwargs")):
        if isinstance(holder, Mapping) and "content" in holder:
            return holder["content"]
    return message
