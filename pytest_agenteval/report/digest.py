"""What a short summary keeps of a big run: listings capped to a screen, counting what they leave out (`Listing`),
and failing tasks grouped by cause (one scorer's verdict and comment, or one crash), so a comment shared by 37
tasks is shown once with its count. Pure; text is neither shortened nor escaped here (the renderers do it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pytest_agenteval.results.models import FeedbackRecord
from pytest_agenteval.results.storable import UNSTORABLE
from pytest_agenteval.results.verdicts import TaskVerdict, rows_per_variant
from pytest_agenteval.tracing.model import ErrorInfo

T = TypeVar("T")

# The short summary's caps: what fits a screen at hundreds of tasks (--eval-summary=full lifts them).
SHORT_SUITES = 6  # suites named on the `suites:` line
SHORT_GROUPS = 8  # suite rows, and tag rows, of the pass-rate table (the lowest rates when there are more)
SHORT_SCORERS = 8  # rows of each scorer table
SHORT_REJECTED = 3  # rejected records named
SHORT_FLAKY = 10  # flaky tasks under repeats
SHORT_TASK_LINES = 20  # failing tasks are listed one by one while that takes at most this many lines
SHORT_CAUSES = 6  # causes of failing tasks named; the rest summed up per scorer or crash type
SHORT_NAMED = 4  # tasks named per cause, in at most NAMES_WIDTH characters
NAMES_WIDTH = 100
SHORT_CHANGES = 6  # baseline changes


def crash_text(error: ErrorInfo, message: str, failed_in: str | None = None) -> str:
    """Why a task errored, with `message` as the caller shows it: the agent's (or `failed_in`'s, e.g. a
    fixture's) exception, or an unstorable result."""
    if error.type == UNSTORABLE:
        return f"result {message}"
    return f"{failed_in or 'agent'} raised {error.type}: {message}"


def feedback_cause(fb: FeedbackRecord) -> str:
    """A failed feedback without its numeric score, so tasks that failed alike read alike."""
    if fb.error is not None:
        return f"{fb.key}: scorer raised {fb.error.type}: {fb.error.message}"
    if isinstance(fb.score, bool) or fb.score is None:
        head = f"{fb.key}: {fb.value if fb.score is None and fb.value is not None else fb.score}"
    elif fb.threshold is not None:
        head = f"{fb.key}: under threshold {fb.threshold:g}"
    else:
        head = f"{fb.key}: failed"
    return f"{head} - {fb.comment}" if fb.comment else head


@dataclass
class CauseGroup:
    """The failing tasks that share one cause; `kind` is the scorer key or the crash's type."""

    cause: str
    kind: str
    tasks: list[TaskVerdict] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)  # the numeric scores behind a threshold miss

    def describe(self) -> str:
        """The cause, with the range of its numeric scores when it has some."""
        if not self.scores:
            return self.cause
        low, high = min(self.scores), max(self.scores)
        shown = f"score {low:.3g}" if low == high else f"scores {low:.3g}-{high:.3g}"
        return f"{self.cause} ({shown})"

    def names(self, limit: int = SHORT_NAMED, width: int = NAMES_WIDTH) -> list[str]:
        """The first few tasks as `suite::task_id` (each clipped to 60 characters), in `width` (at least one)."""
        names: list[str] = []
        for v in self.tasks[:limit]:
            name = v.name
            name = name if len(name) <= 60 else f"{name[:57]}..."
            if names and len(", ".join([*names, name])) > width:
                break
            names.append(name)
        return names

    def counted(self) -> str:
        return f"{len(self.tasks)} task{'s' if len(self.tasks) != 1 else ''}"


def task_causes(verdict: TaskVerdict) -> dict[tuple[str, str], list[float]]:
    """The distinct causes of a task's failed repeats, (cause, kind) -> numeric scores, crashes first."""
    causes: dict[tuple[str, str], list[float]] = {}
    for task in verdict.results:
        if task.exception is not None:
            raised = f"{task.failed_in or 'agent'} raised {task.exception.type}"
            kind = "unstorable result" if task.exception.type == UNSTORABLE else raised
            causes.setdefault((crash_text(task.exception, task.exception.message, task.failed_in), kind), [])
        for fb in task.feedback:
            if fb.passed is False:
                scores = causes.setdefault((feedback_cause(fb), fb.key), [])
                if fb.error is None and not isinstance(fb.score, bool) and isinstance(fb.score, (int, float)):
                    scores.append(float(fb.score))
    if not causes:  # failed with neither a crash nor a failing scorer recorded (a setup error, -W error)
        verdicts = sorted({task.verdict for task in verdict.results if task.verdict != "passed"})
        causes[(f"no failing scorer or crash recorded (verdict {', '.join(verdicts) or 'passed'})", "unrecorded")] = []
    return causes


