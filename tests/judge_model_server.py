"""An OpenAI-compatible judge on 127.0.0.1: it reads the `<output>` of the judge prompt and answers a verdict.

The output passes when it says "sunny"; of a pairwise prompt's `<first>` and `<second>`, the one saying it wins. A
request with tools gets a call of the first tool (pydantic-ai's output tool) with `{"reason", "passed"}` (pairwise:
`{"reason", "better"}`); a request with a JSON `response_format` (openevals) gets `{"reasoning", "score"}` as the
message text. An output holding "garble" gets a cut-off verdict unless the prompt names a later attempt (pairwise:
always).
Every answer costs 250 prompt and 30 completion tokens. Imported by the judge tests.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from .fake_openai_server import JsonHandler, LoopbackServer, serving

PROMPT_TOKENS, COMPLETION_TOKENS = 250, 30


def judge_output(prompt: str) -> str:
    return prompt.split("<output>", 1)[-1].split("</output>", 1)[0]


def pairwise_verdict(prompt: str) -> dict[str, str]:
    """A pairwise judge's verdict: the answer that says "sunny" is better, if only one does."""
    first = "sunny" in prompt.split("<first>", 1)[-1].split("</first>", 1)[0]
    second = "sunny" in prompt.split("<second>", 1)[-1].split("</second>", 1)[0]
    better = "tie" if first == second else "first" if first else "second"
    return {"reason": f"{better}: it gives the weather" if better != "tie" else "alike", "better": better}


class JudgeServer(LoopbackServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.prompts: list[str] = []


class _Handler(JsonHandler):
    server: JudgeServer

    def do_POST(self) -> None:
        body = self.read_json()
        prompt = "\n".join(str(m.get("content")) for m in body["messages"] if m.get("role") == "user")
        with self.server.lock:
            self.server.prompts.append(prompt)
        output = judge_output(prompt)
        passed = "sunny" in output
        reason = "it gives the weather" if passed else "it gives no weather"
        message: dict[str, Any]
        if body.get("tools"):
            arguments = json.dumps({"reason": reason, "passed": passed})
            if "<first>" in prompt:  # a pairwise judge: the answer that says "sunny" is better; "garble": cut off
                arguments = '{"reason": "it gives' if "garble" in prompt else json.dumps(pairwise_verdict(prompt))
            if "garble" in output and "<attempt>" not in prompt:
                arguments = '{"reason": "it gives the wea'
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{len(self.server.prompts)}", "type": "function",
                "function": {"name": body["tools"][0]["function"]["name"], "arguments": arguments}}]}
        else:
            message = {"role": "assistant", "content": json.dumps({"reasoning": reason, "score": passed})}
        self.send_json(200, {
            "id": "chatcmpl-judge", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if body.get("tools") else "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
        })


def serve(port: int = 0) -> contextlib.AbstractContextManager[JudgeServer]:
    """Serve on `port` (0: an ephemeral one) until the block ends."""
    return serving(JudgeServer(port))
