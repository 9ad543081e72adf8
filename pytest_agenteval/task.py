"""`Task`: one suite record at one repeat, as agents and scorers see it. Imports nothing from pytest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Task:
    """One record of a suite, at one repeat (1-based)."""

    task_id: str
    inputs: Mapping[str, Any]
    reference_outputs: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    repeat: int = 1
    repeats: int = 1
    suite: str = ""
    line: int = 0
    variant: str | None = None  # the `eval_variants` entry whose agent runs it; None without variants
    model_config: Any = field(default=None, compare=False, repr=False)  # from `eval_model_config`, per call

    @property
    def input(self) -> Any:
        """What the agent is asked: `inputs["input"]`."""
        return self.inputs["input"]

    @property
    def run_task_id(self) -> str:
        """The id in the run JSON: `task_id`, or `task_id#k` with repeats (as AG2)."""
        return f"{self.task_id}#{self.repeat}" if self.repeats > 1 else self.task_id
