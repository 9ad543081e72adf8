"""`build_trace`: finished spans -> `Trace`. Pure: no provider, no clock, no globals.

Tokens come only from leaf model calls: a model-call span with a model-call descendant is dropped
(its missing fields fill the leaf when it wraps exactly one), so nested framework + client spans count once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_agenteval.tracing.conventions import DEFAULT_CONVENTIONS, SpanConvention, read_span
from pytest_agenteval.tracing.model import (
    AgentStep,
    ErrorInfo,
    ModelCall,
    SpanData,
    Step,
    TokenUsage,
    ToolCall,
    ToolRequest,
    Trace,
)
from pytest_agenteval.tracing.reading import SpanReading, span_error


@dataclass(frozen=True, slots=True)
class _Container:
    """An agent or workflow span: where the run's output and exception may be read from."""

    depth: int
    start_ns: int
    end_ns: int
    output: Any
    error: ErrorInfo | None


def build_trace(
    spans: Iterable[SpanData],
    *,
    input: Any = None,
    output: Any = None,
    exception: ErrorInfo | None = None,
    duration_ms: float = 0.0,
    trace_id: str | None = None,
    conventions: Sequence[SpanConvention] = DEFAULT_CONVENTIONS,
) -> Trace:
    """Rebuild what the agent did from its spans; the given output and exception win over the spans'."""
    ordered = tuple(sorted(spans, key=lambda span: (span.start_ns, -span.end_ns)))
    parents = {span.span_id: span.parent_id for span in ordered}
    readings = {
        span.span_id: reading for span in ordered if (reading := read_span(span, conventions)) is not None
    }
    models = {sid: r.step for sid, r in readings.items() if isinstance(r.step, ModelCall)}
    leaves = _leaf_model_calls(models, parents)
    agents = {sid for sid, r in readings.items() if isinstance(r.step, AgentStep)}
    steps: list[Step] = []
    for span in ordered:
        step = readings[span.span_id].step if span.span_id in readings else None
        if isinstance(step, ModelCall):
            if span.span_id in leaves:
                steps.append(leaves[span.span_id])
        elif isinstance(step, AgentStep):
            steps.append(dataclasses.replace(step, depth=_count_ancestors(span.span_id, parents, agents)))
        elif step is not None:
            steps.append(step)
    tool_results = {key: value for r in readings.values() for key, value in r.tool_results.items()}
    linked = _link_tool_calls(steps, tool_results)
    containers = _containers(ordered, readings, parents)
    return Trace(
        steps=tuple(linked),
        input=input,
        output=output if output is not None else _fallback_output(containers, linked),
        exception=exception if exception is not None else _fallback_exception(containers),
        duration_ms=duration_ms,
        trace_id=trace_id if trace_id is not None else (ordered[0].trace_id if ordered else None),
        spans=ordered,
    )


def _ancestors(span_id: str, parents: Mapping[str, str | None]) -> Iterator[str]:
    """Ancestor span ids among the given spans, nearest first."""
    seen = {span_id}
    parent = parents.get(span_id)
    while parent is not None and parent in parents and parent not in seen:
        yield parent
        seen.add(parent)
        parent = parents[parent]


def _count_ancestors(span_id: str, parents: Mapping[str, str | None], among: set[str]) -> int:
    return sum(1 for ancestor in _ancestors(span_id, parents) if ancestor in among)


def _leaf_model_calls(
    models: Mapping[str, ModelCall], parents: Mapping[str, str | None]
) -> dict[str, ModelCall]:
    """Model calls without a model-call descendant, completed from a wrapping model span over one leaf."""
    outer_ids = {sid: [a for a in _ancestors(sid, parents) if a in models] for sid in models}
    wrapping = {ancestor for ids in outer_ids.values() for ancestor in ids}
    leaves_below: dict[str, int] = {}
    for sid, ids in outer_ids.items():
        if sid not in wrapping:
            for ancestor in ids:
                leaves_below[ancestor] = leaves_below.get(ancestor, 0) + 1
    result: dict[str, ModelCall] = {}
    for sid, call in models.items():
        if sid in wrapping:
            continue
        for ancestor in outer_ids[sid]:
            if leaves_below[ancestor] == 1:
                call = _fill_missing(call, models[ancestor])
        result[sid] = call
    return result


