"""What the HTML report shows beyond the stored run itself, computed once in Python so the page and the other
reports agree: gate sentences, pass rates by suite and tag with Wilson intervals, and one row per task (x variant)
judged over its repeats. Pure: plain data in, JSON-safe dicts out; imports neither pytest nor the collect/run stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_agenteval.report.terminal import describe_gate, group_rows, repeat_reasons
from pytest_agenteval.results.models import RunResult, TaskResult
from pytest_agenteval.results.verdicts import TaskVerdict, judge, wilson

# A row's status, for the verdict filter: every repeat passed, some did, none did, none did and one crashed.
STATUSES = ("passed", "flaky", "failed", "error")


def build_view(run: RunResult) -> dict[str, Any]:
    """Everything the page needs that is not a field of the run, indexed into `run.tasks`."""
    rows, judged = task_rows(run.tasks, run.config.task_pass_rate)
    return {
        "gates": [{"passed": gate.passed, "kind": gate.kind, "spec": gate.spec, "text": describe_gate(gate)}
                  for gate in run.gates],
        "groups": groups(judged),
        "rows": rows,
        "scorers": sorted({fb.key for task in run.tasks for fb in task.feedback}),
        "tags": sorted({tag for task in run.tasks for tag in task.tags}),
        "suites": list(dict.fromkeys(task.suite for task in run.tasks)),
        "variants": variant_names(run),
        "tasks_meeting_policy": sum(v.meets_policy for v in judged),
        "task_count": len(judged),
    }


def variant_names(run: RunResult) -> list[str]:
    if run.variants is not None and run.variants.names:
        return list(run.variants.names)
    return [name for name in dict.fromkeys(task.variant for task in run.tasks) if name is not None]


def task_rows(tasks: Sequence[TaskResult], required: float) -> tuple[list[dict[str, Any]], list[TaskVerdict]]:
    """One row per (suite, task, variant), repeats grouped in run order; and each row's verdict."""
    groups: dict[tuple[str, str, str | None], list[int]] = {}
    for index, task in enumerate(tasks):
        groups.setdefault((task.suite, task.base_task_id, task.variant), []).append(index)
    rows, judged = [], []
    for (suite, task_id, variant), indices in groups.items():
        repeats = [tasks[i] for i in indices]
        verdict = judge(repeats, required)
        judged.append(verdict)
        rows.append(task_row(verdict, suite, task_id, variant, indices, repeats))
    return rows, judged


def task_row(verdict: TaskVerdict, suite: str, task_id: str, variant: str | None, indices: list[int],
             repeats: list[TaskResult]) -> dict[str, Any]:
    bounds = verdict.interval
    costs = [task.cost for task in repeats if task.cost is not None]
    keys = list(dict.fromkeys(fb.key for task in repeats for fb in task.feedback))
    return {
        "items": indices,
        "suite": suite,
        "task": task_id,
        "variant": variant,
        "tags": list(repeats[0].tags),
        "status": status(verdict),
        "passes": verdict.passes,
        "runs": verdict.runs,
        "meets_policy": verdict.meets_policy,
        "pass_at_k": verdict.pass_at_k,
        "pass_hat_k": verdict.pass_hat_k,
        "interval": [bounds.low, bounds.high],
        "tokens": sum(task.tokens.total for task in repeats),
        "cost": sum(costs) if costs else None,
        "duration_ms": sum(task.duration_ms for task in repeats) / len(repeats),
        "scorers": keys,
        "missed": [key for key in keys if any(fb.key == key and fb.passed is False
                                              for task in repeats for fb in task.feedback)],
        "reasons": repeat_reasons(repeats, width=200),  # as the terminal names them, a little longer
        "replay": sorted({task.replay.status for task in repeats if task.replay is not None}),
        "budget_violations": sum(len(task.budget_violations) for task in repeats),
    }


def status(verdict: TaskVerdict) -> str:
    if verdict.label != "fail":
        return "passed" if verdict.label == "pass" else "flaky"
    return "error" if any(task.verdict == "error" for task in verdict.results) else "failed"


def groups(judged: list[TaskVerdict]) -> list[dict[str, Any]]:
    """Pass rates of tasks meeting the policy, per suite then per tag within it, with Wilson 95% intervals."""
    rows = []
    for name, passed, total in group_rows(judged):
        bounds = wilson(passed, total)
        is_tag = name.startswith("  tag ")
        rows.append({"kind": "tag" if is_tag else "suite", "name": name.removeprefix("  tag ") if is_tag else name,
                     "passed": passed, "total": total, "rate": passed / total, "interval": [bounds.low, bounds.high]})
    return rows
