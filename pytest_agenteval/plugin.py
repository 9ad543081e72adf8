"""pytest-agenteval hooks: options, collection, result plumbing, the run at session end.

Each hook hands its work to a named object; see DESIGN.md for the life cycle.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from .fixtures import (
    agenteval_event_loop,
    eval_agent,
    eval_budgets,
    eval_scorers,
    eval_task,
    eval_tracer_provider,
)
from .gatekeeper import GateKeeper
from .item import RESULT_KEY, RUNTIME_KEY, EvalItem, EvalSuite, InvalidRecord
from .options import RUN_ID_KEY, WORKER_RUN_ID, add_options, read_options
from .recorder import RECORD_ERROR_ATTR, REPORT_ATTR, RunRecorder
from .selection import SELECTION_KEY, SUITE_SUFFIX, add_suites_to_args, select_suites
from .store import run_path
from .tolerance import MissLedger
from .warning_types import TraceWarning

__all__ = ["agenteval_event_loop", "eval_agent", "eval_budgets", "eval_scorers", "eval_task", "eval_tracer_provider"]

RECORDER_KEY = pytest.StashKey[RunRecorder]()
LEDGER_KEY = pytest.StashKey[MissLedger]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker runs with the controller's run id
        config.stash[RUN_ID_KEY] = workerinput[WORKER_RUN_ID]
    options = read_options(config)
    config.stash[SELECTION_KEY] = select_suites(config)
    add_suites_to_args(config, config.stash[SELECTION_KEY])
    config.stash[LEDGER_KEY] = MissLedger(options)
    if workerinput is None:
        if options.store is not None and run_path(options.store, options.run_id).exists():
            raise pytest.UsageError(f"--eval-run-id={options.run_id}: {run_path(options.store, options.run_id)} "
                                    "already exists; runs are never overwritten, choose another id")
        recorder = RunRecorder(config, options)
        config.stash[RECORDER_KEY] = recorder
        config.pluginmanager.register(recorder, "agenteval-recorder")
        gatekeeper = GateKeeper.from_options(recorder, options, config.invocation_params.dir)
        config.pluginmanager.register(gatekeeper, "agenteval-gatekeeper")
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(XdistHooks(options.run_id), "agenteval-xdist")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> EvalSuite | None:
    if file_path.suffix == SUITE_SUFFIX and file_path in parent.config.stash[SELECTION_KEY]:
        return EvalSuite.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if isinstance(item, EvalItem):
        if call.when == "setup" and report.failed and call.excinfo is not None:
            item.record_setup_error(call.excinfo.value)
        item.config.stash[LEDGER_KEY].review(item, call, report)
        if (call.when == "call" or report.failed) and RESULT_KEY in item.stash:
            # A JSON-safe dict rides on the report, so it survives xdist's serialization.
            setattr(report, REPORT_ATTR, item.stash[RESULT_KEY].model_dump(mode="json"))
            del item.stash[RESULT_KEY]
    elif isinstance(item, InvalidRecord) and call.when == "setup":
        setattr(report, RECORD_ERROR_ATTR, str(item.error))
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    runtime = session.config.stash.get(RUNTIME_KEY, None)
    if runtime is not None:
        runtime.close()
        if runtime.tracer.orphan_spans:
            warnings.warn(TraceWarning(
                f"{runtime.tracer.orphan_spans} span(s) started after their task had finished and are in no "
                "trace: an agent left work running in the background"), stacklevel=1)
        del session.config.stash[RUNTIME_KEY]


class XdistHooks:
    """Registered only when xdist is present: the controller sends its run id to every worker."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_RUN_ID] = self.run_id
