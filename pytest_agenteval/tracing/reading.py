"""What a convention reads from one span, and the tolerant value readers both conventions share.

Pure functions over `SpanData` and plain values; imports nothing from OpenTelemetry or pytest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_agenteval.tracing.model import ErrorInfo, SpanData, Step, ToolRequest

_TYPED_MESSAGE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout)):\s*(.*)$", re.DOTALL
)
_CLASS_REPR = re.compile(r"^<class '([\w.]+)'>$")


@dataclass(frozen=True, slots=True)
class SpanReading:
    """One span as a convention understood it; `step` None means "this dialect, but not a step"."""

    step: Step | None = None
    workflow: bool = False  # a workflow/chain span: not a step, but `output` may be the run's output
    output: Any = None
    tool_results: Mapping[str, Any] = field(default_factory=dict)  # call id -> result, from input messages


@dataclass(frozen=True, slots=True)
class MessagesRead:
    """Text, tool requests and finish reason found in a model's output messages."""

    text: str | None = None
    tool_requests: tuple[ToolRequest, ...] = ()
    finish_reason: str | None = None


def parse_json(value: Any) -> Any:
    """Decode a string that looks like a JSON object or array; return anything else unchanged."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def first(attributes: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key present (and not None)."""
    for key in keys:
        value = attributes.get(key)
        if value is not None:
            return value
    return None


def first_str(attributes: Mapping[str, Any], *keys: str) -> str | None:
    value = first(attributes, *keys)
    return None if value is None else str(value)


def first_int(attributes: Mapping[str, Any], *keys: str) -> int:
    """The first key's value as an int; 0 when absent or not a number."""
    value = first(attributes, *keys)
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return 0
    return 0


def first_float(attributes: Mapping[str, Any], *keys: str) -> float | None:
    value = first(attributes, *keys)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def short_type(name: str) -> str:
    """`openai.InternalServerError` or `<class 'openai.InternalServerError'>` -> `InternalServerError`."""
    match = _CLASS_REPR.match(name.strip())
    return (match.group(1) if match else name.strip()).rsplit(".", 1)[-1]


def span_error(span: SpanData) -> ErrorInfo | None:
    """An ERROR span's error: its last `exception` event, else `error.type` and the status description."""
    if span.status != "ERROR":
        return None
    for event in reversed(span.events):
        if event.name == "exception":
            kind = event.attributes.get("exception.type")
            message = event.attributes.get("exception.message")
            return ErrorInfo(
                type=short_type(str(kind)) if kind else "Error",
                message=str(message) if message is not None else (span.status_description or ""),
            )
    description = span.status_description or ""
    error_type = span.attributes.get("error.type")
    if error_type:
        return ErrorInfo(type=short_type(str(error_type)), message=description)
    match = _TYPED_MESSAGE.match(description)
    if match:
        return ErrorInfo(type=short_type(match.group(1)), message=match.group(2))
    return ErrorInfo(type="Error", message=description)


def read_messages(value: Any) -> MessagesRead:
    """Read output messages in the GenAI parts format or the OpenAI format, as JSON or structured."""
    messages = _as_messages(parse_json(value))
    texts: list[str] = []
    requests: list[ToolRequest] = []
    finish_reason: str | None = None
    for message in messages:
        if message.get("role", "assistant") not in ("assistant", "model", "ai"):
            continue
        texts.extend(_message_texts(message))
        requests.extend(_message_tool_requests(message))
        if message.get("finish_reason") is not None:
            finish_reason = str(message["finish_reason"])
    return MessagesRead("\n".join(texts) if texts else None, tuple(requests), finish_reason)


def read_tool_results(value: Any) -> dict[str, Any]:
    """Tool results by call id in input messages: `tool_call_response` parts (`response` or `result`)
    or OpenAI-style `role: tool` messages."""
    results: dict[str, Any] = {}
    for message in _as_messages(parse_json(value)):
        for part in _iter_mappings(message.get("parts")):
            if part.get("type") == "tool_call_response" and part.get("id") is not None:
                results[str(part["id"])] = parse_json(first(part, "response", "result"))
        if message.get("role") == "tool" and message.get("tool_call_id") is not None:
            results[str(message["tool_call_id"])] = parse_json(message.get("content"))
    return results


def _as_messages(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        choices = value.get("choices")
        if isinstance(choices, Sequence) and not isinstance(choices, str):  # an OpenAI response body
            return [_choice_message(choice) for choice in choices if isinstance(choice, Mapping)]
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [item for item in map(parse_json, value) if isinstance(item, Mapping)]
    return []


def _choice_message(choice: Mapping[str, Any]) -> Mapping[str, Any]:
    message = dict(choice.get("message") or {})
    message.setdefault("finish_reason", choice.get("finish_reason"))
    return message


def _message_texts(message: Mapping[str, Any]) -> list[str]:
    texts: list[str] = []
    for part in _iter_mappings(message.get("parts")):
        if part.get("type") == "text" and part.get("content") is not None:
            texts.append(str(part["content"]))
    content = message.get("content")
    if isinstance(content, str) and content:
        texts.append(content)
    for part in _iter_mappings(content):
        if part.get("type") in ("text", "output_text") and part.get("text") is not None:
            texts.append(str(part["text"]))
    return texts


def _message_tool_requests(message: Mapping[str, Any]) -> list[ToolRequest]:
    requests = [
        ToolRequest(str(part.get("name")), parse_json(part.get("arguments")), _opt_str(part.get("id")))
        for part in _iter_mappings(message.get("parts"))
        if part.get("type") == "tool_call"
    ]
    for call in _iter_mappings(message.get("tool_calls")):
        function = call.get("function")
        source = function if isinstance(function, Mapping) else call
        requests.append(
            ToolRequest(
                str(source.get("name")), parse_json(source.get("arguments")), _opt_str(call.get("id"))
            )
        )
    return requests


def _iter_mappings(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
