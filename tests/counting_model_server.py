"""An OpenAI-compatible chat.completions server on 127.0.0.1 whose every answer is new: "<prompt> #<n>",
n counting the requests it has answered (so a replayed answer is told from a live one). With `stream=True`
it answers as server-sent events, one chunk per word. Imported by tests/test_replay.py."""

from __future__ import annotations

import contextlib
import json

from .fake_openai_server import JsonHandler, LoopbackServer, serving


class CountingServer(LoopbackServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.answered = 0

    def next_number(self) -> int:
        with self.lock:
            self.answered += 1
            return self.answered


class _Handler(JsonHandler):
    server: CountingServer

    def do_POST(self) -> None:
        body = self.read_json()
        prompt = str(body["messages"][-1]["content"])
        answer = f"{prompt} #{self.server.next_number()}"
        if body.get("stream"):
            self._stream(answer, body.get("model", "m"))
            return
        self.send_json(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }, headers=(("Set-Cookie", "session=server-cookie-value"),))

    def _stream(self, answer: str, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = answer.split(" ")
        for index, word in enumerate(words):
            chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                     "choices": [{"index": 0, "delta": {"content": word if index == 0 else " " + word},
                                  "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


def serve(port: int = 0) -> contextlib.AbstractContextManager[CountingServer]:
    """Serve on `port` (0: an ephemeral one) until the block ends."""
    return serving(CountingServer(port))
