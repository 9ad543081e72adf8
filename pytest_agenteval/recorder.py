"""`RunRecorder`: on the controller (or the single process), collects every eval item's result from its
report as it arrives, and every rejected suite line, appending each to the run's journal as it comes (so a
killed session loses nothing that had reported). It only collects; `publish` builds and writes the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pytest

from pytest_agenteval.collect.selection import SUITE_SUFFIX
from pytest_agenteval.keys import HOST_KEY, RECORD_ERROR_ATTR, REPORT_ATTR

if TYPE_CHECKING:
    from pytest_agenteval.results.journal import RunJournal
    from pytest_agenteval.results.models import TaskResult


class RunRecorder:
    """The results and rejected records of this run, in the order their reports arrived, after the results
    carried over from a resumed run (a result of this run replaces the carried one of the same item, and a rerun's
    result the earlier attempt's: one result per item, the last, with its attempts counted)."""

    def __init__(self, journal: RunJournal | None = None, config: pytest.Config | None = None) -> None:
        self.config = config  # its `pytest_agenteval_task_evaluated` hook hears of each result
        self.results: list[TaskResult] = []
        self.invalid_records: list[str] = []
        self.journal = journal
        self.arrived = 0  # results of this session's own items
        self.started = 0  # eval items that started, reported or not (an interrupted one never reports)
        self.collection_errors = 0
        self._carried: dict[tuple[str, str, str | None], TaskResult] = {}
        self._attempts: dict[tuple[str, str, str | None], TaskResult] = {}  # this session's latest result of each item
        # Called once, at the first eval report, when the run could not start at configure (suites defined in test
        # modules are known only once they are collected, on xdist workers at that).
        self.before_first: Callable[[], None] | None = None

    def carry_over(self, tasks: Sequence[TaskResult]) -> None:
        """Start from the results of the run being resumed."""
        for task in tasks:
            self._carried[task.item_key] = task
            self.results.append(task)
            if self.journal is not None:
                self.journal.append_carried(task)

    @property
    def carried(self) -> int:
        """Results of the resumed run that stay in this one."""
        return len(self._carried)

    # xdist replays worker reports here on the controller, so each item arrives exactly once. First, so that no
    # other plugin (pytest-reportlog serializes every attribute) sees the result riding on the report.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_errors = getattr(report, RECORD_ERROR_ATTR, None)  # one item may stand for many bad lines
        payload = getattr(report, REPORT_ATTR, None)
        if self.before_first is not None and (payload is not None or record_errors):
            start, self.before_first = self.before_first, None
            start()
        for record_error in [record_errors] if isinstance(record_errors, str) else record_errors or ():
            self.invalid_records.append(record_error)
            if self.journal is not None:
                self.journal.append_invalid_record(record_error)
        if payload is None:
            return
        from pytest_agenteval.results.footprint import share_fields_sets
        from pytest_agenteval.results.models import TaskResult

        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome  # a miss the policy tolerates
        # From this process, the result itself (held by nothing else); from a worker, or masked, its JSON.
        result = payload if isinstance(payload, TaskResult) else TaskResult.model_validate_json(payload)
        result.outcome = outcome
        key = result.item_key
        earlier = self._attempts.get(key)  # a rerun (pytest-rerunfailures) replaces the earlier attempt
        if earlier is not None:
            result = result.model_copy(update={"attempts": earlier.attempts + 1})
        replaced = earlier if earlier is not None else self._carried.pop(key, None)
        if replaced is not None:
            self.results = [task for task in self.results if task is not replaced]
        share_fields_sets(result)
        self._attempts[key] = result
        self.results.append(result)
        self.arrived += earlier is None  # items, not attempts
        if self.journal is not None:
            self.journal.append_task(result)
        # The terminal reporter keeps every report to the end; the result lives on here, not twice.
        delattr(report, REPORT_ATTR)
        if self.config is not None:  # last: the result is stored and journaled whatever a hook does
            self.config.stash[HOST_KEY].results_held(len(self.results))
            self.config.hook.pytest_agenteval_task_evaluated(config=self.config, result=result)

    # xdist replays its workers' log starts here too.
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if nodeid.partition("::")[0].endswith(SUITE_SUFFIX):
            self.started += 1

    # xdist replays a worker's failed collection reports here too.
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1
