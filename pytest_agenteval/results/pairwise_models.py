"""The run JSON's `pairwise` section: two variants' outputs of each task compared by a judge in both orders.
Data only: `judges/variant_pairs.py` fills it in, `report/pairwise.py` renders it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pytest_agenteval.results.record import Record, TokenTotals
from pytest_agenteval.tracing.model import ErrorInfo

PairStatus = Literal["judged", "error", "not_compared"]


class OrderRecord(Record):
    """What the judge said for one order: which position it found better, and why."""

    better: Literal["first", "second", "tie"]
    reason: str = ""


class PairOutcome(Record):
    """One task x repeat: variant A's output against variant B's. `winner` is None unless `status` is "judged";
    an error keeps the order that answered (if one did), "not_compared" says why in `reason`."""

    suite: str
    task_id: str  # the record's id; the repeat is `repeat`
    repeat: int = 1
    status: PairStatus
    winner: Literal["a", "b", "tie"] | None = None
    flipped: bool = False  # the two orders disagreed: a tie, counted as a flip (position bias)
    a_first: OrderRecord | None = None  # A shown first
    b_first: OrderRecord | None = None  # B shown first (absent when the judge ran without swap)
    error: ErrorInfo | None = None
    reason: str | None = None  # why it was not compared
    tokens: TokenTotals = Field(default_factory=TokenTotals)
    cost: float | None = None


class PairwiseComparison(Record):
    """One judge's comparison of variant A with variant B over the tasks both ran. `win_rate` is A's share of the
    decided pairs (ties decide nothing), with a Wilson 95% interval; None when nothing was decided."""

    key: str
    variant_a: str
    variant_b: str
    judge: str  # the judge's model, as named
    swap: bool = True  # each pair judged in both orders; without it, flips are not measured
    pairs: int = 0  # pairs judged (errors and not compared excluded)
    wins_a: int = 0
    wins_b: int = 0
    ties: int = 0
    flips: int = 0
    errors: int = 0
    not_compared: int = 0
    win_rate: float | None = None
    interval: tuple[float, float] | None = None
    decisive_verdicts: int = 0  # order verdicts (of judged pairs) that picked an answer, not a tie
    shown_first_rate: float | None = None  # of those, the share that picked the answer shown first (0.5: no bias)
    tokens: TokenTotals = Field(default_factory=TokenTotals)  # the judge's, never the agents'
    cost: float | None = None
    problem: str | None = None  # why nothing could be compared (a variant that did not run)
    outcomes: list[PairOutcome] = Field(default_factory=list)


class PairwiseSection(Record):
    """Every pairwise comparison of the run, and what their judges spent together (apart from the agents' and
    from the per-task judges' `judge_tokens`)."""

    comparisons: list[PairwiseComparison] = Field(default_factory=list)
    tokens: TokenTotals = Field(default_factory=TokenTotals)
    cost: float | None = None
    problems: list[str] = Field(default_factory=list)  # judges that could not compare anything, and why
