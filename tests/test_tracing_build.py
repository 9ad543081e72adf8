"""build_trace on literal SpanData shaped like each framework's spans in reference/otel-spans.md."""

from __future__ import annotations

import dataclasses
import json
from itertools import count
from typing import Any

from pytest_agenteval.tracing.build import build_trace
from pytest_agenteval.tracing.conventions import DEFAULT_CONVENTIONS
from pytest_agenteval.tracing.model import (
    AgentStep,
    ErrorInfo,
    ModelCall,
    SpanData,
    SpanEvent,
    TokenUsage,
    ToolCall,
    ToolRequest,
)
from pytest_agenteval.tracing.reading import SpanReading, read_messages, read_tool_results, span_error

_clock = count(1)


def span(
    name: str,
    span_id: str,
    parent: str | None = None,
    *,
    error: str | None = None,
    exception: tuple[str, str] | None = None,
    **attributes: Any,
) -> SpanData:
    """A finished span; each call starts later than the previous one. Attribute keys use `__` for `.`."""
    start = next(_clock) * 1000
    events: tuple[SpanEvent, ...] = ()
    if exception is not None:
        events = (
            SpanEvent("exception", {"exception.type": exception[0], "exception.message": exception[1]}),
        )
    return SpanData(
        name=name,
        trace_id="ab" * 16,
        span_id=span_id,
        parent_id=parent,
        start_ns=start,
        end_ns=start + 500,
        attributes={key.replace("__", "."): value for key, value in attributes.items()},
        status="ERROR" if error is not None or exception is not None else "UNSET",
        status_description=error,
        events=events,
    )


def ended_after(data: SpanData, *children: SpanData) -> SpanData:
    """The span re-timed to enclose its children (as a parent really does)."""
    end = max(child.end_ns for child in children) + 10
    return dataclasses.replace(data, end_ns=end)


def by_attrs(name: str, span_id: str, parent: str | None, attributes: dict[str, Any], **kw: Any) -> SpanData:
    return span(name, span_id, parent, **{k.replace(".", "__"): v for k, v in attributes.items()}, **kw)


# ---- pydantic-ai (GenAI, parts messages, final_result, aggregated usage on the agent span) ----


def pydantic_ai_spans(*, tool_error: bool = False) -> list[SpanData]:
    agent = by_attrs(
        "invoke_agent weather_agent",
        "a1",
        None,
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "weather_agent",
            "final_result": "The weather is sunny",
            "gen_ai.aggregated_usage.input_tokens": 80,
            "gen_ai.aggregated_usage.output_tokens": 12,
            "gen_ai.aggregated_usage.cache_read.input_tokens": 10,
        },
    )
    chat1 = by_attrs(
        "chat gpt-4o",
        "m1",
        "a1",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.response.finish_reasons": ("tool_call",),
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [
                            {
                                "type": "tool_call",
                                "id": "call_1",
                                "name": "get_weather",
                                "arguments": '{"city": "Paris"}',
                            }
                        ],
                    }
                ]
            ),
            "gen_ai.usage.input_tokens": 30,
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.usage.cache_read.input_tokens": 10,
            "operation.cost": 0.001,
        },
    )
    tool_attrs = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
    }
    if tool_error:
        tool = by_attrs(
            "execute_tool get_weather",
            "t1",
            "a1",
            tool_attrs,
            exception=("RuntimeError", "weather service down"),
        )
        return [
            tool,
            chat1,
            span(
                "invoke_agent weather_agent",
                "a1",
                error="RuntimeError: weather service down",
                exception=("RuntimeError", "weather service down"),
                gen_ai__operation__name="invoke_agent",
                gen_ai__agent__name="weather_agent",
            ),
        ]
    tool = by_attrs(
        "execute_tool get_weather", "t1", "a1", {**tool_attrs, "gen_ai.tool.call.result": "sunny"}
    )
    chat2 = by_attrs(
        "chat gpt-4o",
        "m2",
        "a1",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.output.messages": [
                json.dumps(
                    {"role": "assistant", "parts": [{"type": "text", "content": "The weather is sunny"}]}
                )
            ],
            "gen_ai.usage.input_tokens": 50,
            "gen_ai.usage.output_tokens": 7,
            "operation.cost": 0.002,
        },
    )
    return [chat2, tool, agent, chat1]  # any order: build_trace orders by start time


