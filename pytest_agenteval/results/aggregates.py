"""The run's aggregates over task results: AG2's pass rates, score stats and value counts (a crashed scorer counts
as a failure, never drops out), plus counts, verdicts, budget violations and cost. Pure.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from pytest_agenteval.results.models import Aggregates, PassCount, ScoreStats, TaskResult, TokenTotals
from pytest_agenteval.results.record import sum_tokens


def aggregate(tasks: Sequence[TaskResult]) -> Aggregates:
    """AG2's aggregates plus counts, verdicts, budget violations by budget, and cost."""
    passes: dict[str, list[bool]] = defaultdict(list)
    numbers: dict[str, list[float]] = defaultdict(list)
    values: dict[str, Counter[str]] = defaultdict(Counter)
    for task in tasks:
        for fb in task.feedback:
            if fb.passed is not None:
                passes[fb.key].append(fb.passed)
            if fb.score is not None and not isinstance(fb.score, bool):
                numbers[fb.key].append(float(fb.score))
            if fb.value is not None:
                values[fb.key][fb.value] += 1
    costs = [task.cost for task in tasks if task.cost is not None]
    judge_costs = [task.judge_cost for task in tasks if task.judge_cost is not None]
    return Aggregates(
        pass_rate={key: sum(flags) / len(flags) for key, flags in sorted(passes.items())},
        pass_counts={key: PassCount(passed=sum(flags), total=len(flags)) for key, flags in sorted(passes.items())},
        score_stats={key: score_stats(scores) for key, scores in sorted(numbers.items())},
        value_counts={key: dict(sorted(counts.items())) for key, counts in sorted(values.items())},
        tokens=token_totals(tasks),
        errors=sum(1 for task in tasks if task.exception is not None),
        budget_violations=sum(1 for task in tasks if task.budget_violation),
        budget_violations_by_budget=dict(sorted(Counter(
            v.budget for task in tasks for v in task.budget_violations).items())),
        verdicts=dict(sorted(Counter(task.verdict for task in tasks).items())),
        cost=sum(costs) if costs else None,
        judge_tokens=token_totals(tasks, "judge_tokens"),
        judge_cost=sum(judge_costs) if judge_costs else None,  # LLM judges', apart from the agents' cost
    )


def score_stats(scores: Sequence[float]) -> ScoreStats:
    ordered = sorted(scores)
    return ScoreStats(mean=sum(ordered) / len(ordered), p50=percentile(ordered, 0.5),
                      p95=percentile(ordered, 0.95), n=len(ordered))


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, as AG2)."""
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def token_totals(tasks: Sequence[TaskResult], field: str = "tokens") -> TokenTotals:
    """The sums of the tasks' `tokens` (or `judge_tokens`)."""
    return sum_tokens(getattr(task, field) for task in tasks)
