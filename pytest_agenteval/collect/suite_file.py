"""Reading a suite file safely, as bytes to JSON values: a FIFO or device is never opened, lines split as
universal newlines (AG2's reading), and JSON that `json.loads` takes but a suite must not hold is refused:
duplicate keys, NaN and infinities, lone surrogates, integers past Python's digit limit, deep nesting.
Imports nothing from pytest.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from sys import intern
from typing import Any, BinaryIO

MAX_DEPTH = 100  # deeper values would overflow the stack later (validation, copies, xdist, the store)
MAX_LINE_BYTES = 64 * 2**20  # multi-megabyte inputs are fine; a line longer than this is refused unread

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how a surrogate gets into a line: valid UTF-8 has none
_SURROGATE = re.compile("[\ud800-\udfff]")


class SuiteFileError(Exception):
    """The path cannot be read as a suite: not a regular file, or the OS refused it."""


def open_suite_file(path: Path) -> BinaryIO:
    """Open a suite for reading. A FIFO or a device is never opened (an open could block or have effects)."""
    try:
        kind = _special_kind(os.stat(path).st_mode)
    except OSError as exc:
        raise SuiteFileError(f"cannot read the suite file: {os_reason(exc)}") from None
    if kind is not None:
        raise SuiteFileError(f"is {kind}, not a regular file; a suite is a JSONL file")
    # O_NONBLOCK: a path swapped for a FIFO since the stat must not block this open (checked again below).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise SuiteFileError(f"cannot read the suite file: {os_reason(exc)}") from None
    kind = _special_kind(os.fstat(descriptor).st_mode)
    if kind is not None:
        os.close(descriptor)
        raise SuiteFileError(f"is {kind}, not a regular file; a suite is a JSONL file")
    return os.fdopen(descriptor, "rb")


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"{reason} (a symlink loop)" if exc.errno == errno.ELOOP else reason


def line_limit() -> str:
    """MAX_LINE_BYTES in words."""
    return f"{MAX_LINE_BYTES // 2**20} MiB" if MAX_LINE_BYTES % 2**20 == 0 else f"{MAX_LINE_BYTES} bytes"


def physical_lines(handle: BinaryIO) -> Iterator[bytes | None]:
    """Lines as Python's universal newlines (and so AG2) split them: at \\n, \\r\\n and a lone \\r.
    A line longer than MAX_LINE_BYTES is skipped unread and given as None.
    """
    while True:
        chunk = handle.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = handle.readline(MAX_LINE_BYTES)
            yield None
            continue
        chunk = chunk.removesuffix(b"\n").removesuffix(b"\r")
        if b"\r" in chunk:
            yield from chunk.split(b"\r")
        else:
            yield chunk


class _RefusedJson(ValueError):
    """JSON that json.loads accepts but a suite must not hold."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Keys interned: a million records then share one "input" string instead of holding a million copies.
    value = {intern(key): item for key, item in pairs}
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RefusedJson(f"duplicate key {shown(key)} in one JSON object (json.loads keeps only the last)")
            seen.add(key)
    return value


def _constant(name: str) -> Any:
    raise _RefusedJson(f"not valid JSON: {name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RefusedJson(f"the number {shown(text, 40)} is beyond a float's range (it would load as infinity)")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)


def parse_json(text: str) -> tuple[Any, str | None]:
    """One line's JSON value, or the reason it is refused: bad JSON, and what json.loads takes but a suite must
    not hold (duplicate keys, NaN and infinities, lone surrogates, integers past Python's digit limit, nesting
    deeper than MAX_DEPTH).
    """
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} (column {exc.colno})"
    except _RefusedJson as exc:
        return None, str(exc)
    except RecursionError:
        return None, "not valid JSON: nested too deeply"
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) for integer string conversion"
        if "digits" not in str(exc):
            return None, f"not valid JSON: {exc}"
        limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        return None, f"an integer has more than {limit} digits, more than Python reads; write it as a string"
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    if deep or ("\\u" in text and _SURROGATE_ESCAPE.search(text)):
        return value, _deep_or_surrogate(value)
    return value, None


def _deep_or_surrogate(value: Any) -> str | None:
    """Walk the value without recursion: nesting past MAX_DEPTH, or a string or key holding a lone surrogate."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return _surrogate_problem(node, f"{where!r}" if where else "the value")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            return f"not valid JSON: nested too deeply (more than {MAX_DEPTH} levels)"
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in pairs:
            if isinstance(key, str) and _SURROGATE.search(key):
                return _surrogate_problem(key, f"a key of {where!r}" if where else "a key")
            stack.append((child, depth + 1, f"{where}.{key}" if where else str(key)))
    return None


def _surrogate_problem(text: str, where: str) -> str:
    found = _SURROGATE.search(text)
    assert found is not None  # only called on a string that holds one
    return (f"{where} holds a lone surrogate {found.group()!a}, which cannot be stored as UTF-8 "
            "(a \\ud800-\\udfff escape without its pair)")


def shown(text: str, limit: int = 80) -> str:
    """repr() of user text, cut to `limit` characters (an error line stays one readable line)."""
    text = repr(text)
    return text if len(text) <= limit else f"{text[:limit - 4]}...{text[0]}"