def test_pydantic_ai_counts_chat_tokens_once_and_reads_tool_and_final_result() -> None:
    trace = build_trace(pydantic_ai_spans())

    assert [type(step).__name__ for step in trace.steps] == [
        "AgentStep",
        "ModelCall",
        "ToolCall",
        "ModelCall",
    ]
    assert trace.tokens == TokenUsage(input=80, output=12, cache_read=10)
    assert trace.tool_calls() == [
        ToolCall(
            name="get_weather",
            arguments={"city": "Paris"},
            result="sunny",
            call_id="call_1",
            duration_ms=0.0005,
            span_id="t1",
            parent_id="a1",
        )
    ]
    first_call = trace.model_calls()[0]
    assert first_call.model == "gpt-4o-2024-08-06"
    assert first_call.provider == "openai"
    assert first_call.finish_reason == "tool_call"
    assert first_call.tool_requests == (ToolRequest("get_weather", {"city": "Paris"}, "call_1"),)
    assert trace.model_calls()[1].provider == "openai"  # from the older gen_ai.system
    assert trace.output == "The weather is sunny"
    assert trace.agents() == [
        AgentStep("weather_agent", output="The weather is sunny", duration_ms=0.0005, span_id="a1")
    ]
    assert trace.cost is not None and abs(trace.cost - 0.003) < 1e-9
    assert trace.exception is None
    assert [s.span_id for s in trace.spans] == ["a1", "m1", "t1", "m2"]
    assert trace.trace_id == "ab" * 16


def test_pydantic_ai_tool_crash_keeps_real_exception_type_on_tool_and_run() -> None:
    trace = build_trace(pydantic_ai_spans(tool_error=True))

    assert trace.tool_errors()[0].error == ErrorInfo("RuntimeError", "weather service down")
    assert trace.exception == ErrorInfo("RuntimeError", "weather service down")


def test_given_output_and_exception_win_over_the_spans() -> None:
    given = ErrorInfo("ValueError", "bad input")
    trace = build_trace(
        pydantic_ai_spans(tool_error=True), input="q", output="returned", exception=given, duration_ms=12.5
    )

    assert (trace.input, trace.output, trace.exception, trace.duration_ms) == ("q", "returned", given, 12.5)


def test_model_retry_tool_error_is_read_from_the_exception_event_type() -> None:
    tool = span(
        "execute_tool get_weather",
        "t1",
        exception=("pydantic_ai.exceptions.ToolRetryError", "city not found"),
        gen_ai__operation__name="execute_tool",
        gen_ai__tool__name="get_weather",
        gen_ai__tool__call__result="Please try again",
    )

    call = build_trace([tool]).tool_calls()[0]
    assert call.error == ErrorInfo("ToolRetryError", "city not found")
    assert call.result == "Please try again"


# ---- AG2 (GenAI with OpenAI-style messages, record_usage usage spans) ----


def ag2_spans() -> list[SpanData]:
    agent = span(
        "invoke_agent weather_agent",
        "a1",
        gen_ai__operation__name="invoke_agent",
        gen_ai__agent__name="weather_agent",
        ag2__span__type="agent",
    )
    chat = span(
        "chat test-model",
        "m1",
        "a1",
        gen_ai__operation__name="chat",
        ag2__span__type="llm",
        gen_ai__request__model="test-model",
        gen_ai__provider__name="openai",
        gen_ai__input__messages='[{"content":"Paris","role":"user"}]',
        gen_ai__output__messages=json.dumps(
            [
                {
                    "content": None,
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                }
            ]
        ),
        gen_ai__response__finish_reasons=("tool_calls",),
        gen_ai__usage__input_tokens=30,
        gen_ai__usage__output_tokens=5,
        gen_ai__usage__cache_read_input_tokens=2,
    )
    usage = span(
        "record_usage model_call",
        "u1",
        "a1",
        ag2__span__type="usage",
        gen_ai__system="openai",
        gen_ai__request__model="test-model",
        gen_ai__usage__input_tokens=30,
        gen_ai__usage__output_tokens=5,
    )
    tool = span(
        "execute_tool get_weather",
        "t1",
        "a1",
        error="weather service down",
        exception=("RuntimeError", "weather service down"),
        gen_ai__operation__name="execute_tool",
        gen_ai__tool__name="get_weather",
        gen_ai__tool__call__id="call_1",
        gen_ai__tool__type="function",
        gen_ai__tool__call__arguments='{"city": "Paris"}',
    )
    answer = span(
        "chat test-model",
        "m2",
        "a1",
        gen_ai__operation__name="chat",
        ag2__span__type="llm",
        gen_ai__input__messages=json.dumps(
            [{"role": "tool", "tool_call_id": "call_1", "content": "Error: weather service down"}]
        ),
        gen_ai__output__messages='[{"content":"I could not get the weather.","role":"assistant"}]',
        gen_ai__usage__input_tokens=40,
        gen_ai__usage__output_tokens=8,
    )
    return [agent, chat, usage, tool, answer]


