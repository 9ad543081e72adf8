"""What one `llm_judge` verdict (and one order of a `pairwise_judge`) costs: the real request pydantic-ai's OpenAI
model sends for a realistic rubric and answer (captured by a server on 127.0.0.1), its tokens counted with the
o200k_base encoding (gpt-4o family), priced by genai-prices. Counts the text of the messages and of the verdict tool's
JSON schema; OpenAI adds a few tokens per message and renders tool schemas its own way, so the billed input is within
a few dozen tokens of this.

    pip install bpe-openai  # the o200k_base tokenizer, offline (without it: characters / 4)
    python benchmarks/judge_cost.py
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
from http.server import ThreadingHTTPServer
from typing import Any

from genai_prices import Usage, calc_price
from harness import QuietJsonHandler, serving
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from pytest_agenteval.judges import llm_judge, pairwise_judge
from pytest_agenteval.judges.variant_pairs import asked
from pytest_agenteval.scoring.core import ScoreContext
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ModelCall, ToolCall, ToolRequest, Trace

RUBRIC = ("The answer gives the current weather for the city the user asked about, including the temperature with "
          "its unit and whether it will rain; it does not invent data the tools did not return, and it is polite "
          "and at most a short paragraph.")
QUESTION = "What's the weather like in Lyon right now? I'm deciding whether to bike to work."
ANSWER = ("Right now in Lyon it is 14 °C and overcast, with a light breeze from the north-west at 12 km/h. "
          "The forecast shows a 20% chance of light rain this afternoon, mostly after 4 pm, so a morning ride "
          "should stay dry. If you ride home later, a light rain jacket would be a good idea. Humidity is 71% "
          "and visibility is good, so conditions are fine for cycling this morning.")
REFERENCE = {"city": "Lyon", "temperature_c": 14, "rain_chance": 0.2}
TRACE = Trace(steps=(
    ModelCall(model="gpt-4o-mini", tool_requests=(ToolRequest("get_weather"), ToolRequest("get_forecast"))),
    ToolCall("get_weather", {"city": "Lyon"}, result={"temp_c": 14, "sky": "overcast", "wind_kmh": 12}),
    ToolCall("get_forecast", {"city": "Lyon"}, result={"rain_chance": 0.2, "after": "16:00"}),
    ModelCall(model="gpt-4o-mini")))
VERDICT = {"reason": "It gives Lyon's temperature in °C and the chance of rain, matches the tools' data, and is "
                     "one polite paragraph.", "passed": True}


PAIR_VERDICT = {"reason": "The first gives Lyon's temperature and the chance of rain; the second gives neither.",
                "better": "first"}
OTHER_ANSWER = "It's probably fine to bike today, Lyon is usually mild this time of year. Have a nice ride!"


class Capture(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict[str, Any]] = []


class _Handler(QuietJsonHandler):
    server: Capture

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        function = body["tools"][0]["function"]
        properties = function["parameters"]["properties"]
        verdict: dict[str, Any] = {**VERDICT, "score": 5} if "score" in properties else VERDICT
        verdict = PAIR_VERDICT if "better" in properties else verdict
        call = {"id": "c1", "type": "function", "function": {"name": function["name"],
                                                             "arguments": json.dumps(verdict, ensure_ascii=False)}}
        self.send_json({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "tool_calls",
                                     "message": {"role": "assistant", "content": None, "tool_calls": [call]}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})


def capturing() -> contextlib.AbstractContextManager[Capture]:
    return serving(Capture())


def counter() -> tuple[str, Any]:
    try:
        bpe_openai = importlib.import_module("bpe_openai")
    except ImportError:
        return "characters / 4 (pip install bpe-openai for o200k_base)", lambda text: round(len(text) / 4)
    encoding = bpe_openai.get_encoding("o200k_base")
    return "o200k_base", lambda text: len(encoding.encode(text))


def request_tokens(body: dict[str, Any], count: Any) -> int:
    texts = [str(message.get("content")) for message in body["messages"]]
    texts += [json.dumps(tool["function"], ensure_ascii=False) for tool in body.get("tools", [])]
    return int(sum(count(text) for text in texts)) + 3 * len(body["messages"]) + 3  # OpenAI's per-message framing


def main() -> None:
    how, count = counter()
    output_tokens = count(json.dumps(VERDICT, ensure_ascii=False))
    rows = []
    for label, options in [("rubric + input + output", {}),
                           ("+ reference", {"include_reference": True}),
                           ("+ reference + trace (4 steps)", {"include_reference": True, "include_trace": True}),
                           ("+ reference, scale 1-5", {"include_reference": True, "scale": (1, 5), "threshold": 4})]:
        with capturing() as server:
            model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(
                base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="sk-none"))
            judge = llm_judge(RUBRIC, model=model, key="weather", **options)  # type: ignore[arg-type]
            task = Task("lyon", {"input": QUESTION}, reference_outputs=REFERENCE)
            asyncio.run(judge.score(ScoreContext(task=task, outputs={"body": ANSWER}, trace=TRACE)))
            (body,) = server.bodies
        rows.append((label, request_tokens(body, count), output_tokens))
    with capturing() as server:  # a pairwise judge: one request per order, two per pair
        model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(
            base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="sk-none"))
        pair = pairwise_judge(RUBRIC, model=model, key="weather")
        asyncio.run(asked(pair, QUESTION, ANSWER, OTHER_ANSWER))
        (body,) = server.bodies
    pair_output = count(json.dumps(PAIR_VERDICT, ensure_ascii=False))
    rows.append(("pairwise, one order (x2 per pair)", request_tokens(body, count), pair_output))
    print(f"tokens counted with {how}; verdict output {output_tokens} tokens")
    print(f"{'judge shows':<34}{'input':>7}{'output':>8}{'gpt-4o-mini $':>15}{'gpt-4o $':>11}{'per 1,000 (mini)':>18}")
    for label, input_tokens, out in rows:
        usage = Usage(input_tokens=input_tokens, output_tokens=out)
        mini = float(calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price)
        full = float(calc_price(usage, "gpt-4o", provider_id="openai").total_price)
        print(f"{label:<34}{input_tokens:>7}{out:>8}{mini:>15.6f}{full:>11.5f}{mini * 1000:>18.3f}")


if __name__ == "__main__":
    main()
