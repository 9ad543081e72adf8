"""Pairwise judges over a run's stored results: each task x repeat's outputs of two variants, paired by (suite,
task id, repeat), judged in both orders; a failed call is that pair's error, a task one variant lacks (or crashed
on) is listed as not compared. Pure over `TaskResult`s (the controller and `agenteval pairwise` call it).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_agenteval.judges.pairwise import OrderVerdict, PairwiseCallError, PairwiseJudge, decide
from pytest_agenteval.results.build import in_suite_order
from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.results.pairwise_models import (
    OrderRecord,
    PairOutcome,
    PairwiseComparison,
    PairwiseSection,
)
from pytest_agenteval.results.record import TokenTotals, sum_tokens
from pytest_agenteval.results.verdicts import wilson
from pytest_agenteval.scoring.core import ModelUsage
from pytest_agenteval.tracing.model import ErrorInfo

PairKey = tuple[str, str, int]  # (suite, task id, repeat)


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Pairing:
    """What one judge compares: variant A against variant B, and the pairs of task results both ran."""

    judge: PairwiseJudge
    variant_a: str
    variant_b: str
    keys: list[PairKey]
    a: dict[PairKey, TaskResult]
    b: dict[PairKey, TaskResult]


def judge_run_pairs(tasks: Sequence[TaskResult], judges: Sequence[PairwiseJudge], *, ranking: Sequence[str] = (),
                    concurrency: int = 4, timeout: float | None = None,
                    mask: Callable[[str], str] = _same) -> PairwiseSection:
    """Every judge's comparisons over `tasks` (the run's results; `ranking`: the leaderboard's variants, best first),
    `concurrency` pairs at a time, each pair's both orders within `timeout` seconds; `mask` is applied to every
    reason and error the section stores."""
    return asyncio.run(judge_pairs(tasks, judges, ranking=ranking, concurrency=concurrency, timeout=timeout,
                                   mask=mask))


async def judge_pairs(tasks: Sequence[TaskResult], judges: Sequence[PairwiseJudge], *, ranking: Sequence[str] = (),
                      concurrency: int = 4, timeout: float | None = None,
                      mask: Callable[[str], str] = _same) -> PairwiseSection:
    """`judge_run_pairs` in a running event loop."""
    ordered = in_suite_order(tasks)
    ran = list(dict.fromkeys(task.variant for task in ordered if task.variant is not None))
    ranked = [*(name for name in ranking if name in ran), *(name for name in ran if name not in ranking)]
    problems: list[str] = []
    planned: list[Pairing | PairwiseComparison] = []  # in the judges' order; a comparison: one that cannot run
    for judge in judges:
        wanted = list(judge.pairs) if judge.pairs is not None else [(name, ranked[0]) for name in ranked[1:]]
        if not wanted:
            problems.append(f"pairwise judge {judge.key!r}: nothing to compare, the run has fewer than two variants"
                            f" (it ran: {', '.join(ran) or 'none'})")
        for variant_a, variant_b in wanted:
            missing = [name for name in (variant_a, variant_b) if name not in ran]
            planned.append(pairing(judge, variant_a, variant_b, ordered) if not missing else PairwiseComparison(
                key=judge.key, variant_a=variant_a, variant_b=variant_b, judge=judge.judge, swap=judge.swap,
                problem=f"variant {', '.join(map(repr, missing))} did not run (the run has: "
                        f"{', '.join(ran) or 'no variants'})"))
    gate = asyncio.Semaphore(concurrency)
    judged = iter(await asyncio.gather(*(compare(each, gate, timeout, mask) for each in planned
                                         if isinstance(each, Pairing))))
    comparisons = [next(judged) if isinstance(each, Pairing) else each for each in planned]
    costs = [c.cost for c in comparisons if c.cost is not None]
    return PairwiseSection(comparisons=comparisons, tokens=sum_tokens(c.tokens for c in comparisons),
                           cost=sum(costs) if costs else None, problems=problems)


def pairing(judge: PairwiseJudge, variant_a: str, variant_b: str, ordered: Sequence[TaskResult]) -> Pairing:
    """The results of A and B by (suite, task id, repeat), and every key either ran, in suite order."""
    a = {(t.suite, t.base_task_id, t.repeat): t for t in ordered if t.variant == variant_a}
    b = {(t.suite, t.base_task_id, t.repeat): t for t in ordered if t.variant == variant_b}
    keys = list(dict.fromkeys((t.suite, t.base_task_id, t.repeat) for t in ordered
                              if t.variant in (variant_a, variant_b)))
    return Pairing(judge, variant_a, variant_b, keys, a, b)


async def compare(each: Pairing, gate: asyncio.Semaphore, timeout: float | None,
                  mask: Callable[[str], str]) -> PairwiseComparison:
    """One judge's comparison of A with B: every pair's outcome, then the counts and A's win rate."""
    outcomes = await asyncio.gather(*(outcome(each, key, gate, timeout, mask) for key in each.keys))
    judged = [o for o in outcomes if o.status == "judged"]
    wins_a = sum(o.winner == "a" for o in judged)
    wins_b = sum(o.winner == "b" for o in judged)
    decided = wins_a + wins_b
    bounds = wilson(wins_a, decided) if decided else None
    costs = [o.cost for o in outcomes if o.cost is not None]
    orders = [order.better for o in judged for order in (o.a_first, o.b_first) if order is not None]
    decisive = [better for better in orders if better != "tie"]
    return PairwiseComparison(
        key=each.judge.key, variant_a=each.variant_a, variant_b=each.variant_b, judge=each.judge.judge,
        swap=each.judge.swap, pairs=len(judged), wins_a=wins_a, wins_b=wins_b, ties=len(judged) - decided,
        flips=sum(o.flipped for o in judged), errors=sum(o.status == "error" for o in outcomes),
        not_compared=sum(o.status == "not_compared" for o in outcomes),
        win_rate=wins_a / decided if decided else None,
        interval=(bounds.low, bounds.high) if bounds is not None else None, decisive_verdicts=len(decisive),
        shown_first_rate=decisive.count("first") / len(decisive) if decisive else None,
        tokens=sum_tokens(o.tokens for o in outcomes), cost=sum(costs) if costs else None, outcomes=list(outcomes))


