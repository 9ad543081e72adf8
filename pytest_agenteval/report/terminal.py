"""Text renderings of stored results: an item's failure message, the run's terminal summary, its gates."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pytest_agenteval.results.models import (
    ChangeStatus,
    FeedbackRecord,
    GateRecord,
    Pair,
    RunDiff,
    RunResult,
    TaskResult,
)
from pytest_agenteval.results.verdicts import TaskVerdict, required_passes, task_verdicts, wilson

MAX_SHOWN = 300


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def describe_feedback(fb: FeedbackRecord) -> str:
    if fb.error is not None:
        return f"{fb.key}: scorer raised {fb.error.type}: {fb.error.message}"
    verdict = f"{fb.key}: {fb.score}"
    if isinstance(fb.score, (int, float)) and not isinstance(fb.score, bool) and fb.threshold is not None:
        verdict = f"{fb.key}: {fb.score:g} < threshold {fb.threshold:g}"
    return f"{verdict} - {fb.comment}" if fb.comment else verdict


def render_task_failure(result: TaskResult, *, tracebacks: bool = False) -> str:
    """What a failed item shows: task, input, output, the crash and each failing scorer; with `tracebacks`
    (pytest's -vv), where the agent and each crashed scorer raised."""
    lines = [
        f"task {result.task_id} ({result.suite}:{result.line}) {result.verdict}",
        f"  input:  {shorten(result.inputs.get('input'))}",
        f"  output: {shorten(result.outputs['body']) if result.outputs.get('body') is not None else '(none)'}",
    ]
    if result.exception is not None:
        lines.append(f"  agent raised {result.exception.type}: {shorten(result.exception.message)}")
    failing = [fb for fb in result.feedback if fb.passed is False]
    if failing:
        lines.append("  failing scorers:")
        lines.extend(f"    {shorten(describe_feedback(fb), 500)}" for fb in failing)
    if tracebacks:
        crashes = [("agent", result.traceback)] + [(f"scorer {fb.key}", fb.traceback) for fb in failing]
        for who, shown in crashes:
            if shown:
                lines.append(f"  {who} traceback:")
                lines.extend(f"    {line}" for line in shown.rstrip().splitlines())
    return "\n".join(lines)


def render_summary(run: RunResult, json_path: str | None) -> list[str]:
    """The terminal summary of a run, one line per entry."""
    aggregates = run.aggregates
    verdicts = Counter(aggregates.verdicts)
    lines = [f"run {run.run_id}" + (f"  label: {run.label}" if run.label else "") + (
        "  (partial: the session was interrupted)" if run.partial else "")]
    per_suite = Counter(task.suite for task in run.tasks)
    lines.append("suites: " + ", ".join(f"{suite} ({count} items)" for suite, count in per_suite.items()))
    lines.append(f"tasks: {len(run.tasks)} items, {verdicts['passed']} passed, {verdicts['failed']} failed, "
                 f"{verdicts['error']} errors")
    judged = task_verdicts(run.tasks, run.config.task_pass_rate)
    lines.extend(render_groups(judged))
    lines.extend(render_repeats(judged, run.config.task_pass_rate))
    lines.extend(render_failing(judged))
    if aggregates.pass_counts:
        width = max(len(key) for key in aggregates.pass_counts)
        lines.append("pass rate by scorer:")
        lines.extend(f"  {key:<{width}}  {count.passed / count.total:7.1%}  ({count.passed}/{count.total})"
                     for key, count in aggregates.pass_counts.items())
    if aggregates.score_stats:
        lines.append("scores:")
        lines.extend(f"  {key}  mean={s.mean:.3g} p50={s.p50:.3g} p95={s.p95:.3g} n={s.n}"
                     for key, s in aggregates.score_stats.items())
    if aggregates.value_counts:
        lines.append("labels:")
        lines.extend(f"  {key}  " + " ".join(f"{label}={n}" for label, n in counts.items())
                     for key, counts in aggregates.value_counts.items())
    tokens = aggregates.tokens
    lines.append(f"tokens: input={tokens.input} output={tokens.output} total={tokens.total}"
                 + (f" (cache read={tokens.cache_read} write={tokens.cache_creation})"
                    if tokens.cache_read or tokens.cache_creation else ""))
    if aggregates.cost is not None:
        lines.append(f"cost: {aggregates.cost:.6g}")
    lines.append(f"errors: {aggregates.errors}")
    by_budget = " ".join(f"{name}={n}" for name, n in aggregates.budget_violations_by_budget.items())
    lines.append(f"budget violations: {aggregates.budget_violations}" + (f" ({by_budget})" if by_budget else ""))
    lines.extend(render_baseline(run.baseline) if run.baseline else [])
    lines.append(f"run JSON: {json_path}" if json_path else "run JSON: not written (pass --eval-store=DIR to keep it)")
    return lines


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def interval_range(passes: int, runs: int) -> str:
    """The Wilson 95% interval of a pass rate, as `59.6%-98.2%`."""
    bounds = wilson(passes, runs)
    return f"{bounds.low:.1%}-{bounds.high:.1%}"


def interval(passes: int, runs: int) -> str:
    return f"[95% CI {interval_range(passes, runs)}]"


def group_rows(judged: list[TaskVerdict]) -> list[tuple[str, int, int]]:
    """(group, passing tasks, tasks) for each suite, then each tag within it."""
    rows = []
    for suite in dict.fromkeys(v.suite for v in judged):
        in_suite = [v for v in judged if v.suite == suite]
        rows.append((suite, sum(v.meets_policy for v in in_suite), len(in_suite)))
        for tag in sorted({tag for v in in_suite for tag in v.tags}):
            tagged = [v for v in in_suite if tag in v.tags]
            rows.append((f"  tag {tag}", sum(v.meets_policy for v in tagged), len(tagged)))
    return rows


def render_groups(judged: list[TaskVerdict]) -> list[str]:
    rows = group_rows(judged)
    if not rows:
        return []
    width = max(len(name) for name, _, _ in rows)
    return ["tasks by suite and tag:"] + [f"  {name:<{width}}  {passed}/{total} tasks pass  "
                                          f"{passed / total:7.1%}  {interval(passed, total)}"
                                          for name, passed, total in rows]


def render_repeats(judged: list[TaskVerdict], required: float) -> list[str]:
    """Per-task verdicts over repeats; only when some task ran more than once."""
    if not any(v.runs > 1 for v in judged):
        return []
    labels = Counter(v.label for v in judged)
    lines = [f"repeats: task pass rate {required:g}; {labels['pass']} pass, {labels['flaky']} flaky, "
             f"{labels['fail']} fail"]
    lines.extend(f"  {v.label:<5}  {v.suite}::{v.task_id}  {v.passes}/{v.runs}  pass@{v.runs}={v.pass_at_k:.2f} "
                 f"pass^{v.runs}={v.pass_hat_k:.2f}  {interval(v.passes, v.runs)}"
                 for v in judged if v.label != "pass")
    return lines


def render_failing(judged: list[TaskVerdict]) -> list[str]:
    """Each task with a failed repeat, whether the policy tolerates it, and why its repeats failed."""
    failing = [v for v in judged if v.label != "pass"]
    if not failing:
        return []
    lines = ["failing tasks:"]
    for v in failing:
        verdict = "tolerated" if v.meets_policy else f"needs {required_passes(v.required, v.runs)}"
        lines.append(f"  {v.suite}::{v.task_id}  {v.passes}/{v.runs} passed ({verdict})")
        lines.extend(f"    {reason}" for reason in failure_reasons(v))
    return lines


def failure_reasons(verdict: TaskVerdict, limit: int = 3) -> list[str]:
    """The distinct causes of a task's failed repeats: crashes, then failing scorers."""
    reasons: dict[str, None] = {}
    for task in verdict.results:
        if task.exception is not None:
            reasons[f"agent raised {task.exception.type}: {shorten(task.exception.message, 120)}"] = None
        for fb in task.feedback:
            if fb.passed is False:
                reasons[shorten(describe_feedback(fb), 160)] = None
    return list(reasons)[:limit]


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


def render_baseline(diff: RunDiff) -> list[str]:
    """What changed since the baseline: flips first, then drift, then run-level deltas."""
    label = f" (label {diff.base_label})" if diff.base_label else ""
    lines = [f"baseline: run {diff.base_run_id}{label}: {describe_change_counts(diff)}"]
    for task in diff.tasks:
        name = f"{task.suite}::{task.task_id}"
        flipped = [s.key for s in task.scorers if s.flipped]
        if task.status in ("regressed", "fixed") or flipped:
            scorers = f"  scorers pass->fail: {', '.join(flipped)}" if flipped else ""
            lines.append(f"  {task.status:<9}  {name}  {task.base_passes}/{task.base_runs} -> "
                         f"{task.passes}/{task.runs}{scorers}")
        elif task.status == "drifted":
            lines.append(f"  drifted    {name}  not comparable: {' and '.join(task.drift)} changed")
        elif task.status in ("added", "removed"):
            lines.append(f"  {task.status:<9}  {name}")
    lines.append("  " + "; ".join([describe_pair("suite pass rate", diff.suite_rate, rate=True),
                                    describe_pair("tokens/item", diff.tokens),
                                    describe_pair("ms/item", diff.duration_ms),
                                    describe_pair("cost", diff.cost)]))
    lines.extend(f"  {describe_pair(f'scorer {key}', pair, rate=True)}" for key, pair in diff.scorer_rates.items()
                 if pair.base != pair.current)
    return lines


def describe_gate(gate: GateRecord) -> str:
    """One line: which gate, its measure against the requirement, and by how much it misses."""
    where = f"[{gate.spec}]" if gate.kind == "regression" else f"[--eval-fail-under={gate.spec}]"
    if gate.kind == "regression":
        if gate.name is None:
            return f"regression: not judged, {gate.problem} {where}"
        flips = gate.total_tasks - gate.passed_tasks
        return f"regression: {flips} pass->fail flip(s) against baseline {gate.name} {where}"
    subject = {"suite": "suite", "tag": f"tag {gate.name}", "scorer": f"scorer {gate.name}"}[gate.kind]
    if gate.problem is not None or gate.rate is None or gate.required is None:
        return f"{subject}: {gate.problem} {where}"
    measured = f"{subject}: {gate.rate:.1%} of tasks pass ({gate.passed_tasks}/{gate.total_tasks})"
    if gate.passed:
        return f"{measured} >= {gate.required:.1%} required {where}"
    more = required_passes(gate.required, gate.total_tasks) - gate.passed_tasks
    return (f"{measured} < {gate.required:.1%} required: short by {(gate.required - gate.rate) * 100:.1f} points, "
            f"{more} more task(s) must pass {where}")


def render_gate_lines(run: RunResult) -> list[tuple[str, bool]]:
    """(line, failed) for each gate, after a header; empty when no gate was configured."""
    if not run.gates:
        return []
    return [("gates:", False)] + [(f"  {'PASS' if gate.passed else 'FAIL'} {describe_gate(gate)}", not gate.passed)
                                  for gate in run.gates]
