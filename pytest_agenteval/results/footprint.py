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
    object.__setattr__(result, "__pydantic_fields_set__", _shared_set(result))
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
    fields_set = _shared_set(record)
    if record.model_config.get("frozen"):
        same = _same_record(record, fields_set)
        if same is not record:
            return same
    object.__setattr__(record, "__pydantic_fields_set__", fields_set)
    _share_within(record)
    return record


def _shared_set(model: BaseModel) -> set[str]:
    given = model.__pydantic_fields_set__
    return _SHARED.setdefault(frozenset(given), given)


def _same_record(record: BaseModel, fields_set: set[str]) -> BaseModel:
    """A frozen record equal to `record` held before (or `record`, which may be held from now on). Equal means
    the same fields given, and the same values of the same types (True is not 1), floats by their repr (-0.0 is
    not 0.0)."""
    values = tuple(record.__dict__.values())
    types = tuple(map(type, values))
    if float in types:
        values = tuple(repr(value) if type(value) is float else value for value in values)
    key = (type(record), id(fields_set), types, values)
    try:
        found = _SAME.get(key)
    except TypeError:  # an unhashable value (a dict of detail): this record stays its own
        return record
    if found is not None:
        return found
    if len(_SAME) < SAME_RECORDS_LIMIT:
        _SAME[key] = record
    return record
