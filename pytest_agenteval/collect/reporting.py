"""The per-process hooks of eval items, registered when the first suite is collected: each item's result
rides on its report (so it survives xdist), a tolerated miss becomes an xfail, a bad line keeps its message.
Secrets are masked here, where each report is made (on the xdist worker), so nothing downstream sees them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Sequence
from pathlib import Path

import pytest

from pytest_agenteval.collect.inline_suite import InlineSuite
from pytest_agenteval.collect.items import EvalItem, EvalMiss, EvalSuite, InlineEvalSuite, InvalidRecord
from pytest_agenteval.config import read_options
from pytest_agenteval.gates.tolerance import MissLedger
from pytest_agenteval.keys import INFLIGHT_DIR, RECORD_ERROR_ATTR, REPORT_ATTR, RESULT_KEY
from pytest_agenteval.report.redact import Redactor, RedactorCache
from pytest_agenteval.report.terminal import printable
from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.results.storable import clean_text

REPORTER_NAME = "agenteval-items"


def collect_suite(parent: pytest.Collector, path: Path) -> EvalSuite:
    """The collector of one suite file; the first one registers the item hooks of this process."""
    register_reporter(parent.config)
    suite: EvalSuite = EvalSuite.from_parent(parent, path=path)
    return suite


def collect_inline_suite(parent: pytest.Collector, name: str, inline: InlineSuite) -> InlineEvalSuite:
    """The collector of a suite defined in a test module; noted for the controller, which never collects
    under xdist but must recognise its items when a worker dies."""
    register_reporter(parent.config)
    suite: InlineEvalSuite = InlineEvalSuite.from_parent(parent, name=name, inline=inline)
    note_inline_suite(parent.config, suite.nodeid)
    return suite


def note_inline_suite(config: pytest.Config, node_id: str) -> None:
    directory = getattr(config, "workerinput", {}).get(INFLIGHT_DIR)
    if directory is not None:
        from pytest_agenteval.run.inflight import note_inline_suite as note

        note(Path(directory), node_id)


def register_reporter(config: pytest.Config) -> None:
    """The first suite collected in a process registers the item hooks."""
    plugins = config.pluginmanager
    if not plugins.has_plugin(REPORTER_NAME):
        options = read_options(config)
        plugins.register(ItemReporter(MissLedger(options), options.redact), REPORTER_NAME)


class ItemReporter:
    """Puts each eval item's result, or each bad line's message, on its report, with secrets masked."""

    def __init__(self, ledger: MissLedger, redact: Sequence[str] = ()) -> None:
        self.ledger = ledger
        self.redactors = RedactorCache(redact)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, EvalItem):
            if call.when in ("setup", "call") and report.failed and call.excinfo is not None:
                item.record_setup_error(call.excinfo.value)  # a call that died before storing a result too
            self.review_miss(item, call, report)
            redactor = self.redactors.current(os.environ)
            if (call.when == "call" or report.failed) and RESULT_KEY in item.stash:
                on_worker = hasattr(item.config, "workerinput")
                setattr(report, REPORT_ATTR, report_payload(item.stash[RESULT_KEY], redactor, on_worker=on_worker))
                del item.stash[RESULT_KEY]
            mask_report(report, redactor)
        elif isinstance(item, InvalidRecord) and call.when == "setup":
            redactor = self.redactors.current(os.environ)
            setattr(report, RECORD_ERROR_ATTR, [redactor.text(str(error)) for error in item.errors])
            mask_report(report, redactor)
        return report

    def review_miss(self, item: EvalItem, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        """Turn a tolerated eval failure into an xfail whose reason names the policy."""
        if call.when != "call" or not report.failed or call.excinfo is None \
                or not isinstance(call.excinfo.value, EvalMiss):
            return
        session_tasks = lambda: (each.task for each in item.session.items if isinstance(each, EvalItem))  # noqa: E731
        reason = self.ledger.tolerate(item.task, session_tasks)
        if reason is not None:
            report.outcome = "skipped"  # what pytest's own xfail does, with `wasxfail` as the reason
            report.wasxfail = reason


def report_payload(result: TaskResult, redactor: Redactor, *, on_worker: bool) -> TaskResult | str:
    """What rides on the report: on an xdist worker (or with secrets to mask) its JSON text, one string that
    xdist sends as it is; in a single process the result itself, which never leaves it."""
    if not redactor.active:
        return result.model_dump_json() if on_worker else result
    return json.dumps(redactor.record(result.model_dump(mode="json")))


def mask_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """What pytest prints and writes from this report (failure text, captured sections, JUnit properties),
    with secrets masked, control characters escaped in the sections, and lone surrogates (which xdist cannot
    send) escaped everywhere."""
    # The terminal reporter keeps every report to the end: lists nothing changed in stay the item's own.
    sections = [(title, printable(redactor.text(text), multiline=True)) for title, text in report.sections]
    if sections != report.sections:
        report.sections = sections
    properties = [(name, clean_text(redactor.text(value)) if isinstance(value, str) else value)
                  for name, value in report.user_properties]
    if properties != report.user_properties:
        report.user_properties = properties
    longrepr = report.longrepr
    if isinstance(longrepr, str):
        report.longrepr = clean_text(redactor.text(longrepr))
    elif isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], clean_text(redactor.text(longrepr[2])))
    elif longrepr is not None and (redactor.active or report.failed):
        shown = str(longrepr)
        safe = clean_text(redactor.text(shown))
        if safe != shown:  # a traceback that shows a secret (or cannot be sent) becomes plain text
            report.longrepr = safe
