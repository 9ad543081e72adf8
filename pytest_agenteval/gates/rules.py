"""Gates: each `--eval-fail-under [KEY=]RATE` judged over per-task verdicts. Pure functions.

Every rate is over tasks, not repeats (with variants, over the tasks of one variant): a task counts when enough
of its repeats pass (`--eval-task-pass-rate`).
Imports nothing from pytest.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_agenteval.gates.spec import GateSpec
from pytest_agenteval.results.models import GateKind, GateRecord, RunDiff
from pytest_agenteval.results.verdicts import TaskVerdict, by_variant, required_passes, scorer_passes

EPSILON = 1e-9


def judge_gates(specs: Sequence[GateSpec], verdicts: Sequence[TaskVerdict]) -> list[GateRecord]:
    """Each gate over the run's tasks; with variants, each gate once per variant over that variant's tasks."""
    groups = by_variant(verdicts)
    if None in groups or not groups:
        return [judge_gate(spec, verdicts) for spec in specs]
    return [judge_gate(spec, group).model_copy(update={"variant": variant})
            for spec in specs for variant, group in groups.items()]


def judge_gate(spec: GateSpec, verdicts: Sequence[TaskVerdict]) -> GateRecord:
    if spec.key is None:
        return rate_gate(spec, "suite", [v.meets_policy for v in verdicts], "no eval task ran")
    per_task = [scorer_meets_policy(spec.key, v) for v in verdicts]
    if any(passed is not None for passed in per_task):
        return rate_gate(spec, "scorer", [p for p in per_task if p is not None], "")
    tagged = [v.meets_policy for v in verdicts if spec.key in v.tags]
    if tagged:
        return rate_gate(spec, "tag", tagged, "")
    scorers = sorted({fb.key for v in verdicts for task in v.results for fb in task.feedback})
    tags = sorted({tag for v in verdicts for tag in v.tags})
    problem = (f"no scorer key or tag {spec.key!r} in this run; scorers: {', '.join(scorers) or '(none)'}; "
               f"tags: {', '.join(tags) or '(none)'}")
    return GateRecord(kind="suite", spec=spec.text, name=spec.key, required=spec.rate, passed=False, problem=problem)


def rate_gate(spec: GateSpec, kind: GateKind, passes: Sequence[bool], empty_problem: str) -> GateRecord:
    if not passes:
        return GateRecord(kind=kind, spec=spec.text, required=spec.rate, passed=False, problem=empty_problem)
    rate = sum(passes) / len(passes)
    return GateRecord(kind=kind, spec=spec.text, name=spec.key, required=spec.rate, rate=rate,
                      passed_tasks=sum(passes), total_tasks=len(passes), passed=rate >= spec.rate - EPSILON)


def scorer_meets_policy(key: str, verdict: TaskVerdict) -> bool | None:
    """Whether enough repeats passed this scorer; None when it never scored this task."""
    passes = scorer_passes(key, verdict.results)
    return None if passes is None else passes >= required_passes(verdict.required, verdict.runs)


def regression_gate(diff: RunDiff | None, missing: str | None) -> GateRecord:
    """`--eval-fail-on-regression`: no pass-to-fail flip on a comparable task."""
    spec = "--eval-fail-on-regression"
    if diff is None:
        return GateRecord(kind="regression", spec=spec, passed=True, problem=missing)
    comparable = [task for task in diff.tasks if task.status in ("regressed", "fixed", "unchanged")]
    return GateRecord(kind="regression", spec=spec, name=diff.base_run_id, passed=diff.flips == 0,
                      passed_tasks=len(comparable) - diff.flips, total_tasks=len(comparable))
