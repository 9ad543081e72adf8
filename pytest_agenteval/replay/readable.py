"""The cassette file: vcrpy's JSON, made readable in review and stable across runs.

JSON bodies are stored as JSON (pretty-printed with the file), server-sent event streams as their list of
events; on load both become the bytes a client reads again (JSON compact, events joined as they came).
"""

from __future__ import annotations

import json
from typing import Any

EVENT_STREAM = "text/event-stream"
EVENT_SEPARATOR = "\n\n"


def serialize(cassette: dict[str, Any]) -> str:
    """vcrpy's cassette dict (bodies already text) to the file's text."""
    readable = {**cassette, "interactions": [_readable(each) for each in cassette["interactions"]]}
    return json.dumps(readable, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def deserialize(text: str) -> dict[str, Any]:
    """The file's text to vcrpy's cassette dict."""
    data: dict[str, Any] = json.loads(text)
    data["interactions"] = [_raw(each) for each in data.get("interactions", [])]
    return data


def _readable(interaction: dict[str, Any]) -> dict[str, Any]:
    request, response = dict(interaction["request"]), dict(interaction["response"])
    request["body"] = _readable_body(request.get("body"), _content_type(request.get("headers")))
    body = dict(response.get("body") or {})
    body_text = body.pop("string", None)
    response["body"] = {**body, **_readable_body(body_text, _content_type(response.get("headers")))}
    return {"request": request, "response": response}


def _readable_body(text: Any, content_type: str) -> Any:
    if not isinstance(text, str) or not text:
        return {"string": text}
    if EVENT_STREAM in content_type:
        return {"events": text.split(EVENT_SEPARATOR)}
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return {"string": text}


def _raw(interaction: dict[str, Any]) -> dict[str, Any]:
    request, response = dict(interaction["request"]), dict(interaction["response"])
    request["body"] = _raw_body(request.get("body"))
    body = dict(response.get("body") or {})
    response["body"] = {**{k: v for k, v in body.items() if k not in ("json", "events")},
                        "string": _raw_body(body)}
    return {"request": request, "response": response}


def _raw_body(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    if "events" in body:
        return EVENT_SEPARATOR.join(body["events"])
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False, separators=(",", ":"))
    return body.get("string")


def _content_type(headers: Any) -> str:
    if not isinstance(headers, dict):
        return ""
    for name, value in headers.items():
        if name.lower() == "content-type":
            return " ".join(value) if isinstance(value, list) else str(value)
    return ""