def test_ag2_record_usage_spans_are_not_counted_and_output_falls_back_to_last_chat_text() -> None:
    trace = build_trace(ag2_spans())

    assert trace.tokens == TokenUsage(input=70, output=13, cache_read=2)
    assert len(trace.model_calls()) == 2
    assert trace.model_calls()[0].tool_requests == (ToolRequest("get_weather", {"city": "Paris"}, "call_1"),)
    assert trace.model_calls()[0].finish_reason == "tool_calls"
    assert trace.output == "I could not get the weather."
    assert trace.exception is None  # AG2 keeps running after a tool error


def test_ag2_tool_error_keeps_type_and_result_comes_from_the_next_chat_input() -> None:
    (tool,) = build_trace(ag2_spans()).tool_calls()

    assert tool.error == ErrorInfo("RuntimeError", "weather service down")
    assert tool.result == "Error: weather service down"
    assert tool.arguments == {"city": "Paris"}


# ---- LangGraph via OpenInference (flattened messages, ToolMessage JSON, raw one-arg input) ----


def langgraph_spans() -> list[SpanData]:
    final_state = {
        "messages": [
            {"type": "human", "data": {"content": "Weather in Paris?"}},
            {"type": "ai", "data": {"content": "", "tool_calls": [{"name": "get_weather"}]}},
            {"type": "tool", "data": {"content": "sunny"}},
            {"type": "ai", "data": {"content": "It is sunny in Paris."}},
        ]
    }
    root = span(
        "weather_agent",
        "g1",
        openinference__span__kind="AGENT",
        output__value=json.dumps(final_state),
        llm__token_count__prompt=999,  # an aggregate on an agent span: never counted
    )
    inner = span("agent", "g2", "g1", openinference__span__kind="AGENT")
    call_model = span("call_model", "c1", "g2", openinference__span__kind="CHAIN", output__value='{"x": 1}')
    llm1 = by_attrs(
        "FakeToolModel",
        "l1",
        "c1",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "fake-tool-model",
            "llm.provider": "fake",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
            "llm.token_count.prompt": 20,
            "llm.token_count.completion": 4,
            "llm.token_count.total": 24,
            "llm.token_count.prompt_details.cache_read": 3,
            "llm.finish_reason": "tool_calls",
        },
    )
    tools = span("tools", "c2", "g2", openinference__span__kind="CHAIN")
    tool = span(
        "get_weather",
        "t1",
        "c2",
        openinference__span__kind="TOOL",
        tool__name="get_weather",
        input__value="Paris",
        output__value=json.dumps(
            {"type": "tool", "data": {"content": "sunny", "tool_call_id": "call_1", "status": "success"}}
        ),
    )
    llm2 = by_attrs(
        "FakeToolModel",
        "l2",
        "g2",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "fake-tool-model",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.contents.0.message_content.type": "text",
            "llm.output_messages.0.message.contents.0.message_content.text": "It is sunny in Paris.",
            "llm.token_count.prompt": 30,
            "llm.token_count.completion": 6,
            "llm.token_count.completion_details.reasoning": 2,
        },
    )
    return [root, inner, call_model, llm1, tools, tool, llm2]


def test_langgraph_tool_message_result_and_raw_argument_take_the_request_arguments() -> None:
    trace = build_trace(langgraph_spans())

    (tool,) = trace.tool_calls()
    assert (tool.name, tool.arguments, tool.result, tool.call_id) == (
        "get_weather",
        {"city": "Paris"},
        "sunny",
        "call_1",
    )
    assert trace.tokens == TokenUsage(input=50, output=10, cache_read=3, reasoning=2)
    assert trace.model_calls()[0].finish_reason == "tool_calls"
    assert trace.model_calls()[1].output_text == "It is sunny in Paris."


