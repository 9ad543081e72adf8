"""Values made storable in the run JSON: what JSON cannot hold as it is (bytes that are not UTF-8, reference
cycles, lone surrogates, huge integers, non-finite numbers, values too deep or too large, objects whose repr
raises) becomes a marked, truncated repr, and the caller learns which field it was. Never raises.
Pure: imports neither pytest nor the collect/run stages.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Mapping
from typing import Any

from pydantic_core import to_jsonable_python

UNSTORABLE = "UnstorableValue"  # the error type of a task whose result held a value stored in marked form
MAX_DEPTH = 100  # levels inside one stored value; the run file nests a few more, under pydantic's ~250
MAX_TEXT = 10_000_000  # characters in one string
MAX_ITEMS = 1_000_000  # elements of all containers in one stored value
MAX_INT_BITS = 14_000  # ~4,200 digits: Python refuses to read back integers of more than 4,300
REPR_LIMIT = 200  # characters of the repr kept in a marked value

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, REPR_LIMIT, REPR_LIMIT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 20


Problems = list[tuple[str, str]]  # (where, why): `outputs.content.self`, `a reference cycle`


def storable(value: Any, field: str, problems: Problems) -> Any:
    """A JSON-safe copy of `value`; each part stored in marked form adds (`field.path`, why) to `problems`.

    Objects JSON has no form for (and that pydantic cannot convert) are stored as their repr, unmarked, as
    before: that form is faithful enough. Everything else that cannot be stored as it is gets marked.
    """
    if value is None or (type(value) is str and value.isascii() and len(value) <= MAX_TEXT):
        return value
    return _Walk(field, problems).store(value, 0)


def safe_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """A bounded repr that never raises and is always valid UTF-8."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        return f"<int of {value.bit_length()} bits>"
    try:
        text = _REPR.repr(value)
    except Exception as exc:  # a __repr__ that raises, or one nested too deeply to print
        text = f"<{type(value).__name__} object: repr raised {type(exc).__name__}>"
    return clean_text(text if len(text) <= limit else f"{text[: limit - 3]}...")


