"""The per-process hooks of eval items, registered when the first suite is collected: each item's result
rides on its report (so it survives xdist), a tolerated miss becomes an xfail, a bad line keeps its message.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_agenteval.collect.items import EvalFailure, EvalItem, EvalSuite, InvalidRecord
from pytest_agenteval.config import read_options
from pytest_agenteval.gates.tolerance import MissLedger
from pytest_agenteval.keys import RECORD_ERROR_ATTR, REPORT_ATTR, RESULT_KEY

REPORTER_NAME = "agenteval-items"


def collect_suite(parent: pytest.Collector, path: Path) -> EvalSuite:
    """The collector of one suite file; the first one registers the item hooks of this process."""
    plugins = parent.config.pluginmanager
    if not plugins.has_plugin(REPORTER_NAME):
        plugins.register(ItemReporter(MissLedger(read_options(parent.config))), REPORTER_NAME)
    suite: EvalSuite = EvalSuite.from_parent(parent, path=path)
    return suite


class ItemReporter:
    """Puts each eval item's result, or each bad line's message, on its report."""

    def __init__(self, ledger: MissLedger) -> None:
        self.ledger = ledger

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, EvalItem):
            if call.when == "setup" and report.failed and call.excinfo is not None:
                item.record_setup_error(call.excinfo.value)
            self.review_miss(item, call, report)
            if (call.when == "call" or report.failed) and RESULT_KEY in item.stash:
                # A JSON-safe dict rides on the report, so it survives xdist's serialization.
                setattr(report, REPORT_ATTR, item.stash[RESULT_KEY].model_dump(mode="json"))
                del item.stash[RESULT_KEY]
        elif isinstance(item, InvalidRecord) and call.when == "setup":
            setattr(report, RECORD_ERROR_ATTR, str(item.error))
        return report

    def review_miss(self, item: EvalItem, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        """Turn a tolerated eval failure into an xfail whose reason names the policy."""
        if call.when != "call" or not report.failed or call.excinfo is None \
                or not isinstance(call.excinfo.value, EvalFailure):
            return
        session_tasks = lambda: (each.task for each in item.session.items if isinstance(each, EvalItem))  # noqa: E731
        reason = self.ledger.tolerate(item.task, session_tasks)
        if reason is not None:
            report.outcome = "skipped"  # what pytest's own xfail does, with `wasxfail` as the reason
            report.wasxfail = reason
