"""How far a judge agrees with people: agreement, Cohen's kappa and the confusion matrix of a stored run's verdicts
against labels (JSONL: `task_id` or `case_id`, and `passed` or `score`), and the blinded cases people label.

Pure but for reading the labels file; works on `RunResult`s, so the CLI and tests need no pytest.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pytest_agenteval.results.models import FeedbackRecord, RunResult, TaskResult

LabelKind = Literal["passed", "score"]


class CalibrationError(ValueError):
    """Labels or a judge key that cannot be calibrated; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class Label:
    """One person's verdict on one task (all its repeats when `task_id` names the record) or one blinded case."""

    line: int
    task_id: str | None = None
    case_id: str | None = None
    passed: bool | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Calibration:
    """The judge's verdicts on `key` against people's labels; `matrix[i][j]` counts people's `categories[i]` met
    by the judge's `categories[j]`. `kappa` is None when chance alone agrees fully (one category only)."""

    key: str
    kind: LabelKind
    compared: int
    agreed: int
    kappa: float | None
    categories: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]
    unmatched: tuple[int, ...] = ()  # label lines naming no task of the run
    no_verdict: int = 0  # matched tasks whose judge crashed or gave no verdict on `key`

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def cohen_kappa(people: Sequence[Hashable], judge: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters over the same items: (p_o - p_e) / (1 - p_e); None when p_e is 1."""
    if len(people) != len(judge) or not people:
        raise ValueError("cohen_kappa needs two equally long, non-empty sequences of ratings")
    n = len(people)
    observed = sum(a == b for a, b in zip(people, judge, strict=True)) / n
    first, second = Counter(people), Counter(judge)
    expected = sum(first[category] * second[category] for category in first) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def case_id(run_id: str, task: TaskResult) -> str:
    """A blinded case's stable id: says nothing of the task, its repeat or its variant, yet maps back to it."""
    digest = hashlib.sha256(f"{run_id}\0{task.task_id}\0{task.variant or ''}".encode()).hexdigest()
    return f"case-{digest[:12]}"


def blinded_cases(run: RunResult) -> list[dict[str, Any]]:
    """One labelling case per task: its input, reference and output only (no id, variant, verdict or score), in
    an order shuffled by the run id; fill in `passed` (or a `score`) and pass the file back as labels."""
    cases = [{"case_id": case_id(run.run_id, task), "input": task.inputs.get("input"),
              "reference_outputs": task.reference_outputs, "output": task.outputs.get("body"), "passed": None}
             for task in run.tasks]
    random.Random(run.run_id).shuffle(cases)
    return cases


def read_labels(path: Path) -> list[Label]:
    """The labels file: one JSON object a line; a line whose `passed` and `score` are both null is left out."""
    labels, problems = [], []
    for number, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            label = _label(json.loads(text), number)
        except (ValueError, TypeError) as exc:
            problems.append(f"{path}:{number}: {exc}")
            continue
        if label is not None:
            labels.append(label)
    if problems:
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise CalibrationError("; ".join(problems[:3]) + more)
    return labels


def _label(data: Any, line: int) -> Label | None:
    if not isinstance(data, dict):
        raise TypeError("a label is a JSON object with task_id (or case_id) and passed (or score)")
    task_id, case = data.get("task_id"), data.get("case_id")
    if not isinstance(task_id, str) and not isinstance(case, str):
        raise TypeError("'task_id' (or 'case_id') is missing; name the task each label is for")
    passed, score = data.get("passed"), data.get("score")
    if passed is not None and not isinstance(passed, bool):
        raise TypeError(f"'passed' is {passed!r}; write true or false")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise TypeError(f"'score' is {score!r}; write a number")
    if passed is None and score is None:
        return None
    return Label(line, task_id if isinstance(task_id, str) else None, case if isinstance(case, str) else None,
                 passed, None if score is None else float(score))


def judge_keys(run: RunResult) -> list[str]:
    """The feedback keys of `llm_judge` verdicts in the run (their detail names the judge)."""
    return sorted({fb.key for task in run.tasks for fb in task.feedback if (fb.detail or {}).get("judge")})


def calibrate(run: RunResult, labels: Sequence[Label], key: str | None = None) -> Calibration:
    """Compare the run's verdicts on `key` (the only judge key when None) with `labels`."""
    key = key or _only_judge_key(run)
    if not labels:
        raise CalibrationError("no label has a verdict: fill in 'passed' (true/false) or 'score' on each line")
    kind: LabelKind = "passed" if all(label.passed is not None for label in labels) else "score"
    if kind == "score" and not all(label.score is not None for label in labels):
        raise CalibrationError("labels mix 'passed' and 'score': give every label the same kind of verdict")
    by_case = {case_id(run.run_id, task): task for task in run.tasks}
    people: list[str] = []
    judge: list[str] = []
    unmatched, no_verdict = [], 0
    for label in labels:
        tasks = _labelled(run, by_case, label)
        if not tasks:
            unmatched.append(label.line)
        for task in tasks:
            verdict = _verdict(task, key, kind)
            if verdict is None:
                no_verdict += 1
                continue
            people.append(_category(label.passed if kind == "passed" else label.score))
            judge.append(verdict)
    if not people:
        raise CalibrationError(f"no labelled task has a verdict on {key!r}: check the key (judge keys in the run: "
                               f"{', '.join(judge_keys(run)) or 'none'}) and the labels' task ids")
    categories = tuple(sorted(set(people) | set(judge), key=_order))
    matrix = tuple(tuple(sum(1 for p, j in zip(people, judge, strict=True) if p == row and j == column)
                         for column in categories) for row in categories)
    return Calibration(key, kind, len(people), sum(p == j for p, j in zip(people, judge, strict=True)),
                       cohen_kappa(people, judge), categories, matrix, tuple(unmatched), no_verdict)


def _only_judge_key(run: RunResult) -> str:
    keys = judge_keys(run)
    if len(keys) != 1:
        found = f"the run has {', '.join(keys)}" if keys else "the run has no llm_judge verdict"
        raise CalibrationError(f"say which verdicts to calibrate with --key ({found})")
    return keys[0]


def _labelled(run: RunResult, by_case: dict[str, TaskResult], label: Label) -> list[TaskResult]:
    if label.case_id is not None:
        return [by_case[label.case_id]] if label.case_id in by_case else []
    exact = [task for task in run.tasks if task.task_id == label.task_id]
    return exact or [task for task in run.tasks if task.base_task_id == label.task_id]


def _verdict(task: TaskResult, key: str, kind: LabelKind) -> str | None:
    feedback: FeedbackRecord | None = next((fb for fb in task.feedback if fb.key == key), None)
    if feedback is None or feedback.error is not None or (feedback.detail or {}).get("skipped"):
        return None
    if kind == "passed":
        return None if feedback.passed is None else _category(feedback.passed)
    score = feedback.score if not isinstance(feedback.score, bool) else (feedback.detail or {}).get("score")
    return None if score is None else _category(float(score))


def _category(value: bool | float | None) -> str:
    return ("pass" if value else "fail") if isinstance(value, bool) else f"{value:g}"


def _order(category: str) -> tuple[int, float, str]:
    try:
        return (1, float(category), category)
    except ValueError:
        return (0, 0.0, category)


def render_calibration(result: Calibration) -> list[str]:
    """The calibration as text: agreement, kappa, the confusion matrix (rows: people, columns: the judge)."""
    kappa = "undefined (one category only)" if result.kappa is None else f"{result.kappa:.3f}"
    lines = [f"judge {result.key}: {result.compared} labelled verdicts ({result.kind})",
             f"  agreement: {result.agreed}/{result.compared} ({(result.agreement or 0):.1%})",
             f"  Cohen's kappa: {kappa}", "  confusion (rows: people, columns: judge):"]
    corner = "people \\ judge"
    width = max(len(c) for c in result.categories)
    lines.append(f"    {corner}" + "".join(f"  {c:>{width}}" for c in result.categories))
    lines.extend(f"    {row:>{len(corner)}}" + "".join(f"  {n:>{width}}" for n in counts)
                 for row, counts in zip(result.categories, result.matrix, strict=True))
    if result.unmatched:
        lines.append(f"  labels naming no task of the run: lines {', '.join(map(str, result.unmatched))}")
    if result.no_verdict:
        lines.append(f"  labelled tasks without a verdict on {result.key} (the judge crashed or was not run): "
                     f"{result.no_verdict}")
    return lines
