"""What users hand over as scorers (`Scorer`s, plain functions, `ag2.eval` scorers, pydantic-evals `Evaluator`s,
openevals-style evaluators) made into `Scorer`s."""

from __future__ import annotations

import weakref
from typing import Any

from pytest_agenteval.scoring.ag2 import from_ag2, is_ag2_scorer
from pytest_agenteval.scoring.core import Scorer
from pytest_agenteval.scoring.openevals import from_keyword_evaluator, is_keyword_evaluator
from pytest_agenteval.scoring.pydantic_evals import from_pydantic_evals, is_pydantic_evals_evaluator

# Each function or AG2 scorer is wrapped (and its signature read) once, not once per task; keyed by identity and
# held weakly, so a fixture that makes new scorers per task neither hits nor grows this.
_WRAPPED: weakref.WeakKeyDictionary[Any, Scorer] = weakref.WeakKeyDictionary()


def as_scorer(obj: Any) -> Scorer:
    """Accept a `Scorer`, an `ag2.eval` Scorer or a pydantic-evals `Evaluator` (bridged), an openevals-style
    evaluator (keyword arguments, result dicts), or a plain function (keyed by its name)."""
    if isinstance(obj, Scorer):
        return obj
    hash_method: object = type(obj).__hash__
    if hash_method is not object.__hash__:  # equal is not identical: never share a wrapper
        return _wrap(obj)
    try:
        wrapped = _WRAPPED.get(obj)
    except TypeError:  # no weak references (slots): wrapped each time
        return _wrap(obj)
    if wrapped is None:
        wrapped = _WRAPPED[obj] = _wrap(obj)
    return wrapped


def _wrap(obj: Any) -> Scorer:
    if is_ag2_scorer(obj):
        return from_ag2(obj)
    if is_pydantic_evals_evaluator(obj):
        return from_pydantic_evals(obj)
    if is_keyword_evaluator(obj):
        return from_keyword_evaluator(obj)
    if callable(obj):
        return Scorer(obj)
    raise TypeError(f"{obj!r} is not a scorer: pass a function or a pytest_agenteval.Scorer")


def collect_scorers(value: Any) -> list[Scorer]:
    """What an `eval_scorers` fixture may return: a scorer, or an iterable of scorers / functions."""
    if value is None:
        return []
    if isinstance(value, Scorer) or callable(value) or is_pydantic_evals_evaluator(value):
        return [as_scorer(value)]
    return [as_scorer(each) for each in value]