def group_causes(failing: Sequence[TaskVerdict]) -> list[CauseGroup]:
    """One group per cause, the most common first; a task with several causes is in each of their groups.
    Within a group, the tasks that miss their pass rate come before the tolerated ones."""
    groups: dict[str, CauseGroup] = {}
    for verdict in failing:
        for (cause, kind), scores in task_causes(verdict).items():
            group = groups.setdefault(cause, CauseGroup(cause, kind))
            group.tasks.append(verdict)
            group.scores.extend(scores)
    for group in groups.values():
        group.tasks.sort(key=lambda v: v.meets_policy)
    return sorted(groups.values(), key=lambda g: -len(g.tasks))


def rest_by_kind(groups: Sequence[CauseGroup], limit: int = 4) -> str:
    """What groups left unshown hold, per scorer or crash type: `final_answer: 100 tasks, TimeoutError: 3 tasks`."""
    tasks: dict[str, set[tuple[str, str, str | None]]] = {}
    for group in groups:
        tasks.setdefault(group.kind, set()).update(v.key for v in group.tasks)
    kinds = sorted(tasks.items(), key=lambda kv: -len(kv[1]))
    shown = ", ".join(f"{kind}: {len(keys)} task{'s' if len(keys) != 1 else ''}" for kind, keys in kinds[:limit])
    return shown + (f", {len(kinds) - limit} more" if len(kinds) > limit else "")


def capped(items: Sequence[T], limit: int | None, worst: Callable[[T], Any] | None = None) -> tuple[list[T], int]:
    """At most `limit` items (all with None) and how many were left out. With `worst`, the kept ones are those
    it ranks lowest (say, the lowest pass rates), still in their original order."""
    if limit is None or len(items) <= limit:
        return list(items), 0
    if worst is None:
        return list(items[:limit]), len(items) - limit
    kept = set(sorted(range(len(items)), key=lambda i: (worst(items[i]), i))[:limit])
    return [item for i, item in enumerate(items) if i in kept], len(items) - limit


class Listing:
    """How much a summary lists: everything (`full`), or up to the short caps; it counts what it leaves out."""

    def __init__(self, full: bool) -> None:
        self.full = full
        self.hidden: list[str] = []

    def cap(self, limit: int) -> int | None:
        return None if self.full else limit

    def capped(self, items: Sequence[T], limit: int, what: str,
               worst: Callable[[T], Any] | None = None) -> list[T]:
        """The items shown; `what` names them in the pointer (`flaky tasks`) when some are left out."""
        shown, left = capped(items, self.cap(limit), worst)
        if left:
            self.hidden.append(f"{left} of {len(items)} {what}")
        return shown

    def pointer(self, run_file: str | None, markdown_path: str | None) -> list[str]:
        """What was left out, and where to read all of it; nothing when nothing was."""
        if not self.hidden:
            return []
        where = [f"`agenteval show {run_file}`"] if run_file else []
        where += [markdown_path] if markdown_path else []
        where += ["--eval-summary=full" if where else
                  "--eval-summary=full (or keep the run with --eval-store=DIR, then `agenteval show` it)"]
        return [f"not shown here: {', '.join(self.hidden)}",
                f"  to see everything: {', '.join(where[:-1])}{', or ' if len(where) > 1 else ''}{where[-1]}"]


def short_group_rows(judged: list[TaskVerdict], listing: Listing) -> list[tuple[str, int, int]]:
    """Suites, then tags: within the suite when there is one, across all suites when there are several; with
    variants, for each variant. Beyond the caps, the rows with the lowest pass rates."""
    return rows_per_variant(judged, lambda verdicts: _short_rows(verdicts, listing))


def _short_rows(judged: list[TaskVerdict], listing: Listing) -> list[tuple[str, int, int]]:
    suites = list(dict.fromkeys(v.suite for v in judged))
    rows = [_row(suite, [v for v in judged if v.suite == suite]) for suite in suites]
    if len(suites) > 1:
        rows = [*listing.capped(rows, SHORT_GROUPS, "suite rows", _rate), _row("all suites", judged)]
    return rows + listing.capped(_tag_rows(judged), SHORT_GROUPS, "tag rows", _rate)


def _row(name: str, verdicts: list[TaskVerdict]) -> tuple[str, int, int]:
    return name, sum(v.meets_policy for v in verdicts), len(verdicts)


def _tag_rows(judged: list[TaskVerdict]) -> list[tuple[str, int, int]]:
    return [_row(f"  tag {tag}", [v for v in judged if tag in v.tags])
            for tag in sorted({tag for v in judged for tag in v.tags})]


def _rate(row: tuple[str, int, int]) -> float:
    return row[1] / row[2]