def test_langgraph_output_is_the_last_message_of_the_outermost_agent_state_and_depth_counts_agents() -> None:
    trace = build_trace(langgraph_spans())

    assert trace.output == "It is sunny in Paris."
    assert [(agent.name, agent.depth) for agent in trace.agents()] == [("weather_agent", 0), ("agent", 1)]


def test_langgraph_tool_crash_sets_run_exception_from_the_root_agent() -> None:
    spans = [
        span(
            "weather_agent",
            "g1",
            openinference__span__kind="AGENT",
            exception=("ValueError", "no such city"),
        ),
        span(
            "get_weather",
            "t1",
            "g1",
            openinference__span__kind="TOOL",
            tool__name="get_weather",
            exception=("ValueError", "no such city"),
        ),
    ]

    trace = build_trace(spans)
    assert trace.exception == ErrorInfo("ValueError", "no such city")
    assert trace.tool_errors()[0].error == ErrorInfo("ValueError", "no such city")


# ---- OpenAI Agents SDK (OpenInference) with the openai client instrumented too: nested LLM spans ----


def agents_sdk_spans() -> list[SpanData]:
    spans = [
        span("Agent workflow", "w1", openinference__span__kind="AGENT"),
        span("Agent workflow", "w2", "w1", openinference__span__kind="CHAIN"),
        span("weather_agent", "a1", "w2", openinference__span__kind="AGENT", agent__name="weather_agent"),
        span("turn", "r1", "a1", openinference__span__kind="CHAIN"),
        by_attrs(
            "generation",
            "g1",
            "r1",
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o",
                "llm.provider": "openai",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city":"Paris"}',
                "llm.token_count.prompt": 22,
                "llm.token_count.completion": 7,
            },
        ),
        span(
            "ChatCompletion",
            "cc1",
            "g1",
            openinference__span__kind="LLM",
            llm__token_count__prompt=22,
            llm__token_count__completion=7,
            llm__token_count__prompt_details__cache_read=4,
            output__value=json.dumps(
                {
                    "choices": [
                        {
                            "finish_reason": "tool_calls",
                            "message": {
                                "role": "assistant",
                                "tool_calls": [
                                    {
                                        "id": "call_1",
                                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                                    }
                                ],
                            },
                        }
                    ]
                }
            ),
        ),
        span(
            "get_weather",
            "t1",
            "r1",
            openinference__span__kind="TOOL",
            tool__name="get_weather",
            input__value='{"city":"Paris"}',
            output__value="sunny",
        ),
        span("turn", "r2", "a1", openinference__span__kind="CHAIN"),
        by_attrs(
            "generation",
            "g2",
            "r2",
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": "Sunny in Paris.",
                "llm.token_count.prompt": 40,
                "llm.token_count.completion": 9,
            },
        ),
        span(
            "ChatCompletion",
            "cc2",
            "g2",
            openinference__span__kind="LLM",
            llm__model_name="gpt-4o-2024-08-06",
            llm__token_count__prompt=40,
            llm__token_count__completion=9,
        ),
    ]
    return _enclosing(spans)


def _enclosing(spans: list[SpanData]) -> list[SpanData]:
    """Stretch each span to end after its descendants."""
    result = {s.span_id: s for s in spans}
    for data in reversed(spans):
        children = [c for c in result.values() if c.parent_id == data.span_id]
        if children:
            result[data.span_id] = ended_after(result[data.span_id], *children)
    return list(result.values())


def test_agents_sdk_nested_chat_completion_counts_once_keeping_the_leaf() -> None:
    trace = build_trace(agents_sdk_spans())

    calls = trace.model_calls()
    assert [call.span_id for call in calls] == ["cc1", "cc2"]
    assert trace.tokens == TokenUsage(input=62, output=16, cache_read=4)
    assert calls[0].model == "gpt-4o"  # filled from the wrapping generation span
    assert calls[0].provider == "openai"
    assert calls[0].finish_reason == "tool_calls"
    assert calls[1].model == "gpt-4o-2024-08-06"  # the leaf's own value wins
    assert calls[1].output_text == "Sunny in Paris."


