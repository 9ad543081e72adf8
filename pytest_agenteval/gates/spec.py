"""`--eval-fail-under [KEY=]RATE` and `--eval-task-pass-rate` values: parsed by argparse `type=` functions.

Standard library only: the options are read at configure time, before anything heavy is imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GateSpec:
    """One `--eval-fail-under`: a suite-wide rate, or a rate for the tasks of one tag or one scorer key."""

    rate: float
    key: str | None = None
    text: str = ""


def fraction(text: str) -> float:
    """argparse type: a rate in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate between 0 (excluded) and 1, e.g. 0.8")
    return value


def gate_spec(text: str) -> GateSpec:
    """argparse type: `RATE` or `KEY=RATE` (KEY a tag or a scorer key; the last '=' splits)."""
    key, equals, rate_text = text.rpartition("=")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1 or (equals and not key.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a gate: write RATE or KEY=RATE, KEY a tag or scorer key and RATE between 0 and 1 "
            "(e.g. 0.8 or adversarial=0.9)")
    return GateSpec(rate, key.strip() or None, text)


def gate_specs(fail_under: Sequence[GateSpec], task_pass_rate: float) -> tuple[GateSpec, ...]:
    """The gates to judge. Once gating is configured at all, every task must pass unless a bare RATE says otherwise."""
    if not fail_under and task_pass_rate >= 1:
        return ()
    implicit = () if any(spec.key is None for spec in fail_under) else (GateSpec(1.0, None, "1.0 (default)"),)
    return implicit + tuple(fail_under)
