"""TaskTracer with real OpenTelemetry SDK spans: routing under concurrency, provider errors, settling.

Each test passes its own TracerProvider, so the process-wide global provider (set once, shared with
pytester runs of the plugin) is touched only by the test that is about it.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from pytest_agenteval.tracing.capture import CapturedRun, TaskTracer, TracingUnavailableError
from pytest_agenteval.tracing.model import SpanEvent


@pytest.fixture
def provider() -> TracerProvider:
    return TracerProvider(shutdown_on_exit=False)


@pytest.fixture
def tracer(provider: TracerProvider) -> Iterator[TaskTracer]:
    task_tracer = TaskTracer(provider=provider)
    yield task_tracer
    task_tracer.close()


def nested_agent(provider: TracerProvider, label: str) -> Callable[[], Awaitable[str]]:
    """An agent that makes a small tree of spans across awaits, all tagged with `label`."""
    otel = provider.get_tracer("fake-agent")

    async def agent() -> str:
        with otel.start_as_current_span("invoke_agent", attributes={"label": label}):
            for step in range(3):
                await asyncio.sleep(0.001)
                with otel.start_as_current_span(f"chat {step}", attributes={"label": label}):
                    await asyncio.sleep(0)
                    with otel.start_as_current_span("execute_tool", attributes={"label": label}):
                        await asyncio.sleep(0)
        return label

    return agent


def labels(run: CapturedRun) -> set[Any]:
    return {span.attributes.get("label") for span in run.spans}


def test_concurrent_asyncio_tasks_capture_only_their_own_spans(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    async def main() -> list[CapturedRun]:
        return await asyncio.gather(*(tracer.run(nested_agent(provider, f"task-{i}")) for i in range(12)))

    runs = asyncio.run(main())

    for i, run in enumerate(runs):
        assert run.output == f"task-{i}"
        assert labels(run) == {f"task-{i}"}
        assert len(run.spans) == 7
        assert {span.trace_id for span in run.spans} == {run.trace_id}
        assert all(span.name != "eval.task" for span in run.spans)
    assert len({run.trace_id for run in runs}) == 12


def test_work_handed_to_a_thread_pool_with_copied_context_is_routed_to_its_task(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    otel = provider.get_tracer("fake-agent")
    pool = ThreadPoolExecutor(max_workers=4)

    def blocking_tool(label: str) -> str:
        with (
            otel.start_as_current_span("execute_tool", attributes={"label": label}),
            otel.start_as_current_span("http", attributes={"label": label}),
        ):
            return threading.current_thread().name

    def agent(label: str) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            return await loop.run_in_executor(pool, context.run, blocking_tool, label)

        return run

    async def main() -> list[CapturedRun]:
        return await asyncio.gather(*(tracer.run(agent(f"task-{i}")) for i in range(10)))

    with pool:
        runs = asyncio.run(main())

    assert all(run.output != threading.main_thread().name for run in runs)
    assert [labels(run) for run in runs] == [{f"task-{i}"} for i in range(10)]
    assert all(len(run.spans) == 2 for run in runs)


def test_a_bare_thread_given_only_the_otel_context_is_routed_by_trace_id(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    otel = provider.get_tracer("fake-agent")

    def worker(parent: Context, label: str) -> None:
        token = otel_context.attach(parent)  # no copy_context: the task's ContextVar is not set here
        try:
            with otel.start_as_current_span("worker", attributes={"label": label}):
                pass
        finally:
            otel_context.detach(token)

    def agent(label: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            thread = threading.Thread(target=worker, args=(otel_context.get_current(), label))
            thread.start()
            await asyncio.to_thread(thread.join)

        return run

    async def main() -> list[CapturedRun]:
        return await asyncio.gather(*(tracer.run(agent(f"task-{i}")) for i in range(10)))

    runs = asyncio.run(main())

    assert [labels(run) for run in runs] == [{f"task-{i}"} for i in range(10)]
    assert all(len(run.spans) == 1 for run in runs)


def test_tasks_run_from_many_threads_at_once_do_not_mix(provider: TracerProvider, tracer: TaskTracer) -> None:
    def one_task(label: str) -> CapturedRun:
        return asyncio.run(tracer.run(nested_agent(provider, label)))

    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(one_task, [f"task-{i}" for i in range(10)]))

    assert [labels(run) for run in runs] == [{f"task-{i}"} for i in range(10)]


def test_a_framework_starting_its_own_root_is_routed_by_the_context_variable(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    otel = provider.get_tracer("framework")

    def agent(label: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await asyncio.sleep(0.001)
            with otel.start_as_current_span("detached root", context=Context(), attributes={"label": label}):
                await asyncio.sleep(0.001)
                with otel.start_as_current_span("child", attributes={"label": label}):
                    await asyncio.sleep(0)

        return run

    async def main() -> list[CapturedRun]:
        return await asyncio.gather(*(tracer.run(agent(f"task-{i}")) for i in range(10)))

    runs = asyncio.run(main())

    for i, run in enumerate(runs):
        assert labels(run) == {f"task-{i}"}
        assert [span.name for span in run.spans] == ["detached root", "child"]
        assert run.spans[0].trace_id != run.trace_id  # a new trace, caught by the fallback
        assert run.spans[0].parent_id is None


def test_root_opens_a_fresh_trace_with_the_given_attributes_even_under_a_current_span(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def main() -> CapturedRun:
        with provider.get_tracer("outer").start_as_current_span("pytest session") as outer:
            run = await tracer.run(
                nested_agent(provider, "x"), attributes={"agenteval.task_id": "weather-paris"}
            )
            assert format(outer.get_span_context().trace_id, "032x") != run.trace_id
            return run

    run = asyncio.run(main())

    (root,) = [span for span in exporter.get_finished_spans() if span.name == "eval.task"]
    assert root.parent is None
    assert root.attributes is not None and root.attributes["agenteval.task_id"] == "weather-paris"
    assert format(root.context.trace_id, "032x") == run.trace_id


def test_an_agent_exception_is_returned_with_its_spans_and_recorded_on_the_root(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    otel = provider.get_tracer("fake-agent")

    async def agent() -> None:
        await asyncio.sleep(0.02)
        with otel.start_as_current_span("execute_tool"):
            raise ValueError("provider exploded")

    run = asyncio.run(tracer.run(agent))

    assert isinstance(run.exception, ValueError)
    assert run.output is None
    assert run.duration_ms >= 20
    (tool,) = run.spans
    assert tool.status == "ERROR"
    assert tool.events[0] == SpanEvent("exception", tool.events[0].attributes)
    assert tool.events[0].attributes["exception.type"] == "ValueError"


def test_cancellation_propagates_and_frees_the_task_buffer(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    async def agent() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(tracer.run(agent))

    router = tracer._router
    assert (router._traces, router._spans) == ({}, {})


def test_buffers_are_dropped_once_runs_return(provider: TracerProvider, tracer: TaskTracer) -> None:
    async def main() -> list[CapturedRun]:
        return await asyncio.gather(*(tracer.run(nested_agent(provider, str(i))) for i in range(5)))

    asyncio.run(main())

    router = tracer._router
    assert (router._traces, router._spans) == ({}, {})


def test_a_span_ending_after_the_task_is_waited_for(provider: TracerProvider, tracer: TaskTracer) -> None:
    otel = provider.get_tracer("fake-agent")
    background: list[asyncio.Task[None]] = []

    async def late_span() -> None:
        with otel.start_as_current_span("fire and forget"):
            await asyncio.sleep(0.05)

    async def main() -> CapturedRun:
        async def agent() -> str:
            background.append(asyncio.create_task(late_span()))
            await asyncio.sleep(0)
            return "done"

        return await tracer.run(agent, settle_seconds=2.0)

    run = asyncio.run(main())

    assert [span.name for span in run.spans] == ["fire and forget"]
    assert run.notes == ()


def test_a_span_still_open_after_settling_is_reported_in_notes(
    provider: TracerProvider, tracer: TaskTracer
) -> None:
    otel = provider.get_tracer("fake-agent")
    background: list[asyncio.Task[None]] = []

    async def main() -> CapturedRun:
        done = asyncio.Event()

        async def hanging() -> None:
            with otel.start_as_current_span("stream consumer"):
                await done.wait()
            with otel.start_as_current_span("late root", context=Context()):
                pass

        async def agent() -> None:
            background.append(asyncio.create_task(hanging()))
            await asyncio.sleep(0)

        run = await tracer.run(agent, settle_seconds=0.02)
        done.set()
        await background[0]
        return run

    run = asyncio.run(main())

    assert run.spans == ()
    assert run.notes == ("1 span(s) still open 0.02 s after the task ended, not captured: 'stream consumer'",)
    assert (tracer._router._traces, tracer._router._spans) == ({}, {})  # late spans leave nothing behind


def test_spans_that_dropped_attributes_are_reported_in_notes() -> None:
    provider = TracerProvider(shutdown_on_exit=False, span_limits=SpanLimits(max_span_attributes=2))
    otel = provider.get_tracer("fake-agent")
    tracer = TaskTracer(provider=provider)

    async def agent() -> None:
        with otel.start_as_current_span(
            "ChatCompletion", attributes={f"llm.input_messages.{i}": i for i in range(5)}
        ):
            pass

    run = asyncio.run(tracer.run(agent))
    tracer.close()

    assert run.spans[0].dropped_attributes == 3
    assert run.notes == (
        "span 'ChatCompletion' dropped 3 attribute(s) over the provider's SpanLimits; "
        "raise max_span_attributes (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) to keep them",
    )


async def never_called() -> None:
    raise AssertionError("the agent must not run when spans cannot be captured")


def test_a_noop_provider_fails_loudly_naming_it_and_the_fix() -> None:
    tracer = TaskTracer(provider=trace.NoOpTracerProvider())

    with pytest.raises(TracingUnavailableError) as excinfo:
        asyncio.run(tracer.run(never_called))

    assert str(excinfo.value) == (
        "the tracer provider is opentelemetry.trace.NoOpTracerProvider, which cannot take a span processor, "
        "so agent spans cannot be captured; configure an opentelemetry.sdk.trace.TracerProvider (or logfire) "
        "instead"
    )


def test_a_sampler_that_drops_the_root_fails_loudly_naming_the_sampler() -> None:
    tracer = TaskTracer(provider=TracerProvider(sampler=ALWAYS_OFF, shutdown_on_exit=False))

    with pytest.raises(
        TracingUnavailableError, match=r"sampler AlwaysOffSampler drops spans; use an always-on"
    ):
        asyncio.run(tracer.run(never_called))

    assert tracer._router._traces == {}


def test_otel_sdk_disabled_fails_loudly(monkeypatch: pytest.MonkeyPatch, provider: TracerProvider) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    tracer = TaskTracer(provider=provider)

    with pytest.raises(
        TracingUnavailableError, match=r"^OTEL_SDK_DISABLED=true turns OpenTelemetry off.*unset"
    ):
        asyncio.run(tracer.run(never_called))


def test_a_closed_tracer_is_inert_and_leaves_the_provider(provider: TracerProvider) -> None:
    otel = provider.get_tracer("fake-agent")
    first = TaskTracer(provider=provider)
    asyncio.run(first.run(nested_agent(provider, "a")))
    router = first._router
    first.close()

    second = TaskTracer(provider=provider)
    run = asyncio.run(second.run(nested_agent(provider, "b")))
    second.close()

    assert labels(run) == {"b"}
    assert router not in provider._active_span_processor._span_processors
    with otel.start_as_current_span("after close"):
        pass
    assert (router._traces, router._spans) == ({}, {})


class ProcessorProxy(trace.TracerProvider):
    """Like logfire's proxy: not an SDK TracerProvider, but it accepts span processors."""

    def __init__(self, inner: TracerProvider) -> None:
        self.inner = inner

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return self.inner.get_tracer(*args, **kwargs)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        self.inner.add_span_processor(span_processor)


def test_a_provider_proxy_that_accepts_span_processors_is_used(provider: TracerProvider) -> None:
    tracer = TaskTracer(provider=ProcessorProxy(provider))

    run = asyncio.run(tracer.run(nested_agent(provider, "proxied")))
    tracer.close()

    assert isinstance(tracer.provider, ProcessorProxy)
    assert labels(run) == {"proxied"}


def test_the_global_provider_is_attached_lazily_and_reused_by_a_later_session() -> None:
    earlier = TaskTracer()
    asyncio.run(earlier.run(nested_agent_on_global("earlier")))
    earlier.close()

    later = TaskTracer()
    run = asyncio.run(later.run(nested_agent_on_global("later")))
    later.close()

    assert later.provider is trace.get_tracer_provider()
    assert labels(run) == {"later"}
    assert len(run.spans) == 2


def nested_agent_on_global(label: str) -> Callable[[], Awaitable[None]]:
    async def agent() -> None:
        otel = trace.get_tracer("fake-agent")  # the global provider, as instrumented frameworks use it
        with (
            otel.start_as_current_span("invoke_agent", attributes={"label": label}),
            otel.start_as_current_span("chat", attributes={"label": label}),
        ):
            await asyncio.sleep(0)

    return agent
