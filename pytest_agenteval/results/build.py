"""Building the run from task results: suite order, aggregates, the variants' leaderboard and the `RunResult`
itself (its provenance comes from `provenance`). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from pytest_agenteval.results.aggregates import aggregate
from pytest_agenteval.results.models import (
    GateRecord,
    Provenance,
    RunConfig,
    RunDiff,
    RunResult,
    SuiteInfo,
    TaskResult,
)
from pytest_agenteval.results.pairwise_models import PairwiseSection
from pytest_agenteval.results.variants import summarize_variants


def in_suite_order(tasks: Iterable[TaskResult]) -> list[TaskResult]:
    """Tasks sorted by suite, then line, then repeat: the order of the run file."""
    return sorted(tasks, key=lambda t: (t.suite, t.line, t.repeat))


def build_run(tasks: Iterable[TaskResult], *, run_id: str, label: str | None, created_at: str, duration_ms: float,
              target: str | None, concurrency: int, config: RunConfig, invalid_records: Iterable[str],
              partial: bool, exit_status: int | None, provenance: Provenance | None,
              gates: Sequence[GateRecord] = (), baseline: RunDiff | None = None,
              unused_cassettes: Sequence[str] = (), pairwise: PairwiseSection | None = None) -> RunResult:
    """The run file's content; `config` gets the scorer keys and the worker count seen in `tasks`."""
    ordered = in_suite_order(tasks)
    suites, suite = suite_info(ordered)
    return RunResult(
        run_id=run_id, label=label, created_at=created_at, duration_ms=round(duration_ms, 3), suite=suite,
        target=target, concurrency=concurrency, tasks=ordered, aggregates=aggregate(ordered), suites=suites,
        invalid_records=sorted(invalid_records), partial=partial, exit_status=exit_status,
        config=config.model_copy(update={"scorers": sorted({fb.key for task in ordered for fb in task.feedback}),
                                         "workers": len({task.worker for task in ordered}),
                                         **shared_budgets(ordered, config)}),
        provenance=provenance, gates=list(gates), baseline=baseline, unused_cassettes=list(unused_cassettes),
        variants=summarize_variants(ordered, config.task_pass_rate, config.variants), pairwise=pairwise,
    )


def shared_budgets(tasks: Sequence[TaskResult], config: RunConfig) -> dict[str, int | float]:
    """Budgets an `eval_budgets` fixture set, for the run's config: a limit the options left unset and every
    task ran under with the same value."""
    shared: dict[str, int | float] = {}
    for name in ("max_tokens", "max_seconds", "max_cost", "max_judge_tokens", "max_judge_cost"):
        values = {task.budgets.get(name) for task in tasks}
        if getattr(config, name) is None and len(values) == 1 and None not in values:
            (shared[name],) = values  # type: ignore[assignment]
    return shared


def suite_info(tasks: Sequence[TaskResult]) -> tuple[list[str], SuiteInfo]:
    """The suites in order of appearance, and AG2's `suite` (names and paths joined when there are several)."""
    suites = list(dict.fromkeys(task.suite for task in tasks))
    return suites, SuiteInfo(name="+".join(PurePosixPath(s).stem for s in suites), size=len(tasks),
                             source=",".join(suites))
