"""Merge the runs of CI shards into the run of the whole suite: same tasks, aggregates and gates. Pure.

Refuses shards that overlap or that were configured differently. Imports nothing from pytest.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_agenteval.gates.rules import judge_gates
from pytest_agenteval.gates.spec import gate_spec, gate_specs
from pytest_agenteval.results.aggregates import aggregate
from pytest_agenteval.results.build import in_suite_order, suite_info
from pytest_agenteval.results.models import RunResult
from pytest_agenteval.results.variants import summarize_variants
from pytest_agenteval.results.verdicts import task_verdicts

PER_SHARD_CONFIG = {"pytest_args", "workers", "variants"}  # legitimately differ between shards (one job a variant)


class MergeError(Exception):
    """The runs cannot be merged; the message says which runs and why."""


def merge_runs(runs: Sequence[RunResult], run_id: str) -> RunResult:
    """One run equal to running every shard's tasks in one session. Rate gates are judged again over
    all tasks; the baseline comparison is not (compare the merged run with `agenteval diff`)."""
    if len(runs) < 2:
        raise MergeError("cannot merge: give at least two runs")
    first = runs[0]
    for run in runs[1:]:
        check_compatible(first, run)
    check_disjoint(runs)
    tasks = in_suite_order(task for run in runs for task in run.tasks)
    suites, suite = suite_info(tasks)
    variants = list(dict.fromkeys(name for run in runs for name in run.config.variants))
    config = first.config.model_copy(update={"pytest_args": [], "workers": len({t.worker for t in tasks}),
                                             "variants": variants})
    specs = gate_specs([gate_spec(text) for text in config.fail_under], config.task_pass_rate)
    return first.model_copy(update={
        "run_id": run_id,
        "created_at": min(run.created_at for run in runs),
        "duration_ms": max(run.duration_ms for run in runs),  # shards run side by side
        "suite": suite,
        "suites": suites,
        "tasks": tasks,
        "aggregates": aggregate(tasks),
        "invalid_records": sorted({line for run in runs for line in run.invalid_records}),
        "partial": any(run.partial for run in runs),
        "exit_status": None,  # no session ran it whole; its gates say whether it passes
        "config": config,
        "gates": judge_gates(specs, task_verdicts(tasks, config.task_pass_rate)),
        "baseline": None,
        "variants": summarize_variants(tasks, config.task_pass_rate, variants),
        "pairwise": None,  # each shard's judged its own tasks only: judge the merged run (`agenteval pairwise`)
    })


def check_compatible(first: RunResult, other: RunResult) -> None:
    """Same label, agent and configuration (but for the arguments that select the shard), same commit."""
    ours = first.config.model_dump(exclude=PER_SHARD_CONFIG)
    theirs = other.config.model_dump(exclude=PER_SHARD_CONFIG)
    differences = [f"config.{name} {ours[name]!r} vs {theirs[name]!r}" for name in ours if ours[name] != theirs[name]]
    if first.label != other.label:
        differences.append(f"label {first.label!r} vs {other.label!r}")
    if first.target != other.target:
        differences.append(f"target {first.target!r} vs {other.target!r}")
    commits = [run.provenance.git_commit if run.provenance else None for run in (first, other)]
    if None not in commits and commits[0] != commits[1]:
        differences.append(f"git commit {commits[0]} vs {commits[1]}")
    if differences:
        raise MergeError(f"cannot merge {other.run_id} into {first.run_id}: they differ in "
                         f"{'; '.join(differences)}; merge only shards of one run configuration")


def check_disjoint(runs: Sequence[RunResult]) -> None:
    seen: dict[tuple[str, str, str | None], str] = {}
    for run in runs:
        for task in run.tasks:
            key = task.item_key
            if key in seen:
                shown = task.task_id if task.variant is None else f"{task.task_id} (variant {task.variant})"
                raise MergeError(f"cannot merge: task {task.suite}::{shown} is in both {seen[key]} and "
                                 f"{run.run_id}; shards must not overlap (split them with -k or by suite)")
            seen[key] = run.run_id
