"""Collection: `EvalSuite` (a JSONL file) yields one `EvalItem` per record x repeat, and one
`InvalidRecord` per bad line, so a bad record is its own error and never hides the others.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

import pytest

from pytest_agenteval.agents.calls import AgentTypeError
from pytest_agenteval.budgets import Budgets
from pytest_agenteval.collect.inline_suite import InlineSuite
from pytest_agenteval.collect.names import item_params, marker_tags, node_name
from pytest_agenteval.collect.records import InlineReader, LoadedRecord, RecordError, SuiteReader
from pytest_agenteval.collect.settled_fixtures import settled_session_values
from pytest_agenteval.config import read_options
from pytest_agenteval.keys import HOST_KEY, RESULT_KEY, SEQUENTIAL_WARNED_KEY
from pytest_agenteval.report.junit import junit_properties
from pytest_agenteval.report.terminal import printable, render_task_failure
from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.run.grade import error_task_result, to_task_result
from pytest_agenteval.run.prefetch import shared_agent_definition, upcoming_tasks
from pytest_agenteval.run.runtime import EvalRuntime
from pytest_agenteval.scoring.coerce import collect_scorers
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.capture import TracingUnavailableError
from pytest_agenteval.tracing.conventions import SpanConvention
from pytest_agenteval.tracing.model import ErrorInfo
from pytest_agenteval.warning_types import BudgetExceededWarning, SequentialRunWarning, SuiteWarning, TraceWarning


class EvalMiss(Exception):
    """The task did not pass: its result says why. Rendered without a traceback."""

    def __init__(self, result: TaskResult) -> None:
        super().__init__(result.task_id)
        self.result = result

    @staticmethod
    def of(result: TaskResult) -> EvalMiss:
        return EvalFailure(result) if result.verdict == "failed" else EvalError(result)


class EvalFailure(EvalMiss, AssertionError):
    """A scorer failed the task: an AssertionError, so reporters that tell a failed check from a crash (allure's
    "failed" vs "broken") show a failed check."""


class EvalWiringError(Exception):
    """The plugin cannot run the task as wired (a non-scorer in eval_scorers, an agent it cannot call): shown as
    its message alone, and not an AssertionError, so allure shows it "broken" like any fixture error."""


class EvalError(EvalMiss):
    """The task ended in an error (the agent raised): not an AssertionError, so allure shows it "broken"."""


def run_eval_task(request: pytest.FixtureRequest, eval_agent: Any, eval_scorers: Any, eval_budgets: Any,
                  eval_span_conventions: Sequence[SpanConvention], eval_model_config: Any) -> None:
    """Run one eval task: the test function of EvalItems; its parameters are the fixtures it uses, and the
    functions below differ from it only in where the agent comes from."""
    run_item(request, eval_agent, eval_scorers, eval_budgets, eval_span_conventions, eval_model_config)


def run_variant_task(request: pytest.FixtureRequest, eval_variants: Any, eval_scorers: Any, eval_budgets: Any,
                     eval_span_conventions: Sequence[SpanConvention], eval_model_config: Any) -> None:
    """With variants: the agent `eval_variants` gives the item's variant."""
    item = request.node
    assert isinstance(item, EvalItem) and item.task.variant is not None  # collected with a variant
    try:
        agent = variant_agent(eval_variants, item.task.variant)
    except TypeError as exc:
        item.fail_wiring(exc, str(exc), "eval_variants")
    run_item(request, agent, eval_scorers, eval_budgets, eval_span_conventions, eval_model_config)


def run_own_agent_task(request: pytest.FixtureRequest, eval_scorers: Any, eval_budgets: Any,
                       eval_span_conventions: Sequence[SpanConvention], eval_model_config: Any) -> None:
    """An inline suite's task: the agent (or the variant's) the suite was given."""
    item = request.node
    assert isinstance(item, EvalItem) and isinstance(item.parent, SuiteCollector) and item.parent.inline is not None
    inline = item.parent.inline
    agent = inline.agent if inline.variants is None else inline.variants[item.task.variant or ""]
    run_item(request, agent, eval_scorers, eval_budgets, eval_span_conventions, eval_model_config)


