"""Run openevals / agentevals / LangSmith-style evaluators as ours: callables taking `inputs`, `outputs` and
`reference_outputs` by keyword (with `**kwargs`) and returning `{"key", "score", "comment"}` (or a list of them).

They get the record's `inputs`, the `outputs` dict (`body`, `content`) and `reference_outputs`. A sync evaluator
stays sync, so a bounded scorer timeout runs it on a thread. Imports no evaluator library.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pytest_agenteval.scoring.core import Scorer

ARGUMENTS = ("inputs", "outputs", "reference_outputs")


def is_keyword_evaluator(obj: Any) -> bool:
    """True for a callable with `**kwargs` whose other parameters are `inputs` / `outputs` / `reference_outputs`
    (or have defaults): the openevals shape, which our own scorer protocol refuses."""
    if not callable(obj) or isinstance(obj, type):
        return False
    try:
        parameters = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return False
    if not any(p.kind is p.VAR_KEYWORD for p in parameters):
        return False
    named = [p for p in parameters if p.kind is not p.VAR_KEYWORD]
    return all(p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and (p.name in ARGUMENTS or p.default is not p.empty)
               for p in named)


def from_keyword_evaluator(evaluator: Callable[..., Any]) -> Scorer:
    """Our `Scorer` calling `evaluator(inputs=..., outputs=..., reference_outputs=...)`; the result dicts become
    feedback (`scoring.core.result_feedback`), keyed as the evaluator keys them."""
    names = [name for name in inspect.signature(evaluator).parameters if name in ARGUMENTS] or list(ARGUMENTS)

    def arguments(inputs: Mapping[str, Any], outputs: Mapping[str, Any],
                  reference_outputs: Mapping[str, Any] | None) -> dict[str, Any]:
        given = {"inputs": dict(inputs), "outputs": {k: v for k, v in outputs.items() if k != "raw"},
                 "reference_outputs": dict(reference_outputs) if reference_outputs is not None else None}
        return {name: given[name] for name in names}

    if inspect.iscoroutinefunction(evaluator):
        async def run_async(inputs: Mapping[str, Any], outputs: Mapping[str, Any],
                            reference_outputs: Mapping[str, Any] | None) -> Any:
            return await evaluator(**arguments(inputs, outputs, reference_outputs))

        return Scorer(run_async, key=evaluator_key(evaluator))

    def run(inputs: Mapping[str, Any], outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any] | None) -> Any:
        return evaluator(**arguments(inputs, outputs, reference_outputs))

    return Scorer(run, key=evaluator_key(evaluator))


def evaluator_key(evaluator: Callable[..., Any]) -> str:
    """The key its crash is reported under: openevals' `feedback_key` when its factory made it, else its name."""
    try:
        key = inspect.getclosurevars(evaluator).nonlocals.get("feedback_key")
    except (TypeError, ValueError):
        key = None
    return key if isinstance(key, str) else str(getattr(evaluator, "__name__", type(evaluator).__name__))