def test_agents_sdk_without_agent_outputs_takes_the_last_model_text_and_links_tool_ids() -> None:
    trace = build_trace(agents_sdk_spans())

    assert trace.output == "Sunny in Paris."
    (tool,) = trace.tool_calls()
    assert (tool.arguments, tool.result, tool.call_id) == ({"city": "Paris"}, "sunny", "call_1")
    assert [(a.name, a.depth) for a in trace.agents()] == [("Agent workflow", 0), ("weather_agent", 1)]


def test_agents_sdk_tool_failure_without_exception_event_uses_the_status_description() -> None:
    tool = span(
        "get_weather",
        "t1",
        error="Error running tool (non-fatal): boom",
        openinference__span__kind="TOOL",
        tool__name="get_weather",
        output__value="An error occurred: boom",
    )

    (call,) = build_trace([tool]).tool_calls()
    assert call.error == ErrorInfo("Error", "Error running tool (non-fatal): boom")
    assert call.result == "An error occurred: boom"


def test_agents_sdk_tool_failure_message_is_taken_out_of_the_sdk_error_data() -> None:
    described = "Error running tool (non-fatal): {'tool_name': 'get_weather', 'error': \"city 'X' is unknown\"}"
    tool = span("get_weather", "t1", error=described, openinference__span__kind="TOOL", tool__name="get_weather")

    (call,) = build_trace([tool]).tool_calls()
    assert call.error == ErrorInfo("Error", "city 'X' is unknown")


def test_one_wrapping_span_over_two_leaves_does_not_fill_their_tokens() -> None:
    outer = span("generation", "g", openinference__span__kind="LLM", llm__token_count__prompt=100)
    leaves = [
        span("ChatCompletion", "c1", "g", openinference__span__kind="LLM", llm__token_count__completion=3),
        span("ChatCompletion", "c2", "g", openinference__span__kind="LLM", llm__token_count__completion=4),
    ]

    assert build_trace([outer, *leaves]).tokens == TokenUsage(output=7)


# ---- smolagents (OpenInference; args wrapper, aggregated tokens on the AGENT span) ----


def smolagents_spans() -> list[SpanData]:
    return [
        span(
            "weather_agent.run",
            "a1",
            openinference__span__kind="AGENT",
            output__value="It is sunny in Paris.",
            llm__token_count__prompt=100,
            llm__token_count__completion=25,
            llm__token_count__total=125,
        ),
        span("Step 1", "s1", "a1", openinference__span__kind="CHAIN"),
        span(
            "OpenAIModel.generate",
            "l1",
            "s1",
            openinference__span__kind="LLM",
            llm__model_name="gpt-4o",
            llm__token_count__prompt=40,
            llm__token_count__completion=10,
        ),
        span(
            "SimpleTool",
            "t1",
            "s1",
            openinference__span__kind="TOOL",
            tool__name="get_weather",
            input__value='{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"city": "Paris"}}',
            output__value="sunny",
        ),
        span("Step 2", "s2", "a1", openinference__span__kind="CHAIN"),
        span(
            "OpenAIModel.generate",
            "l2",
            "s2",
            openinference__span__kind="LLM",
            llm__token_count__prompt=60,
            llm__token_count__completion=15,
            llm__cost__total=0.25,
        ),
        span(
            "FinalAnswerTool",
            "t2",
            "s2",
            openinference__span__kind="TOOL",
            tool__name="final_answer",
            input__value='{"args": ["It is sunny in Paris."], "sanitize_inputs_outputs": true, "kwargs": {}}',
            output__value="It is sunny in Paris.",
        ),
    ]


def test_smolagents_agent_aggregate_is_not_counted_and_args_wrapper_is_unwrapped() -> None:
    trace = build_trace(smolagents_spans())

    assert trace.tokens == TokenUsage(input=100, output=25)
    assert trace.cost == 0.25
    assert [(t.name, t.arguments) for t in trace.tool_calls()] == [
        ("get_weather", {"city": "Paris"}),
        ("final_answer", ["It is sunny in Paris."]),
    ]
    assert trace.agents()[0].name == "weather_agent.run"
    assert trace.output == "It is sunny in Paris."


# ---- CrewAI (OpenInference CHAIN root with CrewOutput) ----


