"""An offline LangGraph weather agent for the LangChain tests: a scripted chat model and one tool.

Imported only after `pytest.importorskip("langgraph")`; the model answers from the messages alone,
so concurrent runs stay independent. The user text "crash" makes the model raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

IN_FLIGHT = {"now": 0, "peak": 0}  # how many model calls overlapped: proof the tasks ran concurrently


class ScriptedChatModel(BaseChatModel):
    """Calls the first bound tool with the user's text, then answers with the tool results."""

    model_name: str = "scripted-chat"
    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], *,
                   tool_choice: str | None = None, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tool_names=[t.name for t in tools if isinstance(t, BaseTool)], **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  tool_names: Sequence[str] = (), **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=reply(messages, tool_names))])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                         tool_names: Sequence[str] = (), **kwargs: Any) -> ChatResult:
        IN_FLIGHT["now"] += 1
        IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
        try:
            await asyncio.sleep(self.delay)
        finally:
            IN_FLIGHT["now"] -= 1
        return ChatResult(generations=[ChatGeneration(message=reply(messages, tool_names))])


def reply(messages: list[BaseMessage], tool_names: Sequence[str]) -> AIMessage:
    last = messages[-1]
    user = next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")
    if user == "crash":
        raise ValueError("provider exploded")
    if isinstance(last, ToolMessage) or not tool_names:
        return AIMessage(content=f"answer: {last.content}", usage_metadata=usage(40, 9))
    call = {"name": tool_names[0], "args": {"city": user}, "id": f"call_{user}", "type": "tool_call"}
    return AIMessage(content="", tool_calls=[call], usage_metadata=usage(22, 7))


def usage(prompt: int, completion: int) -> Any:
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion,
            "input_token_details": {"cache_read": 4}}


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    if city == "Atlantis":
        raise RuntimeError("weather service down")
    return f"sunny in {city}"


def build_weather_graph(*, handle_tool_errors: bool = False, delay: float = 0.0) -> Any:
    """A compiled graph: model node, tool node, and back until the model stops calling tools."""
    model = ScriptedChatModel(delay=delay).bind_tools([get_weather])

    async def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", call_model)
    graph.add_node("tools", ToolNode([get_weather], handle_tool_errors=handle_tool_errors))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(name="weather_agent")
