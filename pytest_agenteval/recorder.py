"""`RunRecorder`: on the controller (or the single process), collects every eval item's result from its
report as it arrives, and every rejected suite line. It only collects; `publish` builds and writes the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_agenteval.keys import RECORD_ERROR_ATTR, REPORT_ATTR

if TYPE_CHECKING:
    from pytest_agenteval.results.models import TaskResult

class RunRecorder:
    """The results and rejected records of this run, in the order their reports arrived."""

    def __init__(self) -> None:
        self.results: list[TaskResult] = []
        self.invalid_records: list[str] = []

    # xdist replays worker reports here on the controller, so each item arrives exactly once.
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_error = getattr(report, RECORD_ERROR_ATTR, None)
        if record_error is not None:
            self.invalid_records.append(record_error)
        payload = getattr(report, REPORT_ATTR, None)
        if payload is None:
            return
        from pytest_agenteval.results.models import TaskResult

        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome  # a miss the policy tolerates
        self.results.append(TaskResult.model_validate({**payload, "outcome": outcome}))
        # The terminal reporter keeps every report to the end; the result lives on here, not twice.
        delattr(report, REPORT_ATTR)

