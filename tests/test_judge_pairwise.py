"""Pairwise judging with the order swapped (the pure core; variants will pair the outputs): a position-biased judge
yields ties and flips, never a winner; a consistent judge finds the better answer in either order; the win rate
counts decided pairs only, with a Wilson interval."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_agenteval.judges.pairwise import (
    OrderVerdict,
    PairJudgement,
    Position,
    decide,
    judge_pair,
    llm_pairwise,
    summarize,
)
from pytest_agenteval.scoring.core import ModelUsage
from pytest_agenteval.tracing.model import TokenUsage

pytest.importorskip("pydantic_ai", reason="needs the judge extra")

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

SPENT = ModelUsage(TokenUsage(input=100, output=10), 0.001, 1)


def always(position: Position) -> Any:
    async def ask(first: Any, second: Any) -> OrderVerdict:
        return OrderVerdict(position, "shown first wins" if position == "first" else "", SPENT)

    return ask


async def prefers_longer(first: str, second: str) -> OrderVerdict:
    better: Position = "tie" if len(first) == len(second) else "first" if len(first) > len(second) else "second"
    return OrderVerdict(better, "longer", SPENT)


def judged(ask: Any, pairs: list[tuple[str, str]]) -> list[PairJudgement]:
    async def every() -> list[PairJudgement]:
        return list(await asyncio.gather(*(judge_pair(ask, a, b) for a, b in pairs)))

    return asyncio.run(every())


PAIRS = [("a long answer", "short"), ("tiny", "a much longer answer"), ("a fine answer", "ok")]


def test_a_judge_that_always_prefers_the_first_answer_yields_ties_and_flips_not_a_winner() -> None:
    results = judged(always("first"), PAIRS)
    assert [r.winner for r in results] == ["tie", "tie", "tie"] and all(r.flipped for r in results)
    summary = summarize(results)
    assert (summary.a_wins, summary.b_wins, summary.ties, summary.flips) == (0, 0, 3, 3)
    assert summary.win_rate is None and summary.interval is None  # nothing was decided
    assert summary.usage.tokens.total == 6 * 110 and summary.usage.requests == 6  # both orders were paid for


def test_a_consistent_judge_finds_the_better_answer_in_either_order() -> None:
    results = judged(prefers_longer, PAIRS)
    assert [r.winner for r in results] == ["a", "b", "a"] and not any(r.flipped for r in results)
    summary = summarize(results)
    assert (summary.a_wins, summary.b_wins, summary.ties) == (2, 1, 0) and summary.win_rate == pytest.approx(2 / 3)
    assert summary.interval == pytest.approx((0.2077, 0.9385), abs=1e-4)  # Wilson 95% of 2/3


def test_ties_in_both_orders_are_ties_without_a_flip_and_one_decisive_order_is_a_flip() -> None:
    tie = OrderVerdict("tie")
    assert (decide(tie, tie).winner, decide(tie, tie).flipped) == ("tie", False)
    one_sided = decide(OrderVerdict("first"), tie)
    assert (one_sided.winner, one_sided.flipped) == ("tie", True)
    assert decide(OrderVerdict("second"), OrderVerdict("first")).winner == "b"


def test_an_llm_pairwise_judge_is_asked_in_both_orders_and_its_position_bias_cancels() -> None:
    prompts: list[str] = []

    def biased(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        request = messages[-1]
        assert isinstance(request, ModelRequest)
        prompts.append(next(str(p.content) for p in request.parts if isinstance(p, UserPromptPart)))
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"reason": "first", "better": "first"})],
                             usage=RequestUsage(input_tokens=200, output_tokens=20))

    ask = llm_pairwise("The more helpful answer.", model=FunctionModel(biased), question="weather in Paris?")
    (result,) = judged(ask, [("It is sunny, 21 C.", "No idea.")])
    assert (result.winner, result.flipped) == ("tie", True)
    assert result.usage.tokens.total == 440
    # The two orders are asked concurrently, so either may reach the model first.
    assert sorted(prompt.index("It is sunny") < prompt.index("No idea.") for prompt in prompts) == [False, True]
    assert all("<input>\nweather in Paris?\n</input>" in prompt for prompt in prompts)
