"""The scorer protocol (AG2-compatible): `@scorer`, `Scorer`, `Feedback`, and applying scorers.

A scorer asks by parameter name for `inputs`, `outputs`, `reference_outputs`, `trace`, `task`.
A scorer that raises becomes a failed `Feedback` carrying the error; it never drops out.
Imports nothing from pytest; `coerce` turns what users hand over into `Scorer`s.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, overload

from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, RaisedInThread, TokenUsage, Trace, user_traceback

INJECTABLE = ("inputs", "outputs", "reference_outputs", "trace", "task")


class ScorerReturnTypeError(TypeError):
    """A scorer returned something that is not bool, number, str, Feedback, a list of them, or None."""


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """Tokens and cost a scorer spent on its own model calls (an LLM judge): the task's judge totals, never the
    agent's. `cost` is None when no price is known."""

    tokens: TokenUsage = field(default_factory=TokenUsage)
    cost: float | None = None
    requests: int = 0

    def __add__(self, other: ModelUsage) -> ModelUsage:
        costs = [cost for cost in (self.cost, other.cost) if cost is not None]
        return ModelUsage(self.tokens + other.tokens, sum(costs) if costs else None, self.requests + other.requests)


@dataclass(frozen=True, slots=True)
class Feedback:
    """One grade: a bool/number `score`, or a categorical `value`, with an optional comment.

    A numeric score passes when it is at least `threshold`; without a threshold it never fails.
    `error` (and its `traceback`) is set when the scorer itself crashed, which always counts as a failure.
    `usage` is what the scorer spent on a model (an LLM judge), counted as the task's judge tokens and cost.
    """

    key: str
    score: bool | int | float | None = None
    value: str | None = None
    comment: str | None = None
    detail: Mapping[str, Any] | None = None
    threshold: float | None = None
    error: ErrorInfo | None = None
    traceback: str | None = None
    usage: ModelUsage | None = None

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
        """Each scorer gets its own copies: what one scorer changes, no other scorer, repeat or store sees."""
        made: dict[str, Any] = {}
        for name in names:
            if name == "inputs":
                made[name] = plain_copy(self.task.inputs)
            elif name == "outputs":
                made[name] = plain_copy(self.outputs)
            elif name == "reference_outputs":
                made[name] = plain_copy(self.task.reference_outputs)
            elif name == "trace":
                made[name] = self.trace  # frozen
            else:
                made[name] = replace(self.task, inputs=plain_copy(self.task.inputs),
                                     reference_outputs=plain_copy(self.task.reference_outputs),
                                     metadata=plain_copy(self.task.metadata))
        return made


