"""`GateKeeper`: on the controller (or the single process), judges the gates once every item ran and
fails the session when one fails, the way pytest-cov's `--cov-fail-under` does.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from .baseline import Baseline, resolve_baseline
from .ci_results import GateRecord, RunDiff
from .diff import compare
from .gates import gate_specs, gates_passed, judge_gates, regression_gate
from .options import EvalOptions
from .recorder import RunRecorder
from .store import RunFileError
from .verdicts import task_verdicts


class GateKeeper:
    """Holds the gate configuration and the baseline; hands its verdict to the recorder."""

    def __init__(self, recorder: RunRecorder, options: EvalOptions, baseline: Baseline | None,
                 missing_baseline: str | None) -> None:
        self.recorder = recorder
        self.options = options
        self.baseline = baseline
        self.missing_baseline = missing_baseline

    @classmethod
    def from_options(cls, recorder: RunRecorder, options: EvalOptions, invocation_dir: Path) -> GateKeeper:
        """Read the baseline now, so a bad `--eval-baseline` stops the session before anything runs."""
        if options.baseline is None:
            return cls(recorder, options, None, None)
        given = options.baseline if options.baseline == "latest" else str(invocation_dir / options.baseline)
        try:
            baseline = resolve_baseline(given, options.store, options.label, options.run_id)
        except RunFileError as exc:
            raise pytest.UsageError(f"--eval-baseline={options.baseline}: {exc}; pass a run JSON or 'latest'") from None
        missing = None if baseline else (f"no baseline: no earlier complete run labelled {options.label!r} "
                                         f"in {options.store}")
        return cls(recorder, options, baseline, missing)

    # After `yield` every item ran, on xdist's controller too; an interrupted loop raises and skips the gates.
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        result = yield
        if self.recorder.results:
            gates, diff = self.judge()
            self.recorder.record_gates(gates, diff)
            if not gates_passed(gates):
                session.testsfailed += 1
        return result

    def judge(self) -> tuple[list[GateRecord], RunDiff | None]:
        tasks, options = sorted(self.recorder.results, key=lambda t: (t.suite, t.line, t.repeat)), self.options
        verdicts = task_verdicts(tasks, options.task_pass_rate)
        gates = judge_gates(gate_specs(options.fail_under, options.task_pass_rate), verdicts)
        diff = None if self.baseline is None else compare(
            tasks, options.run_id, self.baseline.run, options.task_pass_rate, self.baseline.path)
        if options.fail_on_regression:
            gates.append(regression_gate(diff, self.missing_baseline))
        return gates, diff
