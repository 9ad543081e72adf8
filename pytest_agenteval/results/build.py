"""Building the run from task results: suite order, aggregates (a crashed scorer counts as a failure, never
drops out), provenance, and the `RunResult` itself. Pure but for `provenance`, which asks git.
"""

from __future__ import annotations

import math
import platform
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath

from pytest_agenteval.results.models import (
    Aggregates,
    GateRecord,
    PassCount,
    Provenance,
    RunConfig,
    RunDiff,
    RunResult,
    ScoreStats,
    SuiteInfo,
    TaskResult,
    TokenTotals,
)


def in_suite_order(tasks: Iterable[TaskResult]) -> list[TaskResult]:
    """Tasks sorted by suite, then line, then repeat: the order of the run file."""
    return sorted(tasks, key=lambda t: (t.suite, t.line, t.repeat))


def build_run(tasks: Iterable[TaskResult], *, run_id: str, label: str | None, created_at: str, duration_ms: float,
              target: str | None, concurrency: int, config: RunConfig, invalid_records: Iterable[str],
              partial: bool, exit_status: int | None, provenance: Provenance | None,
              gates: Sequence[GateRecord] = (), baseline: RunDiff | None = None,
              unused_cassettes: Sequence[str] = ()) -> RunResult:
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


def provenance(root: Path, pytest_version: str) -> Provenance:
    """Where the run came from: versions, platform, and the git commit of `root`."""
    commit, dirty = git_state(root)
    try:
        plugin_version = version("pytest-agenteval")
    except PackageNotFoundError:
        plugin_version = "unknown"
    return Provenance(plugin_version=plugin_version, python_version=platform.python_version(),
                      pytest_version=pytest_version, platform=sys.platform, git_commit=commit, git_dirty=dirty)


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """The checked-out commit and whether tracked files changed; (None, None) outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


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
    return TokenTotals(**{name: sum(getattr(getattr(task, field), name) for task in tasks)
                          for name in TokenTotals.model_fields})


def suite_info(tasks: Sequence[TaskResult]) -> tuple[list[str], SuiteInfo]:
    """The suites in order of appearance, and AG2's `suite` (names and paths joined when there are several)."""
    suites = list(dict.fromkeys(task.suite for task in tasks))
    return suites, SuiteInfo(name="+".join(PurePosixPath(s).stem for s in suites), size=len(tasks),
                             source=",".join(suites))
