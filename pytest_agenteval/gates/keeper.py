"""`GateKeeper`: holds the gate configuration and the baseline, and judges the gates over the results it is
given, the way pytest-cov's `--cov-fail-under` judges coverage. Heavy modules load only when judging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.results.models import GateRecord, RunDiff, TaskResult
    from pytest_agenteval.results.store import Baseline


@dataclass(frozen=True)
class GateOutcome:
    """The judged gates and the comparison with the baseline, if there is one."""

    gates: list[GateRecord]
    baseline: RunDiff | None

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)


class GateKeeper:
    """Judges `--eval-fail-under`, `--eval-task-pass-rate` and `--eval-fail-on-regression`."""

    def __init__(self, options: EvalOptions, baseline: Baseline | None, missing_baseline: str | None) -> None:
        self.options = options
        self.baseline = baseline
        self.missing_baseline = missing_baseline

    @classmethod
    def from_options(cls, options: EvalOptions) -> GateKeeper:
        """Read the baseline now, so a bad `--eval-baseline` stops the session before anything runs."""
        if options.baseline is None:
            return cls(options, None, None)
        from pytest_agenteval.results.store import RunFileError, resolve_baseline

        try:
            baseline = resolve_baseline(options.baseline, options.store, options.label, options.run_id)
        except RunFileError as exc:
            raise pytest.UsageError(f"--eval-baseline: {exc}; pass a run JSON or 'latest'") from None
        missing = None if baseline else (f"no baseline: no earlier complete run labelled {options.label!r} "
                                         f"in {options.store}")
        return cls(options, baseline, missing)

    def judge(self, tasks: Sequence[TaskResult]) -> GateOutcome:
        """The gates over `tasks` (in suite order), and the baseline comparison."""
        from pytest_agenteval.gates.rules import judge_gates, regression_gate
        from pytest_agenteval.gates.spec import gate_specs
        from pytest_agenteval.results.compare import compare
        from pytest_agenteval.results.verdicts import task_verdicts

        options = self.options
        verdicts = task_verdicts(tasks, options.task_pass_rate)
        gates = judge_gates(gate_specs(options.fail_under, options.task_pass_rate), verdicts)
        diff = None if self.baseline is None else compare(
            tasks, options.run_id, self.baseline.run, options.task_pass_rate, self.baseline.path)
        if options.fail_on_regression:
            gates.append(regression_gate(diff, self.missing_baseline))
        return GateOutcome(gates, diff)
