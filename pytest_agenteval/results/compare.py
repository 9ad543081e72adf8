"""Compare a run with a baseline run, task by task and scorer by scorer. Pure functions.

Tasks match by (suite, task id, variant); a task whose inputs or reference outputs changed is `drifted`, not compared.
Both runs are judged by the current run's task pass rate. Imports nothing from pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from pytest_agenteval.results.aggregates import aggregate
from pytest_agenteval.results.models import ChangeStatus, Pair, RunDiff, RunResult, ScorerChange, TaskChange, TaskResult
from pytest_agenteval.results.verdicts import TaskVerdict, required_passes, scorer_passes, task_verdicts

CONTENT_FIELDS = ("inputs", "reference_outputs")


def compare(tasks: Sequence[TaskResult], run_id: str, base: RunResult, task_pass_rate: float,
            base_path: Path | None = None) -> RunDiff:
    """The run's tasks (not yet a RunResult while pytest runs) against a stored baseline."""
    current = {v.key: v for v in task_verdicts(tasks, task_pass_rate)}
    before = {v.key: v for v in task_verdicts(base.tasks, task_pass_rate)}
    keys = list(current) + [key for key in before if key not in current]
    now_totals, base_totals = aggregate(tasks), base.aggregates
    return RunDiff(
        run_id=run_id,
        base_run_id=base.run_id,
        base_label=base.label,
        base_path=str(base_path) if base_path is not None else None,
        task_pass_rate=task_pass_rate,
        tasks=[compare_task(current.get(key), before.get(key)) for key in keys],
        suite_rate=Pair(base=suite_rate(before.values()), current=suite_rate(current.values())),
        scorer_rates=scorer_rates(now_totals.pass_rate, base_totals.pass_rate),
        tokens=Pair(base=mean(base.tasks, lambda t: t.tokens.total), current=mean(tasks, lambda t: t.tokens.total)),
        duration_ms=Pair(base=mean(base.tasks, lambda t: t.duration_ms), current=mean(tasks, lambda t: t.duration_ms)),
        cost=Pair(base=base_totals.cost, current=now_totals.cost),
    )


def compare_task(now: TaskVerdict | None, then: TaskVerdict | None) -> TaskChange:
    either = now or then
    assert either is not None  # every key comes from one side or the other
    change = TaskChange(suite=either.suite, task_id=either.task_id, variant=either.variant, status=status(now, then),
                        passes=now.passes if now else 0, runs=now.runs if now else 0,
                        base_passes=then.passes if then else 0, base_runs=then.runs if then else 0)
    if now is None or then is None:
        return change
    drift = content_drift(now.results[0], then.results[0])
    if drift:
        return change.model_copy(update={"status": "drifted", "drift": drift})
    return change.model_copy(update={
        "scorers": scorer_changes(now, then),
        "tokens": Pair(base=mean(then.results, lambda t: t.tokens.total),
                       current=mean(now.results, lambda t: t.tokens.total)),
        "duration_ms": Pair(base=mean(then.results, lambda t: t.duration_ms),
                            current=mean(now.results, lambda t: t.duration_ms)),
        "cost": Pair(base=mean_cost(then.results), current=mean_cost(now.results)),
    })


def status(now: TaskVerdict | None, then: TaskVerdict | None) -> ChangeStatus:
    if then is None:
        return "added"
    if now is None:
        return "removed"
    if then.meets_policy and not now.meets_policy:
        return "regressed"
    return "fixed" if now.meets_policy and not then.meets_policy else "unchanged"


def content_drift(now: TaskResult, then: TaskResult) -> list[str]:
    """The suite fields that differ: the same task id now asks something else."""
    return [name for name in CONTENT_FIELDS if getattr(now, name) != getattr(then, name)]


def scorer_changes(now: TaskVerdict, then: TaskVerdict) -> list[ScorerChange]:
    keys = dict.fromkeys(fb.key for v in (now, then) for task in v.results for fb in task.feedback)
    changes = []
    for key in keys:
        current, base = scorer_passes(key, now.results), scorer_passes(key, then.results)
        flipped = (base is not None and current is not None
                   and base >= required_passes(then.required, then.runs)
                   and current < required_passes(now.required, now.runs))
        changes.append(ScorerChange(key=key, base=rate_of(base, then.runs), current=rate_of(current, now.runs),
                                    flipped=flipped))
    return changes


def rate_of(passes: int | None, runs: int) -> float | None:
    return None if passes is None else passes / runs


def suite_rate(verdicts: Iterable[TaskVerdict]) -> float | None:
    judged = list(verdicts)
    return sum(v.meets_policy for v in judged) / len(judged) if judged else None


def scorer_rates(now: Mapping[str, float], then: Mapping[str, float]) -> dict[str, Pair]:
    """Per-scorer pass rates over items, side by side."""
    return {key: Pair(base=then.get(key), current=now.get(key)) for key in sorted(now.keys() | then.keys())}


def mean(tasks: Sequence[TaskResult], value: Callable[[TaskResult], float]) -> float | None:
    return sum(value(task) for task in tasks) / len(tasks) if tasks else None


def mean_cost(tasks: Sequence[TaskResult]) -> float | None:
    costs = [task.cost for task in tasks if task.cost is not None]
    return sum(costs) / len(costs) if costs else None