def clean_text(text: str) -> str:
    """`text` with lone surrogates written as visible `\\udXXX` escapes, so it encodes as UTF-8."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def repaired(payload: Any, problems: Problems) -> Any:
    """A model's JSON dump with the text JSON cannot encode (lone surrogates) given visible escapes, in place,
    so every field keeps its type. Non-finite numbers in typed fields are left to the serializer (null)."""
    if isinstance(payload, dict):
        return {key: _repaired_at(value, str(key), problems) for key, value in payload.items()}
    return _repaired_at(payload, "result", problems)


def _repaired_at(value: Any, path: str, problems: Problems) -> Any:
    if isinstance(value, str):
        if value.isascii() or _encodes(value):
            return value
        problems.append((path, "text with a lone surrogate"))
        return clean_text(value)
    if isinstance(value, dict):
        return {_repaired_at(key, path, problems) if isinstance(key, str) else key:
                _repaired_at(item, f"{path}.{key}", problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_repaired_at(item, f"{path}[{index}]", problems) for index, item in enumerate(value)]
    return value


def describe_problems(problems: Problems, limit: int = 6) -> str:
    """One line: each cause once, with the fields it hit, e.g. `bytes that are not valid UTF-8 at outputs.content`."""
    fields: dict[str, list[str]] = {}
    for where, why in problems:
        fields.setdefault(why, []).append(where if len(where) <= 60 else f"{where[:40]}...{where[-17:]}")
    parts = []
    for why, places in fields.items():
        shown = ", ".join(places[:limit]) + (f" and {len(places) - limit} more" if len(places) > limit else "")
        parts.append(f"{why} at {shown}")
    return "not stored as it is, kept in a safe marked form: " + "; ".join(parts)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Walk:
    """One value's walk: the path to the current part, the ids of the containers above it, the element count."""

    def __init__(self, field: str, problems: Problems) -> None:
        self.path: list[str] = [field]
        self.problems = problems
        self.above: set[int] = set()
        self.items = 0

    def mark(self, value: Any, why: str) -> dict[str, str]:
        self.problems.append(("".join(self.path), why))
        return {"unstorable": why, "type": clean_text(type(value).__name__), "repr": safe_repr(value)}

    def store(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:  # the common cases first, by exact type
            return value if value.isascii() and len(value) <= MAX_TEXT else self.text(value)
        if value is None or kind is bool or (kind is int and value.bit_length() <= MAX_INT_BITS):
            return value
        if kind is float and math.isfinite(value):
            return value
        if (kind is dict or kind is list) and depth < MAX_DEPTH:
            return self.container(value, depth)
        return self.other(value, depth)

    def other(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            if value.bit_length() > MAX_INT_BITS:
                return self.mark(value, "an integer too large to read back")
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else self.mark(value, f"{value!r}, which JSON cannot hold")
        if isinstance(value, (bytes, bytearray, memoryview)):
            try:
                return self.text(bytes(value).decode("utf-8"))
            except UnicodeDecodeError:
                return self.mark(value, "bytes that are not valid UTF-8")
        if depth >= MAX_DEPTH:
            return self.mark(value, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            return self.container(value, depth)
        return self.converted(value, depth)

    def text(self, text: str) -> str | dict[str, str]:
        if len(text) > MAX_TEXT:
            return self.mark(text, f"text longer than {MAX_TEXT:,} characters")
        if not text.isascii() and not _encodes(text):
            return self.mark(text, "text with a lone surrogate")
        return text if type(text) is str else str.__str__(text)

    def container(self, value: Any, depth: int) -> Any:
        if id(value) in self.above:
            return self.mark(value, "a reference cycle")
        try:
            self.items += len(value)
        except Exception:  # a Mapping whose __len__ raises
            return self.converted(value, depth)
        if self.items > MAX_ITEMS:
            return self.mark(value, f"more than {MAX_ITEMS:,} elements")
        self.above.add(id(value))
        path, level = self.path, len(self.path)
        try:
            if isinstance(value, Mapping):
                stored: dict[str, Any] = {}
                for key, item in value.items():
                    name = key if type(key) is str and key.isascii() else self.key(key)
                    path.append(f".{name}")
                    stored[name] = self.store(item, depth + 1)
                    path.pop()
                return stored
            listed = []
            for index, item in enumerate(value):
                path.append(f"[{index}]")
                listed.append(self.store(item, depth + 1))
                path.pop()
            return listed
        except Exception as exc:  # a Mapping or sequence whose iteration raises
            del path[level:]
            return self.mark(value, f"a {type(value).__name__} that cannot be read ({type(exc).__name__})")
        finally:
            self.above.discard(id(value))

    def key(self, key: Any) -> str:
        """Keys as JSON writes them; one JSON cannot write is stored as its repr."""
        if isinstance(key, str):
            if key.isascii() or _encodes(key):
                return key if type(key) is str else str.__str__(key)
            self.problems.append(("".join(self.path), "a key with a lone surrogate"))
            return clean_text(key)
        if isinstance(key, bool) or key is None:
            return json.dumps(key)
        if isinstance(key, int) and key.bit_length() <= MAX_INT_BITS:
            return str(int(key))
        if isinstance(key, float):
            return repr(float(key))
        return safe_repr(key)

    def converted(self, value: Any, depth: int) -> Any:
        """An object of another type, as pydantic converts it (models, dataclasses, dates...), checked again."""
        def fallback(obj: Any) -> Any:
            try:
                return clean_text(repr(obj))
            except Exception as exc:
                return self.mark(obj, f"an object whose repr raises {type(exc).__name__}")

        try:
            plain = to_jsonable_python(value, fallback=fallback)
        except Exception as exc:  # a cycle or bad bytes inside a model, a too deep dataclass...
            return self.mark(value, f"a {type(value).__name__} that cannot be converted ({clean_text(str(exc))[:80]})")
        return self.store(plain, depth)
