"""The base of every stored model, and the token totals the run's models and its `pairwise` section share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """Base of every stored model: unknown keys are an error, not silently lost."""

    model_config = ConfigDict(extra="forbid")


class TokenTotals(Record):
    input: int = 0
    output: int = 0
    total: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    reasoning: int = 0


def sum_tokens(records: Iterable[Any]) -> TokenTotals:
    """Field-by-field sums of token records (`TokenTotals`, or the tasks' `TokenRecord`s, which have its fields)."""
    found = list(records)
    return TokenTotals(**{name: sum(getattr(record, name) for record in found) for name in TokenTotals.model_fields})
