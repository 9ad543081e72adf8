"""Argument checks and comment text shared by the built-in scorer factories."""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

from pytest_agenteval.tracing.model import Trace

COMMENT_WIDTH = 80


def require_name(factory: str, what: str, value: object) -> str:
    """Return `value` if it is a non-empty string, else raise ValueError."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{factory}: {what} must be a non-empty string, got {value!r}")
    return value


def require_count(factory: str, what: str, value: object, *, minimum: int = 0) -> int:
    """Return `value` if it is an int of at least `minimum`, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{factory}: {what} must be an integer >= {minimum}, got {value!r}")
    return value


def require_number(factory: str, what: str, value: object, *, minimum: float | None = 0.0) -> float:
    """Return `value` as a float if it is a finite number of at least `minimum`, else raise ValueError."""
    number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" >= {show_number(minimum)}"
        raise ValueError(f"{factory}: {what} must be a finite number{bound}, got {value!r}")
    return number


def require_choice(factory: str, what: str, value: object, choices: Collection[str]) -> str:
    """Return `value` if it is one of `choices`, else raise ValueError listing them."""
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{factory}: {what} must be one of {listed}, got {value!r}")
    return str(value)


def crash_comment(trace: Trace) -> str | None:
    """Say why a crashed run fails, or None when the run did not crash."""
    if trace.exception is None:
        return None
    return f"run crashed ({trace.exception.type}: {clip(trace.exception.message)}); a crash never passes"


def as_text(value: Any) -> str:
    """A value as the text an answer would show: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)


def show_number(value: float) -> str:
    """A number for a comment: `3`, `0.62`, `1e-06`."""
    return str(value) if isinstance(value, int) else format(value, ".6g")


def shorten(value: Any, width: int = COMMENT_WIDTH) -> str:
    """`repr` of a value, cut to `width` characters for a comment."""
    return clip(repr(value), width)


def clip(text: str, width: int = COMMENT_WIDTH) -> str:
    """Text cut to `width` characters for a comment."""
    return text if len(text) <= width else text[: width - 1] + "…"