def not_compared_reason(each: Pairing, key: PairKey) -> str | None:
    """Why this task x repeat cannot be compared, or None: a variant did not run it, or its run raised."""
    for name, results in ((each.variant_a, each.a), (each.variant_b, each.b)):
        task = results.get(key)
        if task is None:
            return f"{name} did not run it"
        if task.exception is not None:
            return f"{name}'s run raised {task.exception.type}"
    return None


async def outcome(each: Pairing, key: PairKey, gate: asyncio.Semaphore, timeout: float | None,
                  mask: Callable[[str], str]) -> PairOutcome:
    """One pair judged (in both orders with swap), or why it was not."""
    suite, task_id, repeat = key
    reason = not_compared_reason(each, key)
    if reason is not None:
        return PairOutcome(suite=suite, task_id=task_id, repeat=repeat, status="not_compared", reason=mask(reason))
    judge, task_a = each.judge, each.a[key]
    question = task_a.inputs.get("input") if judge.include_input else None
    first, second = shown_output(task_a.outputs), shown_output(each.b[key].outputs)
    orders = [asked(judge, question, first, second)] + ([asked(judge, question, second, first)] if judge.swap else [])
    async with gate:
        try:
            answers = await asyncio.wait_for(asyncio.gather(*orders, return_exceptions=True), timeout)
        except TimeoutError:
            error = ErrorInfo("TimeoutError", f"the judge took longer than {timeout:g} s on this pair")
            return PairOutcome(suite=suite, task_id=task_id, repeat=repeat, status="error", error=error)
    read = [read_answer(answer) for answer in answers]
    verdicts = [v for v in read if isinstance(v, OrderVerdict)]
    usage = sum((v.usage for v in verdicts), ModelUsage())
    usage = sum((v.usage for v in read if isinstance(v, PairwiseCallError)), usage)
    records = [OrderRecord(better=v.better, reason=mask(v.reason)) if isinstance(v, OrderVerdict) else None
               for v in read]
    result = PairOutcome(suite=suite, task_id=task_id, repeat=repeat, status="judged", a_first=records[0],
                         b_first=records[1] if judge.swap else None, tokens=totals(usage), cost=usage.cost)
    failed = [v for v in read if not isinstance(v, OrderVerdict)]
    if failed:
        error = failed[0].error
        return result.model_copy(update={"status": "error", "error": ErrorInfo(error.type, mask(error.message))})
    if not judge.swap:
        return result.model_copy(update={"winner": POSITION_WINNER[verdicts[0].better]})
    decision = decide(verdicts[0], verdicts[1])
    return result.model_copy(update={"winner": decision.winner, "flipped": decision.flipped})


POSITION_WINNER = {"first": "a", "second": "b", "tie": "tie"}  # a single order, A shown first


async def asked(judge: PairwiseJudge, question: Any, first: Any, second: Any) -> object:
    """One order's answer; a sync `ask` works too, and whatever it raises stays this order's."""
    answer: object = judge.ask(question, first, second)
    return await answer if inspect.isawaitable(answer) else answer


def read_answer(answer: object) -> OrderVerdict | PairwiseCallError:
    """An order's answer: a verdict (a bare 'first', 'second' or 'tie' is one), or why there is none."""
    if isinstance(answer, OrderVerdict | PairwiseCallError):
        return answer
    if answer in ("first", "second", "tie"):
        return OrderVerdict(answer)
    if isinstance(answer, BaseException):
        return PairwiseCallError(ErrorInfo.from_exception(answer), ModelUsage())
    problem = TypeError(f"the judge's ask returned {answer!r}; return an OrderVerdict, or 'first', 'second' or 'tie'")
    return PairwiseCallError(ErrorInfo.from_exception(problem), ModelUsage())


def shown_output(outputs: dict[str, Any]) -> Any:
    """What the judge reads of an output: its text body, else its parsed content (as `llm_judge` does)."""
    return outputs.get("body", outputs.get("content"))


def totals(usage: ModelUsage) -> TokenTotals:
    tokens = usage.tokens
    return TokenTotals(input=tokens.input, output=tokens.output, total=tokens.total, cache_read=tokens.cache_read,
                       cache_creation=tokens.cache_write, reasoning=tokens.reasoning)

