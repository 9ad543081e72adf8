"""Text renderings of stored results: an item's failure message, the run's terminal summary, its gates.
Every line they return has its control characters escaped (`printable`), so stored text never drives the terminal.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pytest_agenteval.report.baseline import baseline_lines
from pytest_agenteval.report.digest import (
    SHORT_CAUSES,
    SHORT_FLAKY,
    SHORT_REJECTED,
    SHORT_SCORERS,
    SHORT_SUITES,
    SHORT_TASK_LINES,
    Listing,
    capped,
    crash_text,
    group_causes,
    rest_by_kind,
    short_group_rows,
)
from pytest_agenteval.report.leaderboard import variant_lines
from pytest_agenteval.report.pairwise import pairwise_lines
from pytest_agenteval.report.replays import replay_lines
from pytest_agenteval.results.models import (
    FeedbackRecord,
    GateRecord,
    RunDiff,
    RunResult,
    TaskResult,
)
from pytest_agenteval.results.verdicts import TaskVerdict, required_passes, rows_per_variant, task_verdicts, wilson
from pytest_agenteval.tracing.model import ErrorInfo

MAX_SHOWN = 300
# C0 and C1 controls (ESC starts CSI/OSC sequences, CR overwrites a line), DEL, Unicode line separators and
# bidirectional overrides, lone surrogates; newline and tab are kept only in multi-line blocks.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNPRINTABLE_LINE = re.compile(f"[\t\n{_CONTROL}]")
_UNPRINTABLE_BLOCK = re.compile(f"[{_CONTROL}]")


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with control characters shown as visible escapes (`\\x1b`, `\\r`, `\\u202e`); with `multiline`,
    newlines and tabs are kept (a CR before a newline is dropped)."""
    pattern = _UNPRINTABLE_BLOCK if multiline else _UNPRINTABLE_LINE
    if pattern.search(text) is None:
        return text
    if multiline:
        text = text.replace("\r\n", "\n")
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    """One line of at most `limit` characters, control characters escaped."""
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    text = printable(text)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def describe_exception(error: ErrorInfo, limit: int = MAX_SHOWN, failed_in: str | None = None) -> str:
    """Why a task errored: the agent's (or a fixture's) exception, or a result that could not be stored as it is."""
    return crash_text(error, shorten(error.message, limit), failed_in)


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
        lines.append(f"  {describe_exception(result.exception, failed_in=result.failed_in)}")
    failing = [fb for fb in result.feedback if fb.passed is False]
    if failing:
        lines.append("  failing scorers:")
        lines.extend(f"    {shorten(describe_feedback(fb), 500)}" for fb in failing)
    if tracebacks:
        crashes = [("agent", result.traceback)] + [(f"scorer {fb.key}", fb.traceback) for fb in failing]
        for who, shown in crashes:
            if shown:
                lines.append(f"  {who} traceback:")
                lines.extend(f"    {line}" for line in shown.rstrip().split("\n"))
    return "\n".join(printable(line) for line in lines)


def render_summary(run: RunResult, json_path: str | None, *, full: bool = True, gates: bool = False,
                   markdown_path: str | None = None) -> list[str]:
    """The terminal summary of a run, one line per entry: all of it (`agenteval show`), or with `full=False` what
    fits a screen and a pointer to the rest; with `gates`, the gates come right after the first line."""
    return [line for line, _ in summary_entries(run, json_path, full=full, gates=gates, markdown_path=markdown_path,
                                                run_file=json_path)]