def test_crewai_output_is_the_raw_of_the_outermost_chain() -> None:
    spans = [
        span(
            "Crew_1.kickoff",
            "k1",
            openinference__span__kind="CHAIN",
            output__value='{"raw": "Sunny.", "tasks_output": []}',
        ),
        span(
            "Forecaster._execute_core",
            "a1",
            "k1",
            openinference__span__kind="AGENT",
            graph__node__id="Forecaster",
        ),
        span("get_weather.run", "t1", "a1", openinference__span__kind="TOOL", tool__name="get_weather"),
    ]

    trace = build_trace(spans)
    assert trace.output == "Sunny."
    assert trace.agents()[0].name == "Forecaster"


# ---- openai-v2 contrib (GenAI, spec parts, error.type repr) ----


def test_openai_v2_chat_span_reads_model_tokens_finish_reason_and_text() -> None:
    chat = span(
        "chat gpt-4o",
        "m1",
        gen_ai__operation__name="chat",
        gen_ai__provider__name="openai",
        gen_ai__request__model="gpt-4o",
        gen_ai__response__model="gpt-4o-2024-08-06",
        gen_ai__response__finish_reasons=("stop",),
        gen_ai__usage__input_tokens=22,
        gen_ai__usage__output_tokens=7,
        gen_ai__output__messages=(
            '[{"role":"assistant","parts":[{"type":"text","content":"Hi"}],"finish_reason":"stop"}]'
        ),
    )

    trace = build_trace([chat])
    assert trace.model_calls()[0] == ModelCall(
        model="gpt-4o-2024-08-06",
        provider="openai",
        tokens=TokenUsage(input=22, output=7),
        finish_reason="stop",
        output_text="Hi",
        duration_ms=0.0005,
        span_id="m1",
    )
    assert trace.output == "Hi"


def test_openai_v2_error_type_class_repr_becomes_the_short_class_name() -> None:
    chat = span(
        "chat gpt-4o",
        "m1",
        error="Error code: 500",
        gen_ai__operation__name="chat",
        error__type="<class 'openai.InternalServerError'>",
    )

    assert build_trace([chat]).model_calls()[0].error == ErrorInfo("InternalServerError", "Error code: 500")


# ---- tolerant readers and the convention protocol ----


def test_messages_are_read_from_parts_or_openai_shape_as_json_or_structured() -> None:
    parts = [
        {"role": "assistant", "parts": [{"type": "tool_call", "name": "f", "arguments": {"x": 1}, "id": "1"}]}
    ]
    openai = [
        {"role": "assistant", "content": "hi", "tool_calls": [{"id": "2", "name": "g", "arguments": "{}"}]}
    ]

    assert read_messages(parts).tool_requests == (ToolRequest("f", {"x": 1}, "1"),)
    assert read_messages(json.dumps(parts)).tool_requests == (ToolRequest("f", {"x": 1}, "1"),)
    assert read_messages(json.dumps(openai)).text == "hi"
    assert read_messages(openai).tool_requests == (ToolRequest("g", {}, "2"),)


def test_tool_results_are_read_under_response_or_result() -> None:
    messages = [
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "1", "response": "a"}]},
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "2", "result": '{"t": 20}'}]},
    ]

    assert read_tool_results(json.dumps(messages)) == {"1": "a", "2": {"t": 20}}


def test_error_type_is_parsed_from_a_typed_status_description() -> None:
    data = span("x", "s", error="RuntimeError: weather service down")

    assert span_error(data) == ErrorInfo("RuntimeError", "weather service down")


def test_a_custom_convention_reads_its_own_dialect_before_the_defaults() -> None:
    class MyToolConvention:
        def read(self, span: SpanData) -> SpanReading | None:
            if span.name != "my.tool":
                return None
            return SpanReading(step=ToolCall(name=str(span.attributes["tool"]), span_id=span.span_id))

    spans = [span("my.tool", "t1", tool="lookup"), span("unrelated", "u1")]

    trace = build_trace(spans, conventions=(MyToolConvention(), *DEFAULT_CONVENTIONS))
    assert [t.name for t in trace.tool_calls()] == ["lookup"]
    assert len(trace.spans) == 2


def test_no_spans_builds_an_empty_trace() -> None:
    trace = build_trace([], output="x")

    assert (trace.steps, trace.output, trace.tokens, trace.trace_id) == ((), "x", TokenUsage(), None)
