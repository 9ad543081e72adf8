"""The scorer protocol: injection by name, return normalization, signature errors, crashes, async."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_agenteval.scoring import (
    Feedback,
    ScoreContext,
    Scorer,
    ScorerReturnTypeError,
    apply_scorers,
    as_scorer,
    normalize_feedback,
    scorer,
)
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, ToolCall, Trace

TASK = Task(task_id="capital", inputs={"input": "Capital of France?"}, reference_outputs={"answer": "Paris"})
TRACE = Trace(steps=(ToolCall("search", {"q": "France"}),), duration_ms=12.0)
CONTEXT = ScoreContext(task=TASK, outputs={"body": "Paris", "content": "Paris", "raw": "Paris"}, trace=TRACE)


def grade(each: Scorer, context: ScoreContext = CONTEXT) -> list[Feedback]:
    return asyncio.run(each.score(context))


def test_scorer_receives_exactly_the_parameters_it_names() -> None:
    seen: dict[str, Any] = {}

    @scorer
    def spy(reference_outputs: Mapping[str, Any], trace: Trace, task: Task) -> bool:
        seen.update(reference_outputs=reference_outputs, trace=trace, task=task)
        return True

    assert spy.parameters == ("reference_outputs", "trace", "task")
    grade(spy)
    assert seen == {"reference_outputs": {"answer": "Paris"}, "trace": TRACE, "task": TASK}


def test_inputs_and_outputs_are_injected_from_the_task_and_the_run() -> None:
    @scorer
    def echo(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> str:
        return f"{inputs['input']} -> {outputs['body']}"

    assert grade(echo) == [Feedback(key="echo", value="Capital of France? -> Paris")]


def test_scorer_with_no_parameters_and_extra_defaulted_ones_works() -> None:
    @scorer
    def constant(scale: float = 2.0) -> float:
        return scale

    assert constant.parameters == ()
    assert grade(constant) == [Feedback(key="constant", score=2.0)]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, []),
        (True, [Feedback(key="k", score=True)]),
        (0, [Feedback(key="k", score=0, threshold=0.5)]),
        (0.75, [Feedback(key="k", score=0.75, threshold=0.5)]),
        ("terse", [Feedback(key="k", value="terse")]),
        (Feedback(key="other", score=False), [Feedback(key="other", score=False)]),
        ([True, "x", None], [Feedback(key="k", score=True), Feedback(key="k", value="x")]),
        ((0.1, [False]), [Feedback(key="k", score=0.1, threshold=0.5), Feedback(key="k", score=False)]),
    ],
)
def test_return_values_are_normalized_like_ag2(returned: Any, expected: list[Feedback]) -> None:
    assert normalize_feedback(returned, "k", threshold=0.5) == expected


def test_bool_is_a_verdict_not_the_number_one() -> None:
    [feedback] = normalize_feedback(True, "k", threshold=2.0)
    assert (feedback.score, feedback.threshold) == (True, None)


def test_unsupported_return_type_names_the_scorer_and_the_type() -> None:
    with pytest.raises(ScorerReturnTypeError, match="scorer 'k' returned dict; return bool, int, float, str"):
        normalize_feedback({"score": 1}, "k")


def test_scorer_returning_a_bad_type_becomes_a_failed_feedback_not_a_lost_task() -> None:
    @scorer
    def sloppy() -> Any:
        return {"score": 1}

    [feedback] = grade(sloppy)
    assert feedback.error is not None
    assert feedback.error.type == "ScorerReturnTypeError"
    assert feedback.error.message.startswith("scorer 'sloppy' returned dict")
    assert feedback.passed is False


@pytest.mark.parametrize(
    ("score", "threshold", "passed"),
    [(True, None, True), (False, None, False), (0.8, 0.7, True), (0.6, 0.7, False), (0.6, None, None)],
)
def test_feedback_passed_follows_score_and_threshold(score: Any, threshold: Any, passed: bool | None) -> None:
    assert Feedback(key="k", score=score, threshold=threshold).passed is passed


def test_feedback_with_an_error_never_passes_and_labels_only_inform() -> None:
    assert Feedback(key="k", score=True, error=ErrorInfo("E", "x")).passed is False
    assert Feedback(key="k", value="terse").passed is None


def test_decorator_key_and_threshold_flow_into_feedback() -> None:
    @scorer(key="relevance", threshold=0.7)
    def judge() -> float:
        return 0.6

    assert judge.key == "relevance"
    [feedback] = grade(judge)
    assert (feedback.key, feedback.threshold, feedback.passed) == ("relevance", 0.7, False)


def test_unknown_parameter_fails_at_decoration_with_allowed_names() -> None:
    with pytest.raises(
        TypeError,
        match=(
            r"scorer 'wrong': parameter 'answer' is not injectable; "
            r"allowed parameters are: inputs, outputs, reference_outputs, trace, task"
        ),
    ):

        @scorer
        def wrong(answer: str) -> bool:
            return True


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("def f(*args): return True", "args"),
        ("def f(**kwargs): return True", "kwargs"),
        ("def f(outputs, /): return True", "outputs"),
    ],
)
def test_unnamed_parameters_fail_at_decoration(source: str, name: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(TypeError, match=f"scorer 'f': parameter '{name}' must be a named parameter"):
        scorer(namespace["f"])


def test_wrapping_a_scorer_twice_is_an_error() -> None:
    @scorer
    def once() -> bool:
        return True

    already: Any = once  # what a user without a type checker passes
    with pytest.raises(TypeError, match="scorer 'once' is already a Scorer; do not wrap it twice"):
        Scorer(already)


def test_crashing_scorer_becomes_failed_feedback_with_the_real_error_type() -> None:
    @scorer
    def divide(outputs: Mapping[str, Any]) -> float:
        return 1 / len(outputs)

    [feedback] = grade(divide, ScoreContext(task=TASK, outputs={}))
    assert feedback.error == ErrorInfo("ZeroDivisionError", "division by zero")
    assert feedback.comment == "scorer raised ZeroDivisionError: division by zero"
    assert (feedback.key, feedback.score, feedback.passed) == ("divide", None, False)


def test_async_scorer_is_awaited() -> None:
    @scorer
    async def slow_judge(outputs: Mapping[str, Any]) -> float:
        await asyncio.sleep(0)
        return 0.9 if outputs["body"] == "Paris" else 0.1

    assert grade(slow_judge) == [Feedback(key="slow_judge", score=0.9)]


def test_async_scorer_that_raises_is_a_failed_feedback() -> None:
    @scorer
    async def flaky() -> bool:
        raise TimeoutError("judge timed out")

    [feedback] = grade(flaky)
    assert feedback.error == ErrorInfo("TimeoutError", "judge timed out")


def test_callable_object_with_async_call_is_a_scorer_keyed_by_its_class() -> None:
    class ToolCount:
        async def __call__(self, trace: Trace) -> int:
            return len(trace.tool_calls())

    made = as_scorer(ToolCount())
    assert (made.key, made.parameters) == ("ToolCount", ("trace",))
    assert grade(made) == [Feedback(key="ToolCount", score=1)]


def test_as_scorer_keeps_a_scorer_and_rejects_non_callables() -> None:
    @scorer
    def ready() -> bool:
        return True

    assert as_scorer(ready) is ready
    with pytest.raises(TypeError, match="42 is not a scorer"):
        as_scorer(42)


def test_apply_scorers_keeps_order_and_a_crash_does_not_stop_the_others() -> None:
    def first() -> bool:
        return True

    def broken() -> bool:
        raise KeyError("answer")

    def last() -> str:
        return "fine"

    feedback = asyncio.run(apply_scorers([Scorer(first), Scorer(broken), Scorer(last)], CONTEXT))
    assert [(f.key, f.passed) for f in feedback] == [("first", True), ("broken", False), ("last", None)]
    assert feedback[1].error == ErrorInfo("KeyError", "'answer'")
