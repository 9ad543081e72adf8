"""pytest-agenteval's hooks: the table of contents of the plugin's life cycle.

configure: options, suite selection, the runtime's owner (every process); the recorder, the publisher and the
xdist hooks (controller or single process). collect: a selected `.jsonl` file becomes an `EvalSuite`, and the
engine (pydantic, OpenTelemetry, the stages) is imported then, not before. run: items ask `RuntimeHost`
for the runtime; their reports carry their results (`collect/reporting.py`). finish: `RunPublisher`.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_agenteval.collect.fixtures import (
    agenteval_event_loop,
    eval_agent,
    eval_budgets,
    eval_model_config,
    eval_scorers,
    eval_span_conventions,
    eval_task,
    eval_tracer_provider,
    eval_variants,
)
from pytest_agenteval.collect.inline_suite import InlineSuite
from pytest_agenteval.collect.selection import SUITE_SUFFIX, add_suites_to_args, select_suites
from pytest_agenteval.config import WORKER_RUN_ID, add_options, read_options
from pytest_agenteval.keys import HOST_KEY, PUBLISHER_KEY, RECORDER_KEY, RUN_ID_KEY, SELECTION_KEY

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_agenteval.judges.pairwise import PairwiseJudge
    from pytest_agenteval.results.models import RunResult, TaskResult

ASYNCIO_UNSET_LOOP_SCOPE = r'The configuration option "asyncio_default_fixture_loop_scope" is unset'

__all__ = [
    "agenteval_event_loop",
    "eval_agent",
    "eval_budgets",
    "eval_model_config",
    "eval_scorers",
    "eval_span_conventions",
    "eval_task",
    "eval_tracer_provider",
    "eval_variants",
]


XDIST_PLUGIN_NAMES = ("xdist", "xdist.plugin")


class AgentEvalHookspecs:
    """The run's life cycle, for plugins and conftests (AG2's eval stream, the pytest way). Called on the
    controller, or the single process, never on xdist workers; once per event."""

    @pytest.hookspec
    def pytest_agenteval_run_started(self, config: pytest.Config, run_id: str) -> None:
        """The session starts a run: before its first item, or, with only inline suites (known once collected),
        at its first item's report (a resumed run keeps its new id)."""

    @pytest.hookspec
    def pytest_agenteval_task_evaluated(self, config: pytest.Config, result: TaskResult) -> None:
        """One task x repeat has its result (masked, as stored; read it, do not change it: held results share
        their parts); a rerun of it calls again, `attempts` counted."""

    @pytest.hookspec
    def pytest_agenteval_pairwise_judges(self, config: pytest.Config) -> Sequence[PairwiseJudge] | None:
        """Pairwise judges (`pairwise_judge(...)`) to compare the variants with once every item ran; the judges of
        every implementation run, with those of --eval-pairwise. Implement it in the rootdir's conftest.py or a
        plugin: the xdist controller never loads the conftest.py files of subdirectories."""

    @pytest.hookspec
    def pytest_agenteval_run_finished(self, config: pytest.Config, run: RunResult, path: Path | None) -> None:
        """The run is built, judged and written (`path` is None without --eval-store or when the write failed)."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(AgentEvalHookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    from pytest_agenteval.run.host import RuntimeHost

    # pytest-asyncio is our dependency, so its "asyncio_default_fixture_loop_scope is unset" deprecation would
    # reach every user who never set it, and break their session under `-W error`: that one warning is not
    # theirs. The filter lives in the warnings context pytest keeps open for the configured session.
    warnings.filterwarnings("ignore", message=ASYNCIO_UNSET_LOOP_SCOPE, category=pytest.PytestDeprecationWarning)

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker runs with the controller's run id
        config.stash[RUN_ID_KEY] = workerinput[WORKER_RUN_ID]
    options = read_options(config)
    config.stash[SELECTION_KEY] = select_suites(config)
    add_suites_to_args(config, config.stash[SELECTION_KEY])
    if any(arg.partition("::")[0].endswith(SUITE_SUFFIX) for arg in config.args):
        # Suites will be collected: load the engine now, with the rest of startup, and not in the middle of
        # the first suite's collection (where it would hold up the first agent calls too).
        import pytest_agenteval.collect.reporting  # noqa: F401
    host = config.stash[HOST_KEY] = RuntimeHost(options, workerinput)
    config.pluginmanager.register(host, "agenteval-runtime")
    # Cleanups run last-registered first: this one, from the first configure hook, after pytest's own.
    config.add_cleanup(functools.partial(host.unfreeze, config))
    if workerinput is None:
        configure_controller(config)


def configure_controller(config: pytest.Config) -> None:
    """The controller (or the single process) records, judges and publishes the run; workers never write.
    Before anything runs: the baseline and the resumed run are read, and the run's journal reserves its id."""
    from pytest_agenteval.distributed import XdistHooks
    from pytest_agenteval.gates.keeper import GateKeeper
    from pytest_agenteval.publish import RunPublisher, SigtermAsInterrupt
    from pytest_agenteval.recorder import RunRecorder

    options = read_options(config)
    keeper = GateKeeper.from_options(options)
    resumed = None
    if options.resume is not None:
        from pytest_agenteval.collect.resume import resume_run

        resumed = resume_run(config)
    recorder = config.stash[RECORDER_KEY] = RunRecorder(config=config)
    publisher = config.stash[PUBLISHER_KEY] = RunPublisher(config, options, recorder, keeper, resumed)
    selection = config.stash[SELECTION_KEY]
    may_run = bool(selection.from_options or selection.from_args)  # eval items may run, so a run may be stored
    if may_run:
        if options.store is not None:
            recorder.journal = publisher.open_journal(options.store)
        sigterm = SigtermAsInterrupt()
        sigterm.install()
        config.pluginmanager.register(sigterm, "agenteval-sigterm")
    if resumed is not None:
        recorder.carry_over(resumed.run.tasks)
    config.pluginmanager.register(recorder, "agenteval-recorder")
    config.pluginmanager.register(publisher, "agenteval-publisher")
    if may_run and not config.option.collectonly:  # registered first, so its unconfigure reaps git; none for discovery
        publisher.probe_git()
    # "xdist" when auto-loaded, "xdist.plugin" under PYTEST_DISABLE_PLUGIN_AUTOLOAD with `-p xdist.plugin`.
    if any(config.pluginmanager.hasplugin(name) for name in XDIST_PLUGIN_NAMES):
        xdist_hooks = XdistHooks(options.run_id, config.rootpath, options.repeats, SUITE_SUFFIX)
        config.pluginmanager.register(xdist_hooks, "agenteval-xdist")
        if resumed is not None:
            from pytest_agenteval.collect.resume import ResumeXdistHooks

            config.pluginmanager.register(ResumeXdistHooks(resumed.path), "agenteval-resume-xdist")


def pytest_sessionstart(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput") and read_options(session.config).resume is not None:
        from pytest_agenteval.collect.resume import select_on_worker  # an xdist worker of a resumed run

        select_on_worker(session.config)


def pytest_pycollect_makeitem(collector: pytest.Module | pytest.Class, name: str, obj: object) -> object:
    if isinstance(obj, InlineSuite):
        from pytest_agenteval.collect.reporting import collect_inline_suite

        return collect_inline_suite(collector, name, obj)
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == SUITE_SUFFIX and file_path in parent.config.stash[SELECTION_KEY]:
        from pytest_agenteval.collect.reporting import collect_suite  # the engine loads with the first suite

        return collect_suite(parent, file_path)
    return None
