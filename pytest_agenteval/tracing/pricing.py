"""Cost estimated from tokens and the model name (genai-prices, the `cost` extra) for model calls whose spans
carry no cost: LangGraph, the Agents SDK and the plain openai client report tokens but no price.

Without genai-prices, or for a model it does not know, a call keeps no cost. Pure; imports genai-prices only
when a call needs a price.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from dataclasses import replace
from typing import Any, TypeGuard

from pytest_agenteval.tracing.model import ModelCall, TokenUsage, Trace


@functools.cache
def _prices() -> Any | None:
    return importlib.import_module("genai_prices") if importlib.util.find_spec("genai_prices") else None


def priced(trace: Trace) -> tuple[Trace, bool]:
    """The trace with an estimated cost on each model call that has tokens and a model name but no cost, and
    whether any cost was estimated."""
    if not any(_needs_price(step) for step in trace.steps):  # first: importing genai-prices takes tens of ms
        return trace, False
    prices = _prices()
    if prices is None:
        return trace, False
    steps = tuple(_with_price(prices, step) if _needs_price(step) else step for step in trace.steps)
    estimated = steps != trace.steps  # a call genai-prices priced is a new, unequal ModelCall
    return (replace(trace, steps=steps), True) if estimated else (trace, False)


def _needs_price(step: Any) -> TypeGuard[ModelCall]:
    return (isinstance(step, ModelCall) and step.cost is None and bool(step.model)
            and bool(step.tokens.input or step.tokens.output))


def _with_price(prices: Any, call: ModelCall) -> ModelCall:
    cost = _price(prices, call.tokens, str(call.model), call.provider)
    return call if cost is None else replace(call, cost=cost)


def estimate_cost(tokens: TokenUsage, model: str | None, provider: str | None = None) -> float | None:
    """The price of `tokens` on `model` (genai-prices), or None without genai-prices or for a model it does not
    know. LLM judges price their own calls with it."""
    if not model or not (tokens.input or tokens.output):
        return None
    prices = _prices()
    return None if prices is None else _price(prices, tokens, model, provider)


def _price(prices: Any, tokens: TokenUsage, model: str, provider: str | None) -> float | None:
    usage = prices.Usage(input_tokens=tokens.input, output_tokens=tokens.output,
                         cache_read_tokens=tokens.cache_read or None, cache_write_tokens=tokens.cache_write or None)
    for provider_id in dict.fromkeys((provider or None, None)):  # a provider name it does not know: by model
        try:
            price = prices.calc_price(usage, model, provider_id=provider_id)
        except Exception:  # genai-prices raises LookupError for an unknown model (and may grow other errors)
            continue
        return float(price.total_price)
    return None
