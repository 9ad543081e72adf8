"""Per-task verdicts across repeats: x of N, pass@k, pass^k, Wilson intervals, pass / flaky / fail.

Pure functions over stored `TaskResult`s; imports nothing from pytest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pytest_agenteval.results.models import GateRecord, TaskResult, task_name

Label = Literal["pass", "flaky", "fail"]
Z_95 = 1.959964


@dataclass(frozen=True, slots=True)
class Interval:
    """A Wilson score interval for a pass rate."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class TaskVerdict:
    """One suite task judged over all its repeats."""

    suite: str
    task_id: str
    tags: tuple[str, ...]
    passes: int
    runs: int
    required: float  # the --eval-task-pass-rate it is judged by
    variant: str | None = None
    results: tuple[TaskResult, ...] = field(default=(), compare=False, repr=False)

    @property
    def rate(self) -> float:
        return self.passes / self.runs

    @property
    def meets_policy(self) -> bool:
        return self.passes >= required_passes(self.required, self.runs)

    @property
    def label(self) -> Label:
        """Behaviour, whatever the policy: every repeat passed, none did, or some did."""
        if self.passes == self.runs:
            return "pass"
        return "fail" if self.passes == 0 else "flaky"

    @property
    def pass_at_k(self) -> float:
        return pass_at_k(self.runs, self.passes, self.runs)

    @property
    def pass_hat_k(self) -> float:
        return pass_hat_k(self.runs, self.passes, self.runs)

    @property
    def interval(self) -> Interval:
        return wilson(self.passes, self.runs)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.suite, self.task_id, self.variant

    @property
    def name(self) -> str:
        """`suite::task_id`, with `[variant]` when it has one."""
        return task_name(self.suite, self.task_id, self.variant)


def repeat_passed(task: TaskResult) -> bool:
    """A repeat passes when the agent ran and every scorer passed (budgets are judged by `-W error`)."""
    return task.verdict == "passed"


def required_passes(rate: float, runs: int) -> int:
    """The fewest passing repeats out of `runs` that reach `rate` (rounding noise forgiven)."""
    return max(0, math.ceil(rate * runs - 1e-9))


def allowed_misses(rate: float, runs: int) -> int:
    return runs - required_passes(rate, runs)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): chance that at least one of k of the n runs passed."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k (tau-bench): chance that all of k of the n runs passed."""
    return math.comb(c, k) / math.comb(n, k) if k <= n else 0.0


def wilson(passes: int, n: int, z: float = Z_95) -> Interval:
    """The Wilson score interval; (0, 1) when nothing ran."""
    if n == 0:
        return Interval(0.0, 1.0)
    p = passes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def task_verdicts(tasks: Iterable[TaskResult], required: float) -> list[TaskVerdict]:
    """Group repeats by (suite, task id, variant) in first-seen order and judge each group."""
    groups: dict[tuple[str, str, str | None], list[TaskResult]] = {}
    for task in tasks:
        groups.setdefault((task.suite, task.base_task_id, task.variant), []).append(task)
    return [judge(repeats, required) for repeats in groups.values()]


def judge(repeats: Sequence[TaskResult], required: float) -> TaskVerdict:
    first = repeats[0]
    return TaskVerdict(
        suite=first.suite,
        task_id=first.base_task_id,
        tags=tuple(first.tags),
        passes=sum(1 for task in repeats if repeat_passed(task)),
        runs=len(repeats),
        required=required,
        variant=first.variant,
        results=tuple(repeats),
    )


def scorer_passes(key: str, repeats: Sequence[TaskResult]) -> int | None:
    """Repeats in which every feedback with this key passed (a repeat without it, a setup error, misses);
    None when the key never scored these repeats."""
    if not any(fb.key == key for task in repeats for fb in task.feedback):
        return None
    return sum(1 for task in repeats if (found := [fb.passed for fb in task.feedback if fb.key == key]) and all(found))


def by_variant(verdicts: Sequence[TaskVerdict]) -> dict[str | None, list[TaskVerdict]]:
    """The verdicts of each variant, in first-seen order (one group, None, without variants)."""
    groups: dict[str | None, list[TaskVerdict]] = {}
    for verdict in verdicts:
        groups.setdefault(verdict.variant, []).append(verdict)
    return groups


GroupRow = tuple[str, int, int]  # a group's name, its tasks that meet the pass policy, its tasks


def rows_per_variant(verdicts: list[TaskVerdict], rows_of: Callable[[list[TaskVerdict]], list[GroupRow]]) -> list[
        GroupRow]:
    """`rows_of` the verdicts, or of each variant's apart, its top rows named `[variant] suite` (indented rows,
    tags, stay under them)."""
    groups = by_variant(verdicts)
    if None in groups:
        return rows_of(verdicts)
    return [(name if name.startswith(" ") else f"[{variant}] {name}", passed, total)
            for variant, group in groups.items() for name, passed, total in rows_of(group)]


def gates_passed(gates: Sequence[GateRecord]) -> bool:
    """Every gate passed (true when there are none)."""
    return all(gate.passed for gate in gates)