def run_stored_trace_task(request: pytest.FixtureRequest, eval_scorers: Any, eval_budgets: Any,
                          eval_span_conventions: Sequence[SpanConvention]) -> None:
    """With `--eval-traces`: no agent; the task's stored trace is graded."""
    run_item(request, None, eval_scorers, eval_budgets, eval_span_conventions, None)


def run_item(request: pytest.FixtureRequest, agent: Any, scorers: Any, budgets: Any,
             conventions: Sequence[SpanConvention], model_config: Any) -> None:
    item = request.node
    assert isinstance(item, EvalItem)  # pytest hands a test function its own item
    host = request.config.stash[HOST_KEY]
    item.run_eval(host.runtime_for(request), agent, scorers, budgets, tuple(conventions), suspects=host.suspects,
                  model_config=model_config)


def variant_agent(variants: Any, name: str) -> Any:
    """The agent `eval_variants` gives the variant `name`; TypeError when it gives none."""
    if not isinstance(variants, Mapping):
        raise TypeError(f"variant {name!r} was asked for, but eval_variants returned {type(variants).__name__}, not a "
                        "mapping {name: agent}: override the eval_variants fixture (session scope) in conftest.py")
    if name not in variants:
        raise TypeError(f"eval_variants has no variant {name!r}; it has: {', '.join(map(repr, variants)) or '(none)'}")
    return variants[name]


# Bad lines of one file shown as items of their own; the rest become one item that counts and lists them (a
# million error items took 11 minutes to report). Every bad line still reaches the run's invalid_records.
MAX_INVALID_ITEMS = 20


class SuiteCollector(pytest.Collector):
    """What a suite collects, whatever holds its records: its items in record order, then its warnings."""

    inline: InlineSuite | None = None  # the suite's own agent and scorers, when defined in Python

    def items_of(self, reader: SuiteReader, variants: Sequence[str | None]) -> Iterator[pytest.Item]:
        repeats = read_options(self.config).repeats
        self.keyword_sets: dict[tuple[str, ...], set[str]] = {}
        # Every item runs `run_eval_task` under this file: resolve its fixtures once and share them, as pytest
        # does for the items of one parametrized test (resolving them per item was most of collection time).
        fixtureinfo = None
        markers: set[str] = set()
        shown = 0
        hidden: list[RecordError] = []
        for entry in reader:
            if isinstance(entry, RecordError):
                if shown < MAX_INVALID_ITEMS:
                    shown += 1
                    yield InvalidRecord.from_parent(self, name=invalid_item_name(entry), error=entry)
                else:
                    hidden.append(entry)
                continue
            for tag in marker_tags(entry.record.tags):
                if tag not in markers:  # registered before the first item that carries it (--strict-markers)
                    markers.add(tag)
                    self.config.addinivalue_line("markers", f"{tag}: eval task tag")
            for item in self._items_for(entry, repeats, variants, fixtureinfo):
                fixtureinfo = item._fixtureinfo
                yield item
        if hidden:
            yield InvalidRecord.from_parent(self, name=f"invalid-lines-{hidden[0].line}-{hidden[-1].line}",
                                            error=summary_of(hidden), hidden=hidden)
        yield from self._warn(reader.warnings())

    def _items_for(self, loaded: LoadedRecord, repeats: int, variants: Sequence[str | None],
                   fixtureinfo: Any = None) -> Iterator[EvalItem]:
        """The record's items: each variant (None: no variants) at each repeat, variants side by side."""
        for index, variant in enumerate(variants):
            for repeat in range(1, repeats + 1):
                task = loaded.task(self.nodeid, repeat, repeats, variant, first=index == 0)
                yield EvalItem.from_parent(self, task=task, fixtureinfo=fixtureinfo)

    def keyword_set(self, words: tuple[str, ...]) -> set[str]:
        """One `extra_keyword_matches` set for this suite's items with the same words (pytest only reads it):
        216 bytes an item, a tenth of an item's memory on a suite of a million records."""
        found = self.keyword_sets.get(words)
        if found is None:
            found = self.keyword_sets[words] = set(words)
        return found

    def _warn(self, messages: Sequence[str]) -> Iterator[InvalidRecord]:
        """Warn through pytest; under `-W error` a warning becomes this suite's error item, never a collection
        error that would stop every other suite."""
        for message in messages:
            try:
                self.warn(SuiteWarning(message))
            except SuiteWarning as exc:
                error = RecordError(self.nodeid, 0, f"SuiteWarning, turned into an error by a warnings filter: {exc}")
                yield InvalidRecord.from_parent(self, name="suite-warning", error=error)


