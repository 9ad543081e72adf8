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


TaskKey = tuple[str, str, str | None]  # suite, task id, variant
CountKey = tuple[str | None, str | None]  # variant, tag (None: every task of the variant)


class MissLedger:
    """This process's misses per task, and the tasks it has seen fail their pass rate. With variants every gate
    is judged per variant, so the counts are too."""

    def __init__(self, options: EvalOptions) -> None:
        self.task_pass_rate = options.task_pass_rate
        self.suite_rate = max([spec.rate for spec in options.fail_under if spec.key is None], default=1.0)
        self.tag_rates = {spec.key: spec.rate for spec in options.fail_under if spec.key is not None}
        self.misses: Counter[TaskKey] = Counter()
        self.failing: dict[TaskKey, tuple[str, ...]] = {}  # task -> its tags
        self.task_counts: Counter[CountKey] | None = None

    def tolerate(self, task: Task, session_tasks: Callable[[], Iterable[Task]]) -> str | None:
        """Why this miss is tolerated, or None when it certainly breaks a gate. `session_tasks` gives every
        eval task of this process, read once."""
        key = (task.suite, task.task_id, task.variant)
        self.misses[key] += 1
        runs, allowed = task.repeats, allowed_misses(self.task_pass_rate, task.repeats)
        if self.misses[key] <= allowed:
            return (f"tolerated by --eval-task-pass-rate={self.task_pass_rate:g}: "
                    f"miss {self.misses[key]} of at most {allowed} in {runs} repeats")
        self.failing[key] = task.tags
        counts = self.count_tasks(session_tasks)
        if self.breaks_a_gate(counts, task.variant):
            return None
        failing = sum(1 for each in self.failing if each[2] == task.variant)
        total = counts[(task.variant, None)]
        return (f"tolerated by --eval-fail-under={self.suite_rate:g}: failing task {failing} "
                f"of at most {allowed_misses(self.suite_rate, total)} of {total}")

    def breaks_a_gate(self, counts: Counter[CountKey], variant: str | None) -> bool:
        """More failing tasks of `variant` than the suite gate, or a tag gate, allows (scorer gates are judged at
        the end)."""
        failing = [tags for key, tags in self.failing.items() if key[2] == variant]
        if len(failing) > allowed_misses(self.suite_rate, counts[(variant, None)]):
            return True
        failing_tags = Counter(tag for tags in failing for tag in tags)
        return any(counts[(variant, tag)] and failing_tags[tag] > allowed_misses(rate, counts[(variant, tag)])
                   for tag, rate in self.tag_rates.items())

    def count_tasks(self, session_tasks: Callable[[], Iterable[Task]]) -> Counter[CountKey]:
        if self.task_counts is None:
            tasks = {(task.suite, task.task_id, task.variant): task.tags for task in session_tasks()}
            self.task_counts = Counter((key[2], tag) for key, tags in tasks.items() for tag in (None, *tags))
        return self.task_counts