def summary_entries(run: RunResult, json_path: str | None, *, full: bool, gates: bool = True,
                    markdown_path: str | None = None, run_file: str | None = None) -> list[tuple[str, bool]]:
    """(line, alarming) for each line of the summary; failed gates and rejected records are alarming. The most
    useful facts first: gates, rejected records, pass rates by suite and tag, scorers, then the failing tasks.
    `run_file` and `markdown_path` are where the pointer sends the reader for what a short summary leaves out."""
    listing = Listing(full)
    judged = task_verdicts(run.tasks, run.config.task_pass_rate)
    entries = [(_header(run), False)]
    if gates and run.gates:
        entries.append(("gates:", False))
        entries.extend((f"  {'PASS' if g.passed else 'FAIL'} {describe_gate(g)}", not g.passed) for g in run.gates)
    entries.extend((line, True) for line in _rejected_lines(run.invalid_records, listing))
    plain = [*_count_lines(run, listing), *_group_lines(judged, listing), *_scorer_lines(run, listing),
             *variant_lines(run.variants), *pairwise_lines(run.pairwise, full=listing.full),
             *_repeat_lines(judged, run.config.task_pass_rate, listing),
             *_failing_lines(judged, listing)]
    plain.extend(baseline_lines(run.baseline, listing) if run.baseline else [])
    plain.extend(_total_lines(run))
    plain.append(f"run JSON: {json_path}" if json_path else "run JSON: not written (pass --eval-store=DIR to keep it)")
    plain.extend(listing.pointer(run_file, markdown_path))
    entries.extend((line, False) for line in plain)
    return [(printable(line), alarming) for line, alarming in entries]


def _header(run: RunResult) -> str:
    return (f"run {run.run_id}" + (f"  label: {run.label}" if run.label else "")
            + ("  (partial: the session was interrupted)" if run.partial else ""))


def _rejected_lines(records: Sequence[str], listing: Listing) -> list[str]:
    """The suite records that were rejected (so never ran), counted and named: each is "file:line: problem"."""
    if not records:
        return []
    if len(records) == 1:
        return [f"rejected suite records: 1, not run: {shorten(records[0], 200)}"]
    shown = listing.capped(records, SHORT_REJECTED, "rejected records")
    more = [f"  ... and {len(records) - len(shown)} more (the run JSON's invalid_records)"] if len(shown) < len(
        records) else []
    return [f"rejected suite records: {len(records)}, not run:", *(f"  {shorten(r, 200)}" for r in shown), *more]


def _count_lines(run: RunResult, listing: Listing) -> list[str]:
    verdicts = Counter(run.aggregates.verdicts)
    per_suite = list(Counter(task.suite for task in run.tasks).items())
    named, left = capped(per_suite, listing.cap(SHORT_SUITES))
    suites = ", ".join(f"{suite} ({count} items)" for suite, count in named) or "none ran"
    suites += f" ... and {left} more ({sum(n for _, n in per_suite[len(named):])} items)" if left else ""
    rejected = f"; {len(run.invalid_records)} rejected suite records not run" if run.invalid_records else ""
    return [f"suites: {suites}",
            f"tasks: {len(run.tasks)} items, {verdicts['passed']} passed, {verdicts['failed']} failed, "
            f"{verdicts['error']} errors{rejected}"]


def _group_lines(judged: list[TaskVerdict], listing: Listing) -> list[str]:
    rows = group_rows(judged) if listing.full else short_group_rows(judged, listing)
    return _group_table(rows)


def _group_table(rows: list[tuple[str, int, int]]) -> list[str]:
    if not rows:
        return []
    width = max(len(name) for name, _, _ in rows)
    return ["tasks by suite and tag:"] + [f"  {name:<{width}}  {passed}/{total} tasks pass  "
                                          f"{passed / total:7.1%}  {interval(passed, total)}"
                                          for name, passed, total in rows]


def _scorer_lines(run: RunResult, listing: Listing) -> list[str]:
    aggregates, lines = run.aggregates, []
    counts = listing.capped(list(aggregates.pass_counts.items()), SHORT_SCORERS, "scorer rows",
                            lambda kv: kv[1].passed / kv[1].total)
    if counts:
        width = max(len(key) for key, _ in counts)
        lines.append("pass rate by scorer:")
        lines.extend(f"  {key:<{width}}  {count.passed / count.total:7.1%}  ({count.passed}/{count.total})"
                     for key, count in counts)
    stats = listing.capped(list(aggregates.score_stats.items()), SHORT_SCORERS, "score rows")
    if stats:
        lines.append("scores:")
        lines.extend(f"  {key}  mean={s.mean:.3g} p50={s.p50:.3g} p95={s.p95:.3g} n={s.n}" for key, s in stats)
    labels = listing.capped(list(aggregates.value_counts.items()), SHORT_SCORERS, "label rows")
    if labels:
        lines.append("labels:")
        lines.extend(f"  {key}  " + " ".join(f"{label}={n}" for label, n in tally.items()) for key, tally in labels)
    return lines


