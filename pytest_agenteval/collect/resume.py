"""`--eval-resume` in every process that collects (the single process, each xdist worker): the items the
resumed run already holds are deselected through pytest's own hook, and a suite with a task whose inputs or
reference changed since that run is a collection error naming the task, so nothing runs.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.collect.items import EvalItem, EvalSuite
from pytest_agenteval.config import read_options
from pytest_agenteval.keys import SELECTION_KEY
from pytest_agenteval.report.redact import Redactor
from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.results.resume import ItemKey, ResumedRun, content_changes, resolve_resumed_run
from pytest_agenteval.results.store import RunFileError, read_run
from pytest_agenteval.run.grade import jsonable

WORKER_RESUME_RUN = "agenteval_resume_run"  # in xdist's `workerinput`: the resolved run file, as a path
SELECTOR_NAME = "agenteval-resume"


class ResumeSelector:
    """Skips what the resumed run holds; refuses a task that changed since."""

    def __init__(self, resumed: ResumedRun, rerun_errors: bool, redact: tuple[str, ...]) -> None:
        self.run_id = resumed.run.run_id
        self.done: Mapping[ItemKey, TaskResult] = resumed.done(rerun_errors)
        self.redactor = Redactor.from_environment(os.environ, redact)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        report = yield
        if not isinstance(collector, EvalSuite) or not report.passed:
            return report
        changed = dict.fromkeys(f"{item.task.suite}::{item.task.task_id} ({', '.join(fields)})"
                                for item in report.result if isinstance(item, EvalItem)
                                if (fields := self.changes(item)))
        if not changed:
            return report
        message = (f"--eval-resume={self.run_id}: {'; '.join(changed)} changed since that run: a resumed run "
                   "combines results of the same tasks, so revert the change or start a new run without --eval-resume")
        return pytest.CollectReport(report.nodeid, "failed", longrepr=message, result=[])

    def changes(self, item: EvalItem) -> list[str]:
        stored = self.done.get(key_of(item))
        if stored is None:
            return []
        inputs, reference = jsonable(dict(item.task.inputs)), jsonable(item.task.reference_outputs)
        masked = self.redactor.value({"inputs": inputs, "reference_outputs": reference}) \
            if self.redactor.active else None
        return content_changes(stored, inputs, reference, masked)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        skipped = [item for item in items if isinstance(item, EvalItem) and key_of(item) in self.done]
        if skipped:
            config.hook.pytest_deselected(items=skipped)
            gone = set(map(id, skipped))
            items[:] = [item for item in items if id(item) not in gone]


def key_of(item: EvalItem) -> ItemKey:
    return item.task.suite, item.task.task_id, item.task.variant, item.task.repeat


def resume_run(config: pytest.Config) -> ResumedRun:
    """On the controller (or the single process): the run to resume, checked; a usage error when there is none
    or when this session would run its tasks differently (repeats)."""
    options = read_options(config)
    given = options.resume
    assert given is not None  # only called with --eval-resume
    selection = config.stash[SELECTION_KEY]
    if not (selection.from_options or selection.from_args):
        raise pytest.UsageError(f"--eval-resume={given}: no suite to run; pass the suites of that run "
                                "(--eval-suite=PATH or suite files as arguments)")
    try:
        resumed = resolve_resumed_run(given, options.store)
    except RunFileError as exc:
        raise pytest.UsageError(f"--eval-resume={given}: {exc}") from None
    if resumed.run.config.repeats != options.repeats:
        raise pytest.UsageError(
            f"--eval-resume={given}: run {resumed.run.run_id} ran {resumed.run.config.repeats} repeat(s) per task, "
            f"this session {options.repeats}; resume with --eval-repeats={resumed.run.config.repeats}")
    register_selector(config, resumed)
    return resumed


def register_selector(config: pytest.Config, resumed: ResumedRun) -> None:
    options = read_options(config)
    config.pluginmanager.register(ResumeSelector(resumed, options.resume_errors, options.redact), SELECTOR_NAME)


def select_on_worker(config: pytest.Config) -> None:
    """On an xdist worker: read the run the controller resolved, and select as the single process would."""
    given = config.workerinput.get(WORKER_RESUME_RUN)  # type: ignore[attr-defined]
    if given is None:
        return
    path = Path(given)
    try:
        resumed = ResumedRun(path, read_run(path))
    except RunFileError as exc:  # the controller read it a moment ago
        raise pytest.UsageError(f"--eval-resume: {exc}") from None
    register_selector(config, resumed)


class ResumeXdistHooks:
    """On the controller, with xdist: every worker gets the run file the controller resolved."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_RESUME_RUN] = str(self.path)
