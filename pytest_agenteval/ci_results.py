"""Run JSON models for CI: gate outcomes and the comparison with a baseline run. Data only.

`gates.py` and `diff.py` fill them; `report.py` and `markdown.py` render them. Imports nothing from pytest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GateKind = Literal["suite", "tag", "scorer", "regression"]
ChangeStatus = Literal["regressed", "fixed", "unchanged", "drifted", "added", "removed"]


class CiRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateRecord(CiRecord):
    """One gate as judged at the end of the run."""

    kind: GateKind
    spec: str  # as the user wrote it: "0.8", "adversarial=0.9", "--eval-fail-on-regression"
    name: str | None = None  # the tag or scorer key
    required: float | None = None
    rate: float | None = None
    passed_tasks: int = 0
    total_tasks: int = 0
    passed: bool
    problem: str | None = None  # why it could not be measured, or what broke it


class Pair(CiRecord):
    """A number in the baseline and now; None where a run has no such number."""

    base: float | None = None
    current: float | None = None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.current is None else self.current - self.base


class ScorerChange(CiRecord):
    """One scorer on one task: its pass rate over repeats, then and now."""

    key: str
    base: float | None = None
    current: float | None = None
    flipped: bool = False  # met the task pass rate in the baseline, misses it now


class TaskChange(CiRecord):
    """One suite task compared with the baseline (repeats grouped)."""

    suite: str
    task_id: str
    status: ChangeStatus
    base_passes: int = 0
    base_runs: int = 0
    passes: int = 0
    runs: int = 0
    drift: list[str] = Field(default_factory=list)  # fields that changed: the task is not comparable
    scorers: list[ScorerChange] = Field(default_factory=list)
    tokens: Pair = Field(default_factory=Pair)  # mean total tokens per repeat
    duration_ms: Pair = Field(default_factory=Pair)  # mean per repeat
    cost: Pair = Field(default_factory=Pair)  # mean per repeat


class RunDiff(CiRecord):
    """A run compared with a baseline run, task by task and scorer by scorer."""

    run_id: str
    base_run_id: str
    base_label: str | None = None
    base_path: str | None = None
    task_pass_rate: float = 1.0  # both runs are judged by the current run's policy
    tasks: list[TaskChange] = Field(default_factory=list)
    suite_rate: Pair = Field(default_factory=Pair)  # fraction of tasks meeting the policy
    scorer_rates: dict[str, Pair] = Field(default_factory=dict)  # per-item pass rate of each scorer
    tokens: Pair = Field(default_factory=Pair)
    duration_ms: Pair = Field(default_factory=Pair)
    cost: Pair = Field(default_factory=Pair)

    def with_status(self, status: ChangeStatus) -> list[TaskChange]:
        return [task for task in self.tasks if task.status == status]

    @property
    def flips(self) -> int:
        """Pass-to-fail flips on comparable tasks: tasks that regressed, or scorers that flipped."""
        return sum(1 for task in self.tasks if task.status == "regressed" or any(s.flipped for s in task.scorers))
