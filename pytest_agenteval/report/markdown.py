"""The Markdown summary of one stored run (for `--eval-markdown`, `$GITHUB_STEP_SUMMARY`, `agenteval show`).

Says what the full terminal summary says, from the same `RunResult` and the same helpers in `terminal` and
`digest`; long tables fold into `<details>`; control characters are escaped as there (read with `cat` too).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pytest_agenteval.report.baseline import percent
from pytest_agenteval.report.digest import CauseGroup, group_causes
from pytest_agenteval.report.leaderboard import (
    describe_comparison,
    flipped_tasks,
    leaderboard_cells,
    leaderboard_header,
)
from pytest_agenteval.report.terminal import (
    describe_gate,
    failure_reasons,
    group_rows,
    interval_range,
    judge_line,
    printable,
)
from pytest_agenteval.results.models import RunDiff, RunResult, VariantsSummary
from pytest_agenteval.results.store import write_or_append
from pytest_agenteval.results.verdicts import TaskVerdict, gates_passed, task_verdicts

GITHUB_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
FOLD_ROWS = 20  # a longer table is folded into <details>, so the summary's headings stay on one screen
CAUSES_FROM = 10  # failing tasks from which a table of their causes comes first


def cell(value: object) -> str:
    return printable(str(value).replace("\n", " ")).replace("|", "\\|")


def table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(cell(name) for name in header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return [*lines, ""]


def render_markdown(run: RunResult) -> str:
    """The whole summary: gates, rejected records, groups, scorers, failing tasks, baseline, totals."""
    title = f"## agenteval run `{run.run_id}`" + (f" ({run.label})" if run.label else "")
    judged = task_verdicts(run.tasks, run.config.task_pass_rate)
    lines = [title, "", *render_gates(run), *render_rejected(run.invalid_records), *render_groups(judged),
             *render_scorers(run), *render_variants(run.variants), *render_failing(judged)]
    lines.extend(render_baseline(run.baseline) if run.baseline else [])
    lines.extend(render_totals(run))
    return "\n".join(printable(line) for line in lines)


def folded(summary: str, rows: int, lines: list[str]) -> list[str]:
    """`lines` (a table), inside a <details> block when it has more than FOLD_ROWS rows."""
    if rows <= FOLD_ROWS:
        return lines
    return [f"<details><summary>{summary}</summary>", "", *lines, "</details>", ""]


def render_gates(run: RunResult) -> list[str]:
    if not run.gates:
        return ["Gates: none configured.", ""]
    verdict = "passed" if gates_passed(run.gates) else "FAILED"
    return [f"**Gates: {verdict}**", "", *table(
        ["gate", "result", "detail"],
        [[gate.spec, "pass" if gate.passed else "FAIL", describe_gate(gate)] for gate in run.gates])]


def render_rejected(records: list[str]) -> list[str]:
    """The suite records that were rejected, so never ran: each "file:line: problem"."""
    if not records:
        return []
    return [f"### Rejected suite records: {len(records)}", "", "Not run; each is in the run JSON's "
            "`invalid_records`.", "", *folded(f"all {len(records)} records", len(records),
                                             table(["record"], [[record] for record in records]))]


def render_groups(judged: list[TaskVerdict]) -> list[str]:
    rows = group_rows(judged)
    return ["### Tasks by suite and tag", "", *folded(f"{len(rows)} groups", len(rows), table(
        ["group", "passing tasks", "tasks", "pass rate", "95% CI"],
        [[name.strip(), passed, total, percent(passed / total), interval_range(passed, total)]
         for name, passed, total in rows]))]


def render_failing(judged: list[TaskVerdict]) -> list[str]:
    """With many failing tasks, their causes first (one row per shared comment or crash); then every task."""
    failing = [v for v in judged if v.label != "pass"]
    if not failing:
        return []
    lines = ["### Failing tasks", ""]
    if len(failing) >= CAUSES_FROM:
        groups = group_causes(failing)
        lines.extend(["By cause (a task with several causes counts in each):", "", *folded(
            f"{len(groups)} causes", len(groups), table(["cause", "tasks", "some of them"], [
                [group.describe(), len(group.tasks), named(group)] for group in groups]))])
    return lines + folded(f"all {len(failing)} failing tasks", len(failing), table(
        ["task", "passed", "label", "verdict", "reasons"],
        [[v.name, f"{v.passes}/{v.runs}", v.label, "tolerated" if v.meets_policy else "fails",
          "; ".join(failure_reasons(v))] for v in failing]))


def named(group: CauseGroup) -> str:
    names = group.names()
    return ", ".join(names) + (f" and {len(group.tasks) - len(names)} more" if len(group.tasks) > len(names) else "")


def render_scorers(run: RunResult) -> list[str]:
    counts = run.aggregates.pass_counts
    if not counts:
        return []
    return ["### Scorers", "", *table(["scorer", "pass rate", "passed", "items"],
                                      [[key, percent(c.passed / c.total), c.passed, c.total]
                                       for key, c in counts.items()])]


def render_variants(summary: VariantsSummary | None) -> list[str]:
    """The leaderboard, then each variant against the leader: the paired test and every flipped task."""
    if summary is None:
        return []
    lines = ["### Variants", "", "Ranked by the tasks that meet the pass policy; scorer columns rank as AG2's "
             "`leaderboard(key)` does (pass rate, or mean score).", "",
             *table(leaderboard_header(summary), leaderboard_cells(summary))]
    for comparison in summary.comparisons:
        lines.extend([f"- {describe_comparison(comparison)}"])
        if comparison.flips:
            lines.append(f"  - flips: {flipped_tasks(comparison, limit=None)}")
    return [*lines, ""] if summary.comparisons else lines


def render_baseline(diff: RunDiff) -> list[str]:
    changed = [task for task in diff.tasks if task.status != "unchanged" or any(s.flipped for s in task.scorers)]
    rows = [[task.name, task.status, f"{task.base_passes}/{task.base_runs}",
             f"{task.passes}/{task.runs}",
             ", ".join(s.key for s in task.scorers if s.flipped) or ", ".join(task.drift)] for task in changed]
    header = f"### Baseline `{diff.base_run_id}`" + (f" ({diff.base_label})" if diff.base_label else "")
    summary = (f"Suite pass rate {percent(diff.suite_rate.base)} -> {percent(diff.suite_rate.current)}; "
               f"{len(diff.with_status('regressed'))} regressed, {len(diff.with_status('fixed'))} fixed, "
               f"{len(diff.with_status('drifted'))} drifted (not comparable).")
    changes = folded(f"{len(rows)} changed tasks", len(rows), table(
        ["task", "change", "baseline", "now", "scorers pass->fail / drift"], rows)) if rows else []
    return [printable(header), "", summary, "", *changes]


def render_totals(run: RunResult) -> list[str]:
    aggregates = run.aggregates
    by_budget = ", ".join(f"{name}: {n}" for name, n in aggregates.budget_violations_by_budget.items())
    return ["### Totals", "", *table(
        ["items", "errors", "rejected records", "tokens", "cost", "budget violations"],
        [[len(run.tasks), aggregates.errors, len(run.invalid_records), aggregates.tokens.total,
          "n/a" if aggregates.cost is None else f"{aggregates.cost:.6g}",
          f"{aggregates.budget_violations}" + (f" ({by_budget})" if by_budget else "")]]),
        *([f"{judged[0].upper()}{judged[1:]}.", ""] if (judged := judge_line(run)) else [])]


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
    """Write (atomically) or append the summary; a failed write leaves the file as it was, never truncated.
    The note says which; an error note starts with "ERROR:"."""
    try:
        write_or_append(path, text.encode("utf-8"), append=append)
    except OSError as exc:
        return f"ERROR: Markdown summary not written to {path}: {exc.strerror or exc}"
    return f"Markdown summary: {'appended to' if append else 'written to'} {path}"
