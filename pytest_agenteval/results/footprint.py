"""The memory a held result costs: the recorder keeps every task's result until the run is written, so what
pydantic stores beside the values matters at tens of thousands of tasks. Pure; imports nothing from pytest.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_SHARED: dict[frozenset[str], set[str]] = {}
# Frozen records seen before, by value: a run's judge tokens are mostly zero, and a boolean scorer's feedback is
# one of a few records. Bounded, so a run of all-distinct records keeps no more than this beside its results.
_SAME: dict[tuple[Any, ...], BaseModel] = {}
SAME_RECORDS_LIMIT = 4096


def share_fields_sets(result: BaseModel) -> None:
    """Make `result` and its nested records share one set per distinct `model_fields_set`: pydantic gives each
    model a set of the fields it was given (200 B to 2 KB), over half of a held result's memory, and models
    given the same fields need only one. Reading them (`model_fields_set`, `exclude_unset` dumps) is unchanged,
    and `model_copy` gives the copy a set of its own. A set must stay a `set` (pydantic's serializer refuses a
    frozenset), so assigning to a field of a held result would mark it set in the results that share its set:
    nothing assigns to them once held (the recorder sets `outcome` before).
    A frozen nested record (tokens, feedback) equal, field by field and type by type, to one held before is
    replaced by that one."""
    _share_set(result)
    _share_within(result)


def _share_within(model: BaseModel) -> None:
    """Share the fields sets of the records `model` holds, directly or in a list (tags and steps are not records)."""
    fields = model.__dict__
    for name, value in fields.items():
        if isinstance(value, BaseModel):
            fields[name] = _share(value)
        elif type(value) is list and value and isinstance(value[0], BaseModel):
            value[:] = [_share(item) for item in value]


def _share(record: BaseModel) -> BaseModel:
    same = _same_record(record)
    if same is not record:
        return same
    _share_set(record)
    _share_within(record)
    return record


def _share_set(model: BaseModel) -> None:
    given = model.__pydantic_fields_set__
    object.__setattr__(model, "__pydantic_fields_set__", _SHARED.setdefault(frozenset(given), given))


def _same_record(record: BaseModel) -> BaseModel:
    """A frozen record equal to `record` held before (or `record`, which may be held from now on)."""
    if not record.model_config.get("frozen"):
        return record
    try:
        key = (type(record), frozenset(record.__pydantic_fields_set__), *map(_value_key, record.__dict__.values()))
        found = _SAME.get(key)
    except TypeError:  # an unhashable value (a dict of detail): this record stays its own
        return record
    if found is not None:
        return found
    if len(_SAME) < SAME_RECORDS_LIMIT:
        _SAME[key] = record
    return record


def _value_key(value: Any) -> Any:
    """What makes two field values the same for storing: their type too (True is not 1), and a float's repr
    (-0.0 is not 0.0)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    return (float, repr(value)) if kind is float else (kind, value)
