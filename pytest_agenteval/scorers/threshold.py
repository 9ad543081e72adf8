"""`threshold`: turn a wrapped scorer's numeric scores into pass/fail against inclusive bounds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from pytest_agenteval.scorers._checks import require_number, show_number
from pytest_agenteval.scoring.coerce import as_scorer
from pytest_agenteval.scoring.core import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import Trace


def threshold(
    scorer: Scorer | Callable[..., Any],
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    key: str | None = None,
) -> Scorer:
    """Pass a numeric score inside [at_least, at_most]; no score, or no feedback at all, fails.

    Args:
        key: renames every feedback; by default each keeps its key, and the scorer takes the wrapped key.
    """
    if at_least is None and at_most is None:
        raise ValueError("threshold: give at_least, at_most, or both")
    low = None if at_least is None else require_number("threshold", "at_least", at_least, minimum=None)
    high = None if at_most is None else require_number("threshold", "at_most", at_most, minimum=None)
    if low is not None and high is not None and low > high:
        raise ValueError(f"threshold: at_least {show_number(low)} is above at_most {show_number(high)}")
    inner = as_scorer(scorer)
    name = key or inner.key

    async def check(task: Task, outputs: Mapping[str, Any], trace: Trace) -> list[Feedback]:
        feedback = await inner.score(ScoreContext(task=task, outputs=outputs, trace=trace))
        if not feedback:
            return [Feedback(key=name, score=False, comment=f"no feedback from {inner.key!r}")]
        return [_bound(each, low, high, key) for each in feedback]

    return Scorer(check, key=name)


def _bound(feedback: Feedback, low: float | None, high: float | None, key: str | None) -> Feedback:
    renamed = replace(feedback, key=key or feedback.key)
    if feedback.error is not None or isinstance(feedback.score, bool):
        return renamed  # a crash stays a crash; a bool is already a verdict
    if feedback.score is None:
        return replace(renamed, score=False, comment=_join("ungradeable: no numeric score", feedback.comment))
    score = feedback.score
    shown = show_number(score)
    if low is not None and score < low:
        verdict, passed = f"score {shown} < {show_number(low)}", False
    elif high is not None and score > high:
        verdict, passed = f"score {shown} > {show_number(high)}", False
    else:
        bounds = [f">= {show_number(low)}"] if low is not None else []
        bounds += [f"<= {show_number(high)}"] if high is not None else []
        verdict, passed = f"score {shown} {' and '.join(bounds)}", True
    detail = {**(feedback.detail or {}), "score": score, "at_least": low, "at_most": high}
    comment = _join(verdict, feedback.comment)
    return replace(renamed, score=passed, threshold=None, comment=comment, detail=detail)


def _join(verdict: str, comment: str | None) -> str:
    return f"{verdict}; {comment}" if comment else verdict