class EvalSuite(SuiteCollector, pytest.File):
    """A JSONL suite file, read line by line."""

    def collect(self) -> Iterator[pytest.Item]:
        yield from self.items_of(SuiteReader(self.path, self.nodeid), read_options(self.config).variants or (None,))


class InlineEvalSuite(SuiteCollector):
    """A suite defined in a test module with `inline_suite(...)`, its records read like the lines of a file."""

    def __init__(self, *, inline: InlineSuite, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inline = inline

    def collect(self) -> Iterator[pytest.Item]:
        assert self.inline is not None  # set at construction
        own = self.inline.variants
        variants = tuple(own) if own is not None else () if self.inline.agent is not None else \
            read_options(self.config).variants
        yield from self.items_of(InlineReader(self.inline, self.nodeid), variants or (None,))

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        assert self.inline is not None
        return self.path, self.inline.line - 1, self.name


class EvalItem(pytest.Function):
    """One task at one repeat. A `pytest.Function` so fixtures work as for any test; no callspec (VS Code)."""

    def __init__(self, *, task: Task, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task = task
        for tag in marker_tags(task.tags):  # other tags still group, gate and match -k
            self.add_marker(tag)
        name = node_name(task.task_id)
        words = (*task.tags, task.task_id) if name != task.task_id else task.tags  # -k: the id as written, too
        if task.variant is not None:
            words = (*words, task.variant)
        self.extra_keyword_matches = (self.parent.keyword_set(words) if isinstance(self.parent, SuiteCollector)
                                      else set(words))
        parent_id = getattr(self.parent, "id", None)
        params = item_params(task)
        if params is not None and parent_id is not None:
            # pytest >= 9.2 keeps a structured id; without it `--lf` cannot match `name[r1]` (pytest#15045).
            self._id = parent_id.child(name).with_params(params)

    @classmethod
    def from_parent(cls, parent: pytest.Collector, *, task: Task, **kwargs: Any) -> EvalItem:  # type: ignore[override]
        params = item_params(task)
        name = node_name(task.task_id) if params is None else f"{node_name(task.task_id)}[{params}]"
        inline = getattr(parent, "inline", None)
        function = (run_stored_trace_task if read_options(parent.config).traces
                    else run_own_agent_task if inline is not None and inline.has_agent
                    else run_eval_task if task.variant is None else run_variant_task)
        item: EvalItem = super().from_parent(parent, name=name, callobj=function, task=task, **kwargs)
        return item

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        inline = getattr(self.parent, "inline", None)
        return self.path, (inline.line if inline is not None else self.task.line) - 1, self.name

    def setup(self) -> None:
        # The test function's `request` is this item's own; resolved as a fixture, pytest would make a new fixture
        # definition for it (a signature inspected) on every item. Session fixtures pytest already computed are
        # handed over as they are cached; the rest pytest resolves as usual.
        self.funcargs["request"] = self._request
        self.funcargs.update(settled_session_values(self))
        super().setup()

    def run_eval(self, runtime: EvalRuntime, agent: Any, scorers: Any, budgets: Any,
                 conventions: tuple[SpanConvention, ...] = (), suspects: frozenset[str] = frozenset(),
                 model_config: Any = None) -> None:
        """Run, trace and grade the task; store the result, then warn on budgets, then fail if it failed.
        `suspects` (after an xdist worker died) run alone and are never started ahead."""
        alone = self.nodeid in suspects
        upcoming = [] if alone else [each for each in upcoming_tasks(self, runtime.window) if each.key not in suspects]
        if runtime.concurrency > 1 and runtime.stored is None and shared_agent_definition(self) is None:
            warn_once_about_sequential_runs(self)
        # Wiring problems are for the user to fix, not properties of this task: no traceback.
        inline = getattr(self.parent, "inline", None)
        if inline is not None and inline.scorers is not None:
            scorers = inline.scorers
        try:
            scorer_list = collect_scorers(scorers)
        except TypeError as exc:  # a non-scorer in eval_scorers, a scorer with bad parameters
            self.fail_wiring(exc, str(exc), "eval_scorers")
        try:
            task_budgets = Budgets.coerce(budgets)
        except TypeError as exc:  # unknown budgets, or values of the wrong type
            self.fail_wiring(exc, str(exc), "eval_budgets")
        try:
            evaluation, output = runtime.evaluate(self.nodeid, self.task, agent, scorer_list, task_budgets, upcoming,
                                                  conventions, alone=alone, model_config=model_config)
        except AgentTypeError as exc:
            self.fail_wiring(exc, str(exc), "eval_agent")
        except TracingUnavailableError as exc:
            self.fail_wiring(exc, f"cannot trace the agent: {exc}", "tracing")
        if output.text():
            self.add_report_section("call", "agent output", printable(output.text(), multiline=True))
        result = to_task_result(evaluation, node_id=self.nodeid, worker=worker_name())
        self.stash[RESULT_KEY] = result
        self.user_properties.extend(junit_properties(result))  # in the call phase, so the report has them
        for note in evaluation.notes:
            self.warn(TraceWarning(f"{self.task.run_task_id}: {note}"))
        for violation in evaluation.violations:
            self.warn(BudgetExceededWarning(f"{self.task.run_task_id}: {violation}"))
        if result.verdict != "passed":
            raise EvalMiss.of(result)

    def fail_wiring(self, error: BaseException, message: str, where: str) -> NoReturn:
        """The task cannot run as wired; its result names `where` (what was wired wrong), not the agent."""
        self.record_setup_error(error, failed_in=f"wiring of {where}")
        raise EvalWiringError(message) from error

    def record_setup_error(self, error: BaseException, failed_in: str | None = None) -> None:
        """A fixture (the agent, the scorers) failed: the task still gets a result, as an error."""
        if RESULT_KEY not in self.stash:
            failing = next((name for name in self.fixturenames if name not in self.funcargs), None)
            self.stash[RESULT_KEY] = error_task_result(
                self.task, ErrorInfo.from_exception(error), node_id=self.nodeid, worker=worker_name(),
                failed_in=failed_in or (f"fixture {failing!r}" if failing and failing != "request" else None),
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, EvalMiss):
            return render_task_failure(excinfo.value.result, tracebacks=self.config.get_verbosity() >= 2)
        if isinstance(excinfo.value, EvalWiringError):
            return printable(str(excinfo.value))
        if isinstance(excinfo.value, BudgetExceededWarning):  # turned into an error by -W error::...
            return printable(f"BudgetExceededWarning: {excinfo.value}")
        return super().repr_failure(excinfo)


class InvalidRecord(pytest.Item):
    """A bad suite line (or an unreadable suite file), reported as its own error at setup; the suite's good records
    still run. One item may stand for many lines past the first MAX_INVALID_ITEMS: `error` is what it shows,
    `errors` every line it stands for.
    """

    def __init__(self, *, error: RecordError, hidden: Sequence[RecordError] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.errors: tuple[RecordError, ...] = tuple(hidden) or (error,)

    def setup(self) -> None:
        pytest.fail(str(self.error), pytrace=False)

    def runtest(self) -> None:
        """Never reached: setup always fails."""

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, max(self.error.line - 1, 0), self.name


def invalid_item_name(error: RecordError) -> str:
    return f"invalid-line-{error.line}" if error.line else "invalid-suite"


def summary_of(hidden: Sequence[RecordError]) -> RecordError:
    """What the item standing for many bad lines shows: how many, where, and the first problem."""
    first = hidden[0]
    return RecordError(first.path, first.line, (
        f"and {len(hidden)} more bad lines, up to line {hidden[-1].line}, each listed in the run JSON's "
        f"invalid_records; the first: {first.message}"))


def warn_once_about_sequential_runs(item: EvalItem) -> None:
    if not item.config.stash.get(SEQUENTIAL_WARNED_KEY, False):
        item.config.stash[SEQUENTIAL_WARNED_KEY] = True
        item.warn(SequentialRunWarning(
            "eval_agent is not a session-scoped, unparametrized fixture, so tasks run one at a time; "
            "make it session-scoped (or use --eval-agent) to run up to --eval-concurrency tasks at once"))


@functools.cache
def worker_name() -> str:
    """This process's xdist worker id ("gw0"), or "main"; set before the worker imports the plugin."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")
