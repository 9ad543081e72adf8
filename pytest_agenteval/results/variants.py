"""Variants side by side: the leaderboard (tasks meeting the pass policy, and AG2's per-key ranking), and a paired
comparison of each variant with the leader on the tasks both ran. Pure functions.

Two overlapping intervals do not say whether A beats B; the tasks only one of them passed do. The exact
McNemar test (a two-sided sign test on those tasks) says how likely that split is if neither is better.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pytest_agenteval.results.aggregates import aggregate
from pytest_agenteval.results.models import (
    Aggregates,
    LeaderboardRow,
    PairedComparison,
    TaskFlip,
    TaskResult,
    VariantScore,
    VariantsSummary,
)
from pytest_agenteval.results.verdicts import TaskVerdict, task_verdicts, wilson


def summarize_variants(tasks: Sequence[TaskResult], task_pass_rate: float,
                       names: Sequence[str] = ()) -> VariantsSummary | None:
    """The variants of `tasks` (in the order of `names`, then as first seen); None when no task has a variant."""
    seen = [*names, *(task.variant for task in tasks if task.variant is not None)]
    order = [name for name in dict.fromkeys(seen) if any(task.variant == name for task in tasks)]
    if not order:
        return None
    runs = {name: [task for task in tasks if task.variant == name] for name in order}
    verdicts = {name: task_verdicts(runs[name], task_pass_rate) for name in order}
    totals = {name: aggregate(runs[name]) for name in order}
    board = leaderboard(order, runs, verdicts, totals)
    leader = board[0].variant
    comparisons = [paired_comparison(row.variant, leader, verdicts[row.variant], verdicts[leader])
                   for row in board[1:]]
    return VariantsSummary(names=order, leaderboard=board, comparisons=comparisons, aggregates=totals)


def leaderboard(order: Sequence[str], runs: dict[str, list[TaskResult]], verdicts: dict[str, list[TaskVerdict]],
                totals: dict[str, Aggregates]) -> list[LeaderboardRow]:
    """One row per variant, best first by the fraction of tasks that meet the pass policy."""
    passed = {name: sum(1 for verdict in verdicts[name] if verdict.meets_policy) for name in order}
    rates = {name: passed[name] / len(verdicts[name]) if verdicts[name] else 0.0 for name in order}
    keys = sorted({key for name in order for key in (*totals[name].pass_rate, *totals[name].score_stats)})
    scores = {key: _key_scores(key, order, runs, totals) for key in keys}
    rows = []
    for name in sorted(order, key=lambda each: -rates[each]):
        interval = wilson(passed[name], len(verdicts[name]))
        rows.append(LeaderboardRow(
            rank=competition_rank(rates[name], rates.values()), variant=name, passed_tasks=passed[name],
            total_tasks=len(verdicts[name]), pass_rate=rates[name], interval=(interval.low, interval.high),
            items=len(runs[name]), scores={key: scores[key][name] for key in keys}))
    return rows


def _key_scores(key: str, order: Sequence[str], runs: dict[str, list[TaskResult]],
                totals: dict[str, Aggregates]) -> dict[str, VariantScore]:
    """AG2's `VariantRunResult.leaderboard(key)`: a boolean key's pass rate over the variant's items, else the
    mean of its numeric scores; zero (n=0) for a variant the key never scored."""
    metric: dict[str, tuple[float, int, tuple[float, float] | None]] = {}
    for name in order:
        found = totals[name]
        if key in found.pass_rate:
            counts = found.pass_counts[key]
            interval = wilson(counts.passed, counts.total)
            metric[name] = (found.pass_rate[key], len(runs[name]), (interval.low, interval.high))
        elif key in found.score_stats:
            metric[name] = (found.score_stats[key].mean, found.score_stats[key].n, None)
        else:
            metric[name] = (0.0, 0, None)
    values = [score for score, _, _ in metric.values()]
    return {name: VariantScore(score=score, n=n, rank=competition_rank(score, values), interval=interval)
            for name, (score, n, interval) in metric.items()}


def competition_rank(value: float, values: Iterable[float]) -> int:
    """1 + how many values are higher: tied values share a rank (1, 1, 3)."""
    return 1 + sum(1 for other in values if other > value)


def paired_comparison(variant: str, against: str, ours: Sequence[TaskVerdict],
                      theirs: Sequence[TaskVerdict]) -> PairedComparison:
    """`variant` against `against` on the tasks (suite, task id) both ran, judged by the pass policy."""
    mine = {(v.suite, v.task_id): v.meets_policy for v in ours}
    other = {(v.suite, v.task_id): v.meets_policy for v in theirs}
    shared = [key for key in mine if key in other]
    flips = [TaskFlip(suite=suite, task_id=task_id, passed_by=variant if mine[(suite, task_id)] else against)
             for suite, task_id in shared if mine[(suite, task_id)] != other[(suite, task_id)]]
    only_variant = sum(1 for flip in flips if flip.passed_by == variant)
    return PairedComparison(
        variant=variant, against=against, tasks=len(shared),
        both_passed=sum(1 for key in shared if mine[key] and other[key]),
        neither_passed=sum(1 for key in shared if not mine[key] and not other[key]),
        only_variant=only_variant, only_against=len(flips) - only_variant,
        p_value=sign_test(only_variant, len(flips) - only_variant), flips=flips)


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial test of `wins` against `losses` at p = 1/2 (McNemar's exact test)."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail: float = sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)
