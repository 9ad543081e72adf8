"""`final_answer`: compare the agent's answer with `reference_outputs[field]` in one of six ways."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_agenteval.scorers._checks import (
    as_text,
    require_choice,
    require_name,
    require_number,
    shorten,
    show_number,
)
from pytest_agenteval.scoring.core import Feedback, Scorer

AnswerMatch = Literal["casefold", "exact", "contains", "regex", "numeric", "any_of"]
ANSWER_MATCHES: tuple[AnswerMatch, ...] = ("casefold", "exact", "contains", "regex", "numeric", "any_of")
# "1,234.5", "-3", ".5", "6.02e23"; commas only as thousands separators.
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?")


def final_answer(
    expected_field: str = "answer",
    *,
    match: AnswerMatch = "casefold",
    case_sensitive: bool = False,
    tolerance: float = 1e-6,
    rel_tolerance: float = 0.0,
    strip: bool = True,
    key: str | None = None,
) -> Scorer:
    """Pass when the agent's answer matches `reference_outputs[expected_field]`."""
    require_name("final_answer", "expected_field", expected_field)
    require_choice("final_answer", "match", match, ANSWER_MATCHES)
    if case_sensitive and match not in ("contains", "regex"):
        raise ValueError(
            "final_answer: case_sensitive applies to match='contains' or 'regex'; "
            "use match='exact' for a case-sensitive whole answer"
        )
    rule = _AnswerRule(
        match,
        case_sensitive,
        require_number("final_answer", "tolerance", tolerance),
        require_number("final_answer", "rel_tolerance", rel_tolerance),
        strip,
    )
    mode = "" if match == "casefold" else f":{match}"
    name = key or f"final_answer[{expected_field}{mode}]"

    def check(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any] | None) -> Feedback:
        if not reference_outputs or expected_field not in reference_outputs:
            return Feedback(key=name, score=False, comment=f"reference_outputs has no {expected_field!r}")
        expected = reference_outputs[expected_field]
        actual = read_answer(outputs, expected_field)
        if actual is None:
            return Feedback(key=name, score=False, comment=f"expected {shorten(expected)}, got no answer")
        problem = rule.mismatch(expected, actual)
        return Feedback(key=name, score=problem is None, comment=problem)

    return Scorer(check, key=name)


def read_answer(outputs: Mapping[str, Any], field: str) -> Any:
    """`outputs["content"][field]` when the content is a dict holding it, else `outputs["body"]`."""
    content = outputs.get("content")
    if isinstance(content, Mapping) and field in content:
        return content[field]
    return outputs.get("body")


def _read_number(value: Any) -> float | None:
    """A number as is, or the first number written in the text; None when there is none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    found = NUMBER.search(as_text(value))
    return float(found.group().replace(",", "")) if found else None


@dataclass(frozen=True, slots=True)
class _AnswerRule:
    """How `final_answer` compares; `mismatch` gives the failing comment, or None on a match."""

    match: AnswerMatch
    case_sensitive: bool
    tolerance: float
    rel_tolerance: float
    strip: bool

    def mismatch(self, expected: Any, actual: Any) -> str | None:
        if self.match == "numeric":
            return self._numeric(expected, actual)
        if self.match == "regex":
            return self._regex(expected, actual)
        accepted = expected if self.match == "any_of" and isinstance(expected, (list, tuple)) else [expected]
        if any(self._same(each, actual) for each in accepted):
            return None
        wanted = f"one of {shorten(accepted)}" if self.match == "any_of" else shorten(expected)
        return f"expected {wanted}, got {shorten(actual)}"

    def _same(self, expected: Any, actual: Any) -> bool:
        if self.match == "exact" and not isinstance(expected, str) and not isinstance(actual, str):
            return bool(expected == actual)
        if self.match == "exact":
            return self._text(expected) == self._text(actual)
        if self.match == "contains":
            return self._fold(self._text(expected)) in self._fold(self._text(actual))
        return self._text(expected).casefold() == self._text(actual).casefold()

    def _numeric(self, expected: Any, actual: Any) -> str | None:
        wanted = _read_number(expected)
        if wanted is None:
            return f"reference {shorten(expected)} is not a number"
        got = _read_number(actual)
        if got is None:
            return f"expected {show_number(wanted)}, got no number in {shorten(actual)}"
        if math.isclose(got, wanted, rel_tol=self.rel_tolerance, abs_tol=self.tolerance):
            return None
        return f"expected {show_number(wanted)} (±{show_number(self.tolerance)}), got {show_number(got)}"

    def _regex(self, expected: Any, actual: Any) -> str | None:
        try:
            pattern = re.compile(as_text(expected), 0 if self.case_sensitive else re.IGNORECASE)
        except re.error as exc:
            return f"reference {shorten(expected)} is not a valid regex ({exc})"
        if pattern.search(self._text(actual)):
            return None
        return f"expected a match for {shorten(expected)}, got {shorten(actual)}"

    def _text(self, value: Any) -> str:
        return as_text(value).strip() if self.strip else as_text(value)

    def _fold(self, text: str) -> str:
        return text if self.case_sensitive else text.casefold()