def plain_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of the dicts, lists and sets in `value` (cycles kept); other objects are shared as they are."""
    if not isinstance(value, (dict, list, set)):
        return value
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        mapping: dict[Any, Any] = {}
        memo[id(value)] = mapping
        mapping.update((key, plain_copy(item, memo)) for key, item in value.items())
        return mapping
    if isinstance(value, list):
        sequence: list[Any] = []
        memo[id(value)] = sequence
        sequence.extend(plain_copy(item, memo) for item in value)
        return sequence
    return {plain_copy(item, memo) for item in value}


class ScorerTimeoutError(TimeoutError):
    """A scorer did not finish within the scorer timeout; it was abandoned."""


def _not_an_exception(exc: BaseException) -> bool:
    return not isinstance(exc, Exception)


@dataclass(frozen=True, slots=True)
class ScoringLimits:
    """How scorers run: a time bound each, the threads sync scorers run on when bounded, and which
    BaseExceptions stop the session instead of being the scorer's failure."""

    timeout: float | None = None
    executor: Executor | None = None
    propagates: Callable[[BaseException], bool] = _not_an_exception


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
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)

    def __repr__(self) -> str:
        return f"Scorer({self.key!r})"

    async def score(self, context: ScoreContext, limits: ScoringLimits | None = None) -> list[Feedback]:
        """Run the scorer; a crash, a timeout or a bad return value becomes one failed Feedback."""
        limits = limits or DEFAULT_LIMITS
        try:
            returned = await self._call(context.arguments(self.parameters), limits)
            return [finite(fb) for fb in normalize_feedback(returned, self.key, self.threshold)]
        except BaseException as exc:  # a crashing scorer is a failed grade, never a silent pass
            if limits.propagates(exc):
                raise
            return [Feedback(key=self.key, error=ErrorInfo.from_exception(exc), traceback=user_traceback(exc),
                             comment=f"scorer raised {type(exc).__name__}: {exc}")]

    async def _call(self, arguments: dict[str, Any], limits: ScoringLimits) -> Any:
        if limits.timeout is None:
            returned = self.fn(**arguments)
            return await returned if inspect.isawaitable(returned) else returned
        try:
            return await asyncio.wait_for(self._bounded_call(arguments, limits.executor), limits.timeout)
        except asyncio.TimeoutError:
            raise ScorerTimeoutError(f"the scorer did not finish within {limits.timeout:g}s "
                                     "(--eval-scorer-timeout); it was abandoned") from None

    async def _bounded_call(self, arguments: dict[str, Any], executor: Executor | None) -> Any:
        if self.is_async:
            return await self.fn(**arguments)
        # A sync scorer runs on a daemon thread, so one that never returns is left behind, not waited for.
        run = functools.partial(contextvars.copy_context().run, functools.partial(self.fn, **arguments))
        try:
            returned = await asyncio.get_running_loop().run_in_executor(executor, run)
        except RaisedInThread as carried:
            raise carried.original from None  # raised here, in the coroutine, it is caught like any error
        return await returned if inspect.isawaitable(returned) else returned


DEFAULT_LIMITS = ScoringLimits()


def finite(fb: Feedback) -> Feedback:
    """A non-finite score (NaN, infinity) decides nothing: it fails, saying why."""
    if not isinstance(fb.score, float) or math.isfinite(fb.score):
        return fb
    message = f"the score {fb.score!r} is not a finite number"
    return replace(fb, score=None, error=ErrorInfo(type="NonFiniteScore", message=message), comment=message)


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
    if isinstance(returned, Mapping) and isinstance(returned.get("key"), str):
        return [result_feedback(returned, threshold)]
    raise ScorerReturnTypeError(
        f"scorer {key!r} returned {type(returned).__name__}; "
        "return bool, int, float, str, Feedback, a dict with 'key' and 'score', a list of them, or None"
    )


def result_feedback(result: Mapping[str, Any], threshold: float | None = None) -> Feedback:
    """An evaluator result dict (openevals', LangSmith's): `key`, `score` (bool or number) or `value` (a label),
    `comment`, `metadata`."""
    score, value = result.get("score"), result.get("value")
    if score is not None and not isinstance(score, (bool, int, float)):
        raise ScorerReturnTypeError(f"evaluator result {result['key']!r}: score {score!r} is not a bool or number")
    metadata = result.get("metadata")
    return Feedback(key=result["key"], score=score, value=None if value is None else str(value),
                    comment=None if result.get("comment") is None else str(result["comment"]),
                    detail=metadata if isinstance(metadata, Mapping) else None,
                    threshold=threshold if score is not None and not isinstance(score, bool) else None)


async def apply_scorers(scorers: Iterable[Scorer], context: ScoreContext,
                        limits: ScoringLimits | None = None) -> list[Feedback]:
    """Apply every scorer; async ones (LLM judges) wait concurrently. Feedback keeps the scorers' order.
    With at most one that can wait (the common case: plain functions, unbounded), they run one after the other,
    which costs no asyncio task per scorer."""
    scorers = list(scorers)
    bounded = limits is not None and limits.timeout is not None  # each runs on a thread: they overlap
    if bounded or sum(each.is_async for each in scorers) > 1:
        results = await asyncio.gather(*(each.score(context, limits) for each in scorers))
    else:
        results = [await each.score(context, limits) for each in scorers]
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
