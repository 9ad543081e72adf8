"""An OpenAI-compatible judge on 127.0.0.1: it reads the `<output>` of the judge prompt and answers a verdict.

The output passes when it says "sunny". A request with tools gets a call of the first tool (pydantic-ai's output
tool) with `{"reason", "passed"}`; a request with a JSON `response_format` (openevals) gets `{"reasoning", "score"}`
as the message text. An output holding "garble" gets a cut-off verdict unless the prompt names a later attempt.
Every answer costs 250 prompt and 30 completion tokens. Imported by the judge tests.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .fake_openai_server import serving

PROMPT_TOKENS, COMPLETION_TOKENS = 250, 30


def judge_output(prompt: str) -> str:
    return prompt.split("<output>", 1)[-1].split("</output>", 1)[0]


class JudgeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self.prompts: list[str] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: JudgeServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        prompt = "\n".join(str(m.get("content")) for m in body["messages"] if m.get("role") == "user")
        with self.server.lock:
            self.server.prompts.append(prompt)
        output = judge_output(prompt)
        passed = "sunny" in output
        reason = "it gives the weather" if passed else "it gives no weather"
        message: dict[str, Any]
        if body.get("tools"):
            arguments = json.dumps({"reason": reason, "passed": passed})
            if "garble" in output and "<attempt>" not in prompt:
                arguments = '{"reason": "it gives the wea'
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{len(self.server.prompts)}", "type": "function",
                "function": {"name": body["tools"][0]["function"]["name"], "arguments": arguments}}]}
        else:
            message = {"role": "assistant", "content": json.dumps({"reasoning": reason, "score": passed})}
        payload = json.dumps({
            "id": "chatcmpl-judge", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if body.get("tools") else "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(port: int = 0) -> contextlib.AbstractContextManager[JudgeServer]:
    """Serve on `port` (0: an ephemeral one) until the block ends."""
    return serving(JudgeServer(port))
