"""Shared by the framework tests: run an agent the way the plugin does (adapter, TaskTracer, build_trace)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pytest_agenteval.agents.calls import adapt_agent, normalize_outputs
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.capture import CapturedRun, TaskTracer
from pytest_agenteval.tracing.model import ErrorInfo, Trace


async def run_traced(agent: Any, prompts: Sequence[str],
                     tracer: TaskTracer | None = None) -> list[tuple[CapturedRun, Trace]]:
    """Run `agent` on every prompt at once, each under its own root span, and rebuild each trace."""
    tracer = tracer or TaskTracer()
    try:
        call = adapt_agent(agent, provider=tracer.provider)

        async def one(index: int, prompt: str) -> tuple[CapturedRun, Trace]:
            task = Task(task_id=f"t{index}", inputs={"input": prompt})
            captured = await tracer.run(lambda: call(task))
            outputs = normalize_outputs(captured.output) if captured.exception is None else {}
            exception = None if captured.exception is None else ErrorInfo.from_exception(captured.exception)
            trace = build_trace(captured.spans, input=prompt, output=outputs.get("content"), exception=exception,
                                duration_ms=captured.duration_ms, trace_id=captured.trace_id)
            return captured, trace

        return list(await asyncio.gather(*(one(i, prompt) for i, prompt in enumerate(prompts))))
    finally:
        tracer.close()
