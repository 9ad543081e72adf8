"""`MissLedger`: in every process, decides whether a failed eval task is a miss the policy tolerates.

A tolerated miss is reported as xfailed, so red means "this breaks a gate". A process only sees its own
items, so under xdist some breaking misses stay xfailed; the session-end gates catch those.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pytest_agenteval.results.verdicts import allowed_misses

if TYPE_CHECKING:
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.task import Task


class MissLedger:
    """This process's misses per task, and the tasks it has seen fail their pass rate."""

    def __init__(self, options: EvalOptions) -> None:
        self.task_pass_rate = options.task_pass_rate
        self.suite_rate = max([spec.rate for spec in options.fail_under if spec.key is None], default=1.0)
        self.tag_rates = {spec.key: spec.rate for spec in options.fail_under if spec.key is not None}
        self.misses: Counter[tuple[str, str]] = Counter()
        self.failing: dict[tuple[str, str], tuple[str, ...]] = {}  # task -> its tags
        self.task_counts: Counter[str | None] | None = None  # None counts every task, a tag its tasks

    def tolerate(self, task: Task, session_tasks: Callable[[], Iterable[Task]]) -> str | None:
        """Why this miss is tolerated, or None when it certainly breaks a gate. `session_tasks` gives every
        eval task of this process, read once."""
        key = (task.suite, task.task_id)
        self.misses[key] += 1
        runs, allowed = task.repeats, allowed_misses(self.task_pass_rate, task.repeats)
        if self.misses[key] <= allowed:
            return (f"tolerated by --eval-task-pass-rate={self.task_pass_rate:g}: "
                    f"miss {self.misses[key]} of at most {allowed} in {runs} repeats")
        self.failing[key] = task.tags
        counts = self.count_tasks(session_tasks)
        if self.breaks_a_gate(counts):
            return None
        return (f"tolerated by --eval-fail-under={self.suite_rate:g}: failing task {len(self.failing)} "
                f"of at most {allowed_misses(self.suite_rate, counts[None])} of {counts[None]}")

    def breaks_a_gate(self, counts: Counter[str | None]) -> bool:
        """More failing tasks than the suite gate, or a tag gate, allows (scorer gates are judged at the end)."""
        if len(self.failing) > allowed_misses(self.suite_rate, counts[None]):
            return True
        failing_tags = Counter(tag for tags in self.failing.values() for tag in tags)
        return any(counts[tag] and failing_tags[tag] > allowed_misses(rate, counts[tag])
                   for tag, rate in self.tag_rates.items())

    def count_tasks(self, session_tasks: Callable[[], Iterable[Task]]) -> Counter[str | None]:
        if self.task_counts is None:
            tasks = {(task.suite, task.task_id): task.tags for task in session_tasks()}
            self.task_counts = Counter([None] * len(tasks) + [tag for tags in tasks.values() for tag in tags])
        return self.task_counts
