"""`inline_suite`: a suite defined in Python, as a module attribute of a test file, instead of a JSONL file.

Light (standard library only): the plugin's collection hook checks every module attribute against
`InlineSuite`, so this module must cost nothing to import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Records = Iterable[Mapping[str, Any]] | Callable[[], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True, eq=False)
class InlineSuite:
    """Records (AG2's task records, as dicts) collected like the lines of a JSONL suite, optionally with their
    own agent (or variants) and scorers instead of the `eval_agent` / `eval_scorers` fixtures."""

    records: Records
    agent: Any = None
    variants: Mapping[str, Any] | None = None
    scorers: Any = None
    file: str = ""
    line: int = 0  # where `inline_suite(...)` was called

    @property
    def has_agent(self) -> bool:
        return self.agent is not None or self.variants is not None


def inline_suite(records: Records, *, agent: Any = None, variants: Mapping[str, Any] | None = None,
                 scorers: Any = None) -> InlineSuite:
    """A suite of `records` (a list, any iterable, or a function returning one, called at collection) that
    pytest collects where it is bound to a name in a test module: `test_x.py::NAME::task_id`. `agent` (or
    `variants`, `{name: agent}`) and `scorers` replace the fixtures for this suite only."""
    if agent is not None and variants is not None:
        raise TypeError("inline_suite: give agent= or variants=, not both")
    if variants is not None and (not isinstance(variants, Mapping) or not variants
                                 or not all(isinstance(name, str) and name.strip() for name in variants)):
        raise TypeError("inline_suite: variants= must be a non-empty mapping {name: agent} with string names")
    if isinstance(records, (str, bytes, Mapping)):
        raise TypeError(f"inline_suite: records must be a list of records (dicts), not one {type(records).__name__}")
    caller = sys._getframe(1)
    return InlineSuite(records, agent, variants, scorers, caller.f_code.co_filename, caller.f_lineno)
