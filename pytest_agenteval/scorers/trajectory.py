"""`trajectory_match`: the sequence of executed tool names against an expected one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pytest_agenteval.scorers._checks import require_choice, shorten
from pytest_agenteval.scoring.core import Feedback, Scorer
from pytest_agenteval.tracing.model import Trace

TrajectoryMode = Literal["strict", "unordered", "subset", "superset"]
TRAJECTORY_MODES: tuple[TrajectoryMode, ...] = ("strict", "unordered", "subset", "superset")


def trajectory_match(
    expected: Sequence[str] | None = None,
    *,
    mode: TrajectoryMode = "strict",
    key: str | None = None,
) -> Scorer:
    """Pass when the executed tool names match `expected` (None reads `reference_outputs["trajectory"]`).

    Args:
        mode: strict (same order), unordered (same calls), subset (no call beyond the expected ones),
            superset (every expected call, extras allowed). Calls are counted, not just named.
    """
    require_choice("trajectory_match", "mode", mode, TRAJECTORY_MODES)
    fixed = None if expected is None else read_tool_names(expected)
    name = key or ("trajectory_match" if mode == "strict" else f"trajectory_match[{mode}]")

    def check(trace: Trace, reference_outputs: Mapping[str, Any] | None) -> Feedback:
        wanted = fixed
        if wanted is None:
            if not reference_outputs or "trajectory" not in reference_outputs:
                return Feedback(key=name, score=False, comment="reference_outputs has no 'trajectory'")
            try:
                wanted = read_tool_names(reference_outputs["trajectory"])
            except ValueError as exc:
                return Feedback(key=name, score=False, comment=f"reference_outputs['trajectory']: {exc}")
        actual = [call.name for call in trace.tool_calls()]
        problem = _mismatch(wanted, actual, mode)
        return Feedback(
            key=name, score=problem is None, comment=problem, detail={"expected": wanted, "actual": actual}
        )

    return Scorer(check, key=name)


def read_tool_names(expected: object) -> list[str]:
    """Check that `expected` is a list of tool names and return it as one."""
    if isinstance(expected, str) or not isinstance(expected, Sequence):
        raise ValueError(f"expected must be a list of tool names, got {expected!r}")
    if not all(isinstance(each, str) and each for each in expected):
        raise ValueError(f"every expected tool name must be a non-empty string, got {expected!r}")
    return list(expected)


def _mismatch(expected: list[str], actual: list[str], mode: TrajectoryMode) -> str | None:
    missing = Counter(expected) - Counter(actual)
    extra = Counter(actual) - Counter(expected)
    if mode == "strict":
        failed = actual != expected
    elif mode == "subset":
        failed, missing = bool(extra), Counter()
    elif mode == "superset":
        failed, extra = bool(missing), Counter()
    else:
        failed = bool(missing or extra)
    if not failed:
        return None
    parts = [f"expected {shorten(expected)} ({mode}), got {shorten(actual)}"]
    parts += [f"missing {shorten(sorted(missing.elements()))}"] if missing else []
    parts += [f"unexpected {shorten(sorted(extra.elements()))}"] if extra else []
    return "; ".join(parts)
