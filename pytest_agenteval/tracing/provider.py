"""Find (or install) the tracer provider the router attaches to; fail loudly when spans cannot be captured.

The OTel global provider can be set once per process: a later pytest session (pytester) reuses ours.
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

from opentelemetry import trace
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider

# OpenInference flattens each message into attributes; the SDK default keeps only 128 per span.
PLUGIN_SPAN_LIMITS = SpanLimits(
    max_span_attributes=100_000,
    max_attributes=100_000,
    max_events=10_000,
    max_event_attributes=10_000,
    max_links=10_000,
)


class TracingUnavailableError(RuntimeError):
    """Agent spans cannot be captured with the current OpenTelemetry setup."""


@runtime_checkable
class ProcessorHost(Protocol):
    """A tracer provider that accepts span processors (SDK TracerProvider, logfire's proxy)."""

    def add_span_processor(self, span_processor: SpanProcessor) -> None: ...


def attach(processor: SpanProcessor, provider: trace.TracerProvider | None = None) -> trace.TracerProvider:
    """Add the processor to `provider`, else to the global provider (installing an SDK one if none is set)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        raise TracingUnavailableError(
            "OTEL_SDK_DISABLED=true turns OpenTelemetry off, so agent spans cannot be captured; "
            "unset OTEL_SDK_DISABLED for eval runs"
        )
    target = provider if provider is not None else _global_provider()
    if isinstance(target, trace.NoOpTracerProvider) or not isinstance(target, ProcessorHost):
        raise TracingUnavailableError(
            f"the tracer provider is {type(target).__module__}.{type(target).__qualname__}, which cannot "
            "take a span processor, so agent spans cannot be captured; configure an "
            "opentelemetry.sdk.trace.TracerProvider (or logfire) instead"
        )
    target.add_span_processor(processor)
    return target


def detach(processor: SpanProcessor, provider: trace.TracerProvider) -> None:
    """Remove the processor from an SDK provider's list (no public API); elsewhere it stays, inert."""
    if not isinstance(provider, TracerProvider):
        return
    active = getattr(provider, "_active_span_processor", None)
    if isinstance(active, SynchronousMultiSpanProcessor):
        with active._lock:
            active._span_processors = tuple(p for p in active._span_processors if p is not processor)


def sampler_name(provider: trace.TracerProvider) -> str:
    """A readable name for the provider's sampler, for error messages."""
    sampler = getattr(provider, "sampler", None)
    if sampler is None:
        return f"the sampler of {type(provider).__qualname__}"
    describe = getattr(sampler, "get_description", None)
    return str(describe()) if callable(describe) else type(sampler).__name__


def _global_provider() -> trace.TracerProvider:
    current = trace.get_tracer_provider()
    if type(current) is trace.ProxyTracerProvider:  # nothing configured yet: install ours
        trace.set_tracer_provider(TracerProvider(span_limits=PLUGIN_SPAN_LIMITS))
        current = trace.get_tracer_provider()
    return current
