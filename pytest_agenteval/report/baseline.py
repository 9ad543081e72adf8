"""The summary's lines about the baseline comparison: flipped, drifted, added and removed tasks, and the
run-level deltas."""

from __future__ import annotations

from pytest_agenteval.report.digest import SHORT_CHANGES, SHORT_SCORERS, Listing
from pytest_agenteval.results.models import ChangeStatus, Pair, RunDiff


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def signed(delta: float | None, unit: str = "") -> str:
    return "" if delta is None else f" ({delta:+.4g}{unit})"


def describe_pair(name: str, pair: Pair, rate: bool = False) -> str:
    if rate:
        points = None if pair.delta is None else pair.delta * 100
        return f"{name} {percent(pair.base)} -> {percent(pair.current)}{signed(points, ' points')}"
    shown = ["n/a" if value is None else f"{value:.4g}" for value in (pair.base, pair.current)]
    return f"{name} {shown[0]} -> {shown[1]}{signed(pair.delta)}"


def describe_change_counts(diff: RunDiff) -> str:
    statuses: tuple[ChangeStatus, ...] = ("regressed", "fixed", "drifted", "added", "removed", "unchanged")
    return ", ".join(f"{len(diff.with_status(status))} {status}" for status in statuses)


CHANGE_RANK = {"regressed": 0, "fixed": 1, "drifted": 2, "added": 3, "removed": 3}  # kept first when capped


def baseline_lines(diff: RunDiff, listing: Listing) -> list[str]:
    """What changed since the baseline (flips first, then drift, then run-level deltas), capped by `listing`."""
    label = f" (label {diff.base_label})" if diff.base_label else ""
    changes: list[tuple[int, str]] = []
    for task in diff.tasks:
        name = task.name
        flipped = [s.key for s in task.scorers if s.flipped]
        if task.status in ("regressed", "fixed") or flipped:
            scorers = f"  scorers pass->fail: {', '.join(flipped)}" if flipped else ""
            changes.append((0 if flipped else CHANGE_RANK[task.status], f"  {task.status:<9}  {name}  "
                            f"{task.base_passes}/{task.base_runs} -> {task.passes}/{task.runs}{scorers}"))
        elif task.status == "drifted":
            changes.append((2, f"  drifted    {name}  not comparable: {' and '.join(task.drift)} changed"))
        elif task.status in ("added", "removed"):
            changes.append((3, f"  {task.status:<9}  {name}"))
    shown = listing.capped(changes, SHORT_CHANGES, "baseline changes", lambda change: change[0])
    lines = [f"baseline: run {diff.base_run_id}{label}: {describe_change_counts(diff)}", *(c for _, c in shown)]
    lines.extend([f"  ... and {len(changes) - len(shown)} more changes"] if len(shown) < len(changes) else [])
    lines.append("  " + "; ".join([describe_pair("suite pass rate", diff.suite_rate, rate=True),
                                    describe_pair("tokens/item", diff.tokens),
                                    describe_pair("ms/item", diff.duration_ms),
                                    describe_pair("cost", diff.cost)]))
    moved = [(key, pair) for key, pair in diff.scorer_rates.items() if pair.base != pair.current]
    lines.extend(f"  {describe_pair(f'scorer {key}', pair, rate=True)}"
                 for key, pair in listing.capped(moved, SHORT_SCORERS, "scorer changes"))
    return lines
