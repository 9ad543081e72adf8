"""The work every benchmark runs: the agent and the three scorers, the same for all runners.

Copied into each temp project. Set by environment: BENCH_LATENCY (seconds the agent sleeps),
BENCH_SPANS (spans it emits per task), BENCH_URL (the agent POSTs its input there with httpx and answers
the reply's "answer", for record/replay), BENCH_SCORER_CPU_MS (milliseconds of CPU `exact_match` burns per
call, for CPU-bound scoring). AG2 is imported only by the `ag2_*` functions.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import TracerProvider

ANSWER = "ok"
LATENCY = float(os.environ.get("BENCH_LATENCY", "0"))
SPANS = int(os.environ.get("BENCH_SPANS", "0"))
SCORER_CPU_S = float(os.environ.get("BENCH_SCORER_CPU_MS", "0")) / 1000
SPAN_PAYLOAD = "x" * 200  # an attribute about the size of a short prompt fragment


URL = os.environ.get("BENCH_URL")
_HTTP: list[Any] = []  # one httpx.AsyncClient per process, made on first use


async def agent(text: str) -> str:
    """Sleeps BENCH_LATENCY seconds (an LLM call's wait), emits BENCH_SPANS spans, answers; with BENCH_URL it asks
    that server instead (one HTTP call)."""
    if URL:
        if not _HTTP:
            import httpx

            _HTTP.append(httpx.AsyncClient())
        reply = await _HTTP[0].post(URL, json={"input": text})
        return str(reply.json()["answer"])
    if LATENCY:
        await asyncio.sleep(LATENCY)
    if SPANS:
        emit_spans(SPANS)
    return ANSWER


def emit_spans(count: int) -> None:
    """Nested work spans under the current task, as an instrumented framework would emit."""
    tracer = trace.get_tracer("agenteval-bench")
    with tracer.start_as_current_span("bench.turn"):
        for index in range(count - 1):
            with tracer.start_as_current_span("bench.step", attributes={"bench.index": index,
                                                                        "bench.payload": SPAN_PAYLOAD}):
                pass


def burn_cpu(seconds: float) -> None:
    """Busy-loop until this thread has used `seconds` of CPU (thread time: other threads do not count)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def exact_match(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> bool:
    """The answer equals the reference; first burns BENCH_SCORER_CPU_MS of CPU when that is set."""
    if SCORER_CPU_S:
        burn_cpu(SCORER_CPU_S)
    return outputs.get("body") == reference_outputs.get("answer")


def contains_answer(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> bool:
    return str(reference_outputs.get("answer", "")) in str(outputs.get("body", ""))


def short_answer(outputs: Mapping[str, Any]) -> bool:
    return len(str(outputs.get("body", ""))) <= 200


SCORERS: tuple[Callable[..., bool], ...] = (exact_match, contains_answer, short_answer)


def score_all(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> bool:
    """The three scorers called directly, as a plain pytest test would."""
    return (exact_match(outputs, reference_outputs) and contains_answer(outputs, reference_outputs)
            and short_answer(outputs))


def ag2_agent() -> Any:
    """An AG2 Agent on a scripted TestConfig whose model call waits BENCH_LATENCY seconds, then says ANSWER."""
    from ag2 import Agent

    return Agent("bench", config=ag2_config())


def ag2_model_configs(task_ids: Iterable[str]) -> dict[str, Any]:
    """One scripted config per task id, for `model_config=` / `eval_model_config` with a bare `Agent("bench")`."""
    return {task_id: ag2_config() for task_id in task_ids}


def ag2_config() -> Any:
    """A TestConfig whose model call waits BENCH_LATENCY seconds, then says ANSWER."""
    from ag2 import Context
    from ag2.events import ModelResponse
    from ag2.testing import TestClient, TestConfig

    class WaitingClient(TestClient):
        async def __call__(self, messages: Any, context: Context, **kwargs: Any) -> ModelResponse:
            if LATENCY:
                await asyncio.sleep(LATENCY)
            return await super().__call__(messages, context, **kwargs)

    class WaitingConfig(TestConfig):
        def create(self) -> TestClient:  # a fresh script per task, as TestConfig does
            return WaitingClient(*self.events)

    return WaitingConfig(ANSWER)


def ag2_scorers() -> list[Any]:
    from ag2.eval import scorer

    return [scorer(each) for each in SCORERS]


def memory_provider() -> TracerProvider:
    """An SDK provider keeping spans in memory, as AG2's runner makes for each task."""
    from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = SDKTracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return provider


def ag2_call_for_plugin(provider: TracerProvider) -> Callable[[str], Awaitable[str]]:
    """The same AG2 agent for the plugin, traced by AG2's TelemetryMiddleware on the plugin's provider."""
    from ag2.middleware.builtin import TelemetryMiddleware

    bench_agent = ag2_agent()
    telemetry = TelemetryMiddleware(tracer_provider=provider,  # type: ignore[arg-type]  # any provider works
                                    agent_name=bench_agent.name, capture_content=True)

    async def call(text: str) -> str:
        reply = await bench_agent.ask(text, middleware=[telemetry])
        return str(reply.body)

    return call
