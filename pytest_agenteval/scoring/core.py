"""The scorer protocol (AG2-compatible): `@scorer`, `Scorer`, `Feedback`, and applying scorers.

A scorer asks by parameter name for `inputs`, `outputs`, `reference_outputs`, `trace`, `task`.
A scorer that raises becomes a failed `Feedback` carrying the error; it never drops out.
Imports nothing from pytest; `coerce` turns what users hand over into `Scorer`s.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, Trace, user_traceback

INJECTABLE = ("inputs", "outputs", "reference_outputs", "trace", "task")


class ScorerReturnTypeError(TypeError):
    """A scorer returned something that is not bool, number, str, Feedback, a list of them, or None."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """One grade: a bool/number `score`, or a categorical `value`, with an optional comment.

    A numeric score passes when it is at least `threshold`; without a threshold it never fails.
    `error` (and its `traceback`) is set when the scorer itself crashed, which always counts as a failure.
    """

    key: str
    score: bool | int | float | None = None
    value: str | None = None
    comment: str | None = None
    detail: Mapping[str, Any] | None = None
    threshold: float | None = None
    error: ErrorInfo | None = None
    traceback: str | None = None

    @property
    def passed(self) -> bool | None:
        """True/False when this feedback decides pass or fail, None when it only informs."""
        if self.error is not None:
            return False
        if isinstance(self.score, bool):
            return self.score
        if self.score is not None and self.threshold is not None:
            return self.score >= self.threshold
        return None


@dataclass(frozen=True, slots=True)
class ScoreContext:
    """What scorers may ask for, by parameter name."""

    task: Task
    outputs: Mapping[str, Any]
    trace: Trace = field(default_factory=Trace)

    def arguments(self, names: Iterable[str]) -> dict[str, Any]:
        available = {
            "inputs": self.task.inputs,
            "outputs": self.outputs,
            "reference_outputs": self.task.reference_outputs,
            "trace": self.trace,
            "task": self.task,
        }
        return {name: available[name] for name in names}


class Scorer:
    """A grading function with a stable `key`; parameters are checked when it is made."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        key: str | None = None,
        threshold: float | None = None,
    ) -> None:
        if isinstance(fn, Scorer):
            raise TypeError(f"scorer {fn.key!r} is already a Scorer; do not wrap it twice")
        self.fn = fn
        self.key: str = key or str(getattr(fn, "__name__", type(fn).__name__))
        self.threshold = threshold
        self.parameters = _injectable_parameters(fn, self.key)

    def __repr__(self) -> str:
        return f"Scorer({self.key!r})"

    async def score(self, context: ScoreContext) -> list[Feedback]:
        """Run the scorer; a crash or a bad return value becomes one failed Feedback."""
        try:
            returned = self.fn(**context.arguments(self.parameters))
            if inspect.isawaitable(returned):
                returned = await returned
            return normalize_feedback(returned, self.key, self.threshold)
        except Exception as exc:  # a crashing scorer is a failed grade, never a silent pass
            return [Feedback(key=self.key, error=ErrorInfo.from_exception(exc), traceback=user_traceback(exc),
                             comment=f"scorer raised {type(exc).__name__}: {exc}")]


@overload
def scorer(fn: Callable[..., Any], /) -> Scorer: ...
@overload
def scorer(
    *, key: str | None = None, threshold: float | None = None
) -> Callable[[Callable[..., Any]], Scorer]: ...
def scorer(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    key: str | None = None,
    threshold: float | None = None,
) -> Scorer | Callable[[Callable[..., Any]], Scorer]:
    """Make a `Scorer`: `@scorer` or `@scorer(key="...", threshold=0.7)`."""
    if fn is not None:
        return Scorer(fn, key=key, threshold=threshold)
    return lambda f: Scorer(f, key=key, threshold=threshold)


def normalize_feedback(returned: Any, key: str, threshold: float | None = None) -> list[Feedback]:
    """Turn a scorer's return value into Feedback records (AG2's rules)."""
    if returned is None:
        return []
    if isinstance(returned, Feedback):
        return [returned]
    if isinstance(returned, bool):
        return [Feedback(key=key, score=returned)]
    if isinstance(returned, (int, float)):
        return [Feedback(key=key, score=returned, threshold=threshold)]
    if isinstance(returned, str):
        return [Feedback(key=key, value=returned)]
    if isinstance(returned, (list, tuple)):
        return [fb for item in returned for fb in normalize_feedback(item, key, threshold)]
    raise ScorerReturnTypeError(
        f"scorer {key!r} returned {type(returned).__name__}; "
        "return bool, int, float, str, Feedback, a list of them, or None"
    )


async def apply_scorers(scorers: Iterable[Scorer], context: ScoreContext) -> list[Feedback]:
    """Apply every scorer; async ones (LLM judges) wait concurrently. Feedback keeps the scorers' order."""
    results = await asyncio.gather(*(each.score(context) for each in scorers))
    return [feedback for result in results for feedback in result]


def _injectable_parameters(fn: Callable[..., Any], key: str) -> tuple[str, ...]:
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else type(fn).__call__.__get__(fn)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scorer {key!r}: cannot read its signature ({exc})") from exc
    names = []
    allowed = ", ".join(INJECTABLE)
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise TypeError(
                f"scorer {key!r}: parameter {name!r} must be a named parameter; "
                f"allowed parameters are: {allowed}"
            )
        if name not in INJECTABLE:
            if parameter.default is not parameter.empty:
                continue
            raise TypeError(
                f"scorer {key!r}: parameter {name!r} is not injectable; allowed parameters are: {allowed}"
            )
        names.append(name)
    return tuple(names)