def _total_lines(run: RunResult) -> list[str]:
    aggregates, tokens = run.aggregates, run.aggregates.tokens
    lines = [f"tokens: input={tokens.input} output={tokens.output} total={tokens.total}"
             + (f" (cache read={tokens.cache_read} write={tokens.cache_creation})"
                if tokens.cache_read or tokens.cache_creation else "")]
    if aggregates.cost is not None:
        lines.append(f"cost: {aggregates.cost:.6g}")
    lines.extend([judged] if (judged := judge_line(run)) else [])
    rejected = f"; rejected suite records: {len(run.invalid_records)}" if run.invalid_records else ""
    lines.append(f"errors: {aggregates.errors}{rejected}")
    by_budget = " ".join(f"{name}={n}" for name, n in aggregates.budget_violations_by_budget.items())
    lines.append(f"budget violations: {aggregates.budget_violations}" + (f" ({by_budget})" if by_budget else ""))
    return lines + replay_lines(run)


def judge_line(run: RunResult) -> str | None:
    """What LLM judges spent, apart from the agents' tokens and cost; None when no judge ran."""
    tokens, cost = run.aggregates.judge_tokens, run.aggregates.judge_cost
    if not tokens.total and cost is None:
        return None
    priced = f", cost {cost:.6g}" if cost is not None else ", cost unknown (no price for the judge's model)"
    return (f"judges: tokens input={tokens.input} output={tokens.output} total={tokens.total}{priced} "
            "(not in the agents' tokens and cost)")


def interval_range(passes: int, runs: int) -> str:
    """The Wilson 95% interval of a pass rate, as `59.6%-98.2%`."""
    bounds = wilson(passes, runs)
    return f"{bounds.low:.1%}-{bounds.high:.1%}"


def interval(passes: int, runs: int) -> str:
    return f"[95% CI {interval_range(passes, runs)}]"


def group_rows(judged: list[TaskVerdict]) -> list[tuple[str, int, int]]:
    """(group, passing tasks, tasks) for each suite, then each tag within it; with variants, for each variant."""
    return rows_per_variant(judged, _suite_and_tag_rows)


def _suite_and_tag_rows(judged: list[TaskVerdict]) -> list[tuple[str, int, int]]:
    rows = []
    for suite in dict.fromkeys(v.suite for v in judged):
        in_suite = [v for v in judged if v.suite == suite]
        rows.append((suite, sum(v.meets_policy for v in in_suite), len(in_suite)))
        for tag in sorted({tag for v in in_suite for tag in v.tags}):
            tagged = [v for v in in_suite if tag in v.tags]
            rows.append((f"  tag {tag}", sum(v.meets_policy for v in tagged), len(tagged)))
    return rows


def _repeat_lines(judged: list[TaskVerdict], required: float, listing: Listing) -> list[str]:
    """The verdict counts; then each flaky and failing task, or in short only the flaky ones (a task that failed
    every repeat is under failing tasks), those that miss the pass rate first."""
    if not any(v.runs > 1 for v in judged):
        return []
    labels = Counter(v.label for v in judged)
    lines = [f"repeats: task pass rate {required:g}; {labels['pass']} pass, {labels['flaky']} flaky, "
             f"{labels['fail']} fail"]
    listed = [v for v in judged if v.label != "pass" and (listing.full or v.label == "flaky")]
    shown = listing.capped(listed, SHORT_FLAKY, "flaky tasks", lambda v: (v.meets_policy, v.rate))
    lines.extend(f"  {v.label:<5}  {v.name}  {v.passes}/{v.runs}  pass@{v.runs}={v.pass_at_k:.2f} "
                 f"pass^{v.runs}={v.pass_hat_k:.2f}  {interval(v.passes, v.runs)}" for v in shown)
    lines.extend([f"  ... and {len(listed) - len(shown)} more flaky tasks"] if len(shown) < len(listed) else [])
    return lines


