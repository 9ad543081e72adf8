"""A fake OpenAI chat.completions server on 127.0.0.1 for offline framework tests.

Each reply depends only on the request's messages, so concurrent conversations never mix: a user turn
gets a call of the first declared tool with the user's text as its first argument; a turn that ends in
tool results gets the final answer "<tool results joined by '; '>"; the user text "crash" gets HTTP 500.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

MODEL = "fake-gpt"
CRASH_PROMPT = "crash"  # answered with HTTP 500
# (prompt, completion, cached) tokens for the tool-call turn and the final turn.
TOOL_TURN_USAGE = (22, 7, 4)
FINAL_TURN_USAGE = (40, 9, 4)


def reply(request: dict[str, Any]) -> dict[str, Any]:
    """The chat.completions response for one request body."""
    messages = request.get("messages") or []
    tools = request.get("tools") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool" or not tools:
        results = [_text(m.get("content")) for m in _trailing_tool_messages(messages)]
        message: dict[str, Any] = {"role": "assistant", "content": "; ".join(results) or _last_user_text(messages)}
        return _completion(request, message, "stop", FINAL_TURN_USAGE)
    function = tools[0]["function"]
    parameters = list((function.get("parameters") or {}).get("properties") or {})
    argument = parameters[0] if parameters else "input"
    call_id = f"call_{len(messages)}_{zlib.crc32(_last_user_text(messages).encode()):08x}"
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{
            "id": call_id,
            "type": "function",
            "function": {"name": function["name"], "arguments": json.dumps({argument: _last_user_text(messages)})},
        }],
    }
    return _completion(request, message, "tool_calls", TOOL_TURN_USAGE)


def _completion(request: dict[str, Any], message: dict[str, Any], finish: str,
                usage: tuple[int, int, int]) -> dict[str, Any]:
    prompt, completion, cached = usage
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": request.get("model") or MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def _trailing_tool_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    trailing: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        trailing.insert(0, message)
    return trailing


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    return next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


class LoopbackServer(ThreadingHTTPServer):
    """An OpenAI-compatible server on 127.0.0.1 (`port` 0: an ephemeral one); `url` is its base URL."""

    daemon_threads = True
    request_queue_size = 64  # the default 5 drops connections when ten conversations open at once

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self.lock = threading.Lock()


class JsonHandler(BaseHTTPRequestHandler):
    """Reads a JSON request body and answers JSON, silently (the test output stays clean)."""

    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")

    def send_json(self, status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeOpenAIServer(LoopbackServer):
    """The server; `in_flight["peak"]` is the most requests it answered at once."""

    def __init__(self, delay: float) -> None:
        super().__init__(_Handler)
        self.delay = delay
        self.in_flight = {"now": 0, "peak": 0}


class _Handler(JsonHandler):
    server: FakeOpenAIServer

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_error(404, f"the fake server only answers /v1/chat/completions, not {self.path}")
            return
        body = self.read_json()
        if body.get("stream"):
            self.send_error(400, "the fake server does not stream")
            return
        if _last_user_text(body.get("messages") or []) == CRASH_PROMPT:
            self.send_json(500, {"error": {"message": "the model is down", "type": "server_error"}})
            return
        with self.server.lock:
            in_flight = self.server.in_flight
            in_flight["now"] += 1
            in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.in_flight["now"] -= 1
        self.send_json(200, reply(body))


Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve `server` in a daemon thread until the block ends, then shut it down and close its socket."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=type(server).__name__, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serve(delay: float = 0.0) -> contextlib.AbstractContextManager[FakeOpenAIServer]:
    """Serve on an ephemeral port in a thread, each reply `delay` seconds late."""
    return serving(FakeOpenAIServer(delay))


if __name__ == "__main__":  # `python tests/fake_openai_server.py` serves until Ctrl+C
    with serve() as running:
        print(running.url, flush=True)
        threading.Event().wait()