def _fill_missing(leaf: ModelCall, outer: ModelCall) -> ModelCall:
    tokens = TokenUsage(
        **{
            f.name: getattr(leaf.tokens, f.name) or getattr(outer.tokens, f.name)
            for f in dataclasses.fields(TokenUsage)
        }
    )
    return dataclasses.replace(
        leaf,
        model=leaf.model or outer.model,
        provider=leaf.provider or outer.provider,
        tokens=tokens,
        finish_reason=leaf.finish_reason or outer.finish_reason,
        tool_requests=leaf.tool_requests or outer.tool_requests,
        output_text=leaf.output_text if leaf.output_text is not None else outer.output_text,
        cost=leaf.cost if leaf.cost is not None else outer.cost,
        error=leaf.error or outer.error,
    )


def _link_tool_calls(steps: Sequence[Step], tool_results: Mapping[str, Any]) -> list[Step]:
    """Give tool calls the id (and raw-string arguments the arguments) of the request they answer,
    and a missing result from the tool response a later model call was sent."""
    pending: list[ToolRequest] = []
    linked: list[Step] = []
    for step in steps:
        if isinstance(step, ModelCall):
            pending.extend(step.tool_requests)
        elif isinstance(step, ToolCall):
            request = _take_request(pending, step)
            if request is not None:
                step = _answering(step, request)
            if step.result is None and step.call_id is not None and step.call_id in tool_results:
                step = dataclasses.replace(step, result=tool_results[step.call_id])
        linked.append(step)
    return linked


def _take_request(pending: list[ToolRequest], call: ToolCall) -> ToolRequest | None:
    for index, request in enumerate(pending):
        if (request.call_id == call.call_id) if call.call_id else (request.name == call.name):
            return pending.pop(index)
    return None


def _answering(call: ToolCall, request: ToolRequest) -> ToolCall:
    arguments = call.arguments
    if arguments is None or (isinstance(arguments, str) and isinstance(request.arguments, Mapping)):
        arguments = request.arguments  # LangChain puts a one-argument tool's raw value in input.value
    return dataclasses.replace(call, call_id=call.call_id or request.call_id, arguments=arguments)


def _containers(
    ordered: Sequence[SpanData], readings: Mapping[str, SpanReading], parents: Mapping[str, str | None]
) -> list[_Container]:
    ids = {sid for sid, r in readings.items() if r.workflow or isinstance(r.step, AgentStep)}
    containers = []
    for span in ordered:
        if span.span_id in ids:
            reading = readings[span.span_id]
            step = reading.step
            output = step.output if isinstance(step, AgentStep) else reading.output
            error = step.error if isinstance(step, AgentStep) else span_error(span)
            depth = _count_ancestors(span.span_id, parents, ids)
            containers.append(_Container(depth, span.start_ns, span.end_ns, output, error))
    return containers


def _fallback_output(containers: Sequence[_Container], steps: Sequence[Step]) -> Any:
    """The outermost agent/workflow output (last ended on ties), else the last model call's text."""
    with_output = [c for c in containers if c.output is not None]
    if with_output:
        return min(with_output, key=lambda c: (c.depth, -c.end_ns)).output
    calls = [step for step in steps if isinstance(step, ModelCall)]
    return calls[-1].output_text if calls else None


def _fallback_exception(containers: Sequence[_Container]) -> ErrorInfo | None:
    """The error of the outermost failed agent/workflow span."""
    failed = [c for c in containers if c.error is not None]
    return min(failed, key=lambda c: (c.depth, c.start_ns)).error if failed else None