def _failing_lines(judged: list[TaskVerdict], listing: Listing) -> list[str]:
    """Task by task (all of them, or in short while that fits SHORT_TASK_LINES), else grouped by cause."""
    lines = _task_by_task(judged)
    if listing.full or len(lines) <= SHORT_TASK_LINES + 1:
        return lines
    failing = [v for v in judged if v.label != "pass"]
    listing.hidden.append(f"each of the {len(failing)} failing tasks with its reasons")
    tolerated = sum(v.meets_policy for v in failing)
    lines = [f"failing tasks: {len(failing)} of {len(judged)} ({len(failing) - tolerated} miss the task pass rate, "
             f"{tolerated} tolerated), by cause:"]
    groups = group_causes(failing)
    for group in groups[:SHORT_CAUSES]:
        names = group.names()
        more = f" ... and {len(group.tasks) - len(names)} more" if len(group.tasks) > len(names) else ""
        lines.append(f"  {group.counted():<9}  {shorten(group.describe(), 160)}")
        lines.append(f"    {', '.join(names)}{more}")
    rest = groups[SHORT_CAUSES:]
    if rest:
        lines.append(f"  ... and {len(rest)} more causes ({shorten(rest_by_kind(rest), 160)})")
    return lines


def _task_by_task(judged: list[TaskVerdict]) -> list[str]:
    failing = [v for v in judged if v.label != "pass"]
    if not failing:
        return []
    lines = ["failing tasks:"]
    for v in failing:
        verdict = "tolerated" if v.meets_policy else f"needs {required_passes(v.required, v.runs)}"
        lines.append(f"  {v.name}  {v.passes}/{v.runs} passed ({verdict})")
        lines.extend(f"    {reason}" for reason in failure_reasons(v))
    return lines


def failure_reasons(verdict: TaskVerdict, limit: int = 3) -> list[str]:
    """The distinct causes of a task's failed repeats: crashes, then failing scorers."""
    return repeat_reasons(verdict.results, limit)


def repeat_reasons(repeats: Sequence[TaskResult], limit: int = 3, width: int = 160) -> list[str]:
    """The distinct causes of the failed `repeats`, each shortened to about `width` characters."""
    reasons: dict[str, None] = {}
    for task in repeats:
        if task.exception is not None:
            reasons[describe_exception(task.exception, width - 40, task.failed_in)] = None
        for fb in task.feedback:
            if fb.passed is False:
                reasons[shorten(describe_feedback(fb), width)] = None
    return list(reasons)[:limit]


def render_baseline(diff: RunDiff) -> list[str]:
    """What changed since the baseline: flips first, then drift, then run-level deltas."""
    return [printable(line) for line in baseline_lines(diff, Listing(full=True))]


def describe_gate(gate: GateRecord) -> str:
    """One line: which gate, its measure against the requirement, and by how much it misses."""
    where = f"[{gate.spec}]" if gate.kind == "regression" else f"[--eval-fail-under={gate.spec}]"
    if gate.kind == "regression":
        if gate.name is None:
            return f"regression: not judged, {gate.problem} {where}"
        flips = gate.total_tasks - gate.passed_tasks
        return f"regression: {flips} pass->fail flip(s) against baseline {gate.name} {where}"
    subject = {"suite": "suite", "tag": f"tag {gate.name}", "scorer": f"scorer {gate.name}"}[gate.kind]
    subject += f" of variant {gate.variant}" if gate.variant is not None else ""
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
    return [("gates:", False)] + [(printable(f"  {'PASS' if gate.passed else 'FAIL'} {describe_gate(gate)}"),
                                   not gate.passed) for gate in run.gates]
