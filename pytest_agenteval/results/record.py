"""The base of every stored model, and the token totals the run's models and its `pairwise` section share."""

from __future__ import annotations

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
