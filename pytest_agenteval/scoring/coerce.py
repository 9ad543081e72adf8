"""What users hand over as scorers (`Scorer`s, plain functions, `ag2.eval` scorers) made into `Scorer`s."""

from __future__ import annotations

from typing import Any

from pytest_agenteval.scoring.ag2 import from_ag2, is_ag2_scorer
from pytest_agenteval.scoring.core import Scorer


def as_scorer(obj: Any) -> Scorer:
    """Accept a `Scorer`, an `ag2.eval` Scorer (bridged), or a plain function (keyed by its name)."""
    if isinstance(obj, Scorer):
        return obj
    if is_ag2_scorer(obj):
        return from_ag2(obj)
    if callable(obj):
        return Scorer(obj)
    raise TypeError(f"{obj!r} is not a scorer: pass a function or a pytest_agenteval.Scorer")


def collect_scorers(value: Any) -> list[Scorer]:
    """What an `eval_scorers` fixture may return: a scorer, or an iterable of scorers / functions."""
    if value is None:
        return []
    if isinstance(value, Scorer) or callable(value):
        return [as_scorer(value)]
    return [as_scorer(each) for each in value]
