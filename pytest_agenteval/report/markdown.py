"""The Markdown summary of one stored run (for `--eval-markdown`, `$GITHUB_STEP_SUMMARY`, `agenteval show`).

Says what the terminal summary says, from the same `RunResult` and the same helpers in `report.py`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pytest_agenteval.report.terminal import describe_gate, failure_reasons, group_rows, interval_range, percent
from pytest_agenteval.results.models import RunDiff, RunResult
from pytest_agenteval.results.verdicts import TaskVerdict, gates_passed, task_verdicts

GITHUB_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(cell(name) for name in header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return [*lines, ""]


def render_markdown(run: RunResult) -> str:
    """The whole summary: gates, groups, failing tasks, scorers, baseline, totals."""
    title = f"## agenteval run `{run.run_id}`" + (f" ({run.label})" if run.label else "")
    judged = task_verdicts(run.tasks, run.config.task_pass_rate)
    lines = [title, "", *render_gates(run), *render_groups(judged), *render_failing(judged), *render_scorers(run)]
    lines.extend(render_baseline(run.baseline) if run.baseline else [])
    lines.extend(render_totals(run))
    return "\n".join(lines)


def render_gates(run: RunResult) -> list[str]:
    if not run.gates:
        return ["Gates: none configured.", ""]
    verdict = "passed" if gates_passed(run.gates) else "FAILED"
    return [f"**Gates: {verdict}**", "", *table(
        ["gate", "result", "detail"],
        [[gate.spec, "pass" if gate.passed else "FAIL", describe_gate(gate)] for gate in run.gates])]


def render_groups(judged: list[TaskVerdict]) -> list[str]:
    rows = group_rows(judged)
    return ["### Tasks by suite and tag", "", *table(
        ["group", "passing tasks", "tasks", "pass rate", "95% CI"],
        [[name.strip(), passed, total, percent(passed / total), interval_range(passed, total)]
         for name, passed, total in rows])]


def render_failing(judged: list[TaskVerdict]) -> list[str]:
    failing = [v for v in judged if v.label != "pass"]
    if not failing:
        return []
    return ["### Failing tasks", "", *table(
        ["task", "passed", "label", "verdict", "reasons"],
        [[f"{v.suite}::{v.task_id}", f"{v.passes}/{v.runs}", v.label, "tolerated" if v.meets_policy else "fails",
          "; ".join(failure_reasons(v))] for v in failing])]


def render_scorers(run: RunResult) -> list[str]:
    counts = run.aggregates.pass_counts
    if not counts:
        return []
    return ["### Scorers", "", *table(["scorer", "pass rate", "passed", "items"],
                                      [[key, percent(c.passed / c.total), c.passed, c.total]
                                       for key, c in counts.items()])]


def render_baseline(diff: RunDiff) -> list[str]:
    changed = [task for task in diff.tasks if task.status != "unchanged" or any(s.flipped for s in task.scorers)]
    rows = [[f"{task.suite}::{task.task_id}", task.status, f"{task.base_passes}/{task.base_runs}",
             f"{task.passes}/{task.runs}",
             ", ".join(s.key for s in task.scorers if s.flipped) or ", ".join(task.drift)] for task in changed]
    header = f"### Baseline `{diff.base_run_id}`" + (f" ({diff.base_label})" if diff.base_label else "")
    summary = (f"Suite pass rate {percent(diff.suite_rate.base)} -> {percent(diff.suite_rate.current)}; "
               f"{len(diff.with_status('regressed'))} regressed, {len(diff.with_status('fixed'))} fixed, "
               f"{len(diff.with_status('drifted'))} drifted (not comparable).")
    return [header, "", summary, "", *(table(["task", "change", "baseline", "now", "scorers pass->fail / drift"], rows)
                                       if rows else [])]


def render_totals(run: RunResult) -> list[str]:
    aggregates = run.aggregates
    by_budget = ", ".join(f"{name}: {n}" for name, n in aggregates.budget_violations_by_budget.items())
    return ["### Totals", "", *table(
        ["items", "errors", "tokens", "cost", "budget violations"],
        [[len(run.tasks), aggregates.errors, aggregates.tokens.total,
          "n/a" if aggregates.cost is None else f"{aggregates.cost:.6g}",
          f"{aggregates.budget_violations}" + (f" ({by_budget})" if by_budget else "")]])]


def publish_markdown(run: RunResult, path: Path | None, github_summary: bool) -> list[str]:
    """Write the summary where asked; one note per destination, for the terminal."""
    if path is None and not github_summary:
        return []
    text = render_markdown(run) + "\n"
    notes = []
    if path is not None:
        notes.append(write_text(path, text, append=False))
    if github_summary:
        target = os.environ.get(GITHUB_SUMMARY_ENV)
        notes.append(write_text(Path(target), text, append=True) if target else
                     f"Markdown summary: ${GITHUB_SUMMARY_ENV} is not set, nothing appended "
                     "(GitHub Actions sets it in every step)")
    return notes


def write_text(path: Path, text: str, *, append: bool) -> str:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        return f"ERROR: Markdown summary not written to {path}: {exc}"
    return f"Markdown summary: {'appended to' if append else 'written to'} {path}"
