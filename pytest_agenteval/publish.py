"""`RunPublisher`: on the controller (or the single process), once every item ran, has the gates judged over
the recorded results, then the pairwise judges, builds the run, writes it to the store and the Markdown summary (a
write that fails fails the session) and the HTML report (a failure there is a warning), removes the run's journal
once the run is stored, and prints the terminal summary.
Light at import: the results and report stages load only when a run is published.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Generator
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agenteval.keys import SELECTION_KEY

if TYPE_CHECKING:
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.gates.keeper import GateKeeper, GateOutcome
    from pytest_agenteval.judges.pairwise import PairwiseJudge
    from pytest_agenteval.recorder import RunRecorder
    from pytest_agenteval.results.journal import RunJournal
    from pytest_agenteval.results.journal_models import JournalHeader
    from pytest_agenteval.results.models import RunResult, TaskResult
    from pytest_agenteval.results.pairwise_models import PairwiseSection
    from pytest_agenteval.results.provenance import GitProbe
    from pytest_agenteval.results.resume import ResumedRun

# Exit statuses a failed write turns into TESTS_FAILED; the others already say the session did not succeed.
SUCCESS = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
# A session that stopped here ran nothing of its own: a resumed run's results alone are not stored again.
NOT_RUN = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)


class RunPublisher:
    """Judges, builds, writes and shows the run of this session."""

    def __init__(self, config: pytest.Config, options: EvalOptions, recorder: RunRecorder,
                 keeper: GateKeeper, resumed: ResumedRun | None = None) -> None:
        self.config = config
        self.options = options
        self.recorder = recorder
        self.keeper = keeper
        self.resumed = resumed
        self.journal: RunJournal | None = None
        self.started = time.perf_counter()
        self.created_at = datetime.now(timezone.utc).isoformat()
        self.outcome: GateOutcome | None = None
        self.run: RunResult | None = None
        self.json_path: Path | None = None
        self.write_error: str | None = None
        self.notes: list[str] = []
        self.failures: list[str] = []  # writes that failed: each one fails the session
        self.published = False
        self.pairwise: PairwiseSection | None = None
        # Imported now, so a bad --eval-pairwise stops the session before anything runs.
        self.pairwise_judges = import_pairwise_judges(config, options.pairwise) if options.pairwise else []
        self.git: GitProbe | None = None  # asked from when a run may be stored, read when it is built

    def probe_git(self) -> GitProbe:
        """The project's git state, asked now (once) and read when the run is built."""
        if self.git is None:
            from pytest_agenteval.results.provenance import GitProbe

            self.git = GitProbe(self.config.rootpath)
        return self.git

    # After `yield` every item ran, on xdist's controller too; an interrupted loop raises and skips the gates.
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        selection = self.config.stash[SELECTION_KEY]
        if selection.from_options or selection.from_args:  # suites were selected: a run starts
            self.config.hook.pytest_agenteval_run_started(config=self.config, run_id=self.options.run_id)
        else:  # only suites defined in test modules, if any: the run starts with their first report
            self.recorder.before_first = self.start_late_run
        result = yield
        if self.recorder.results:
            from pytest_agenteval.results.build import in_suite_order

            self.outcome = self.keeper.judge(in_suite_order(self.recorder.results))
            if not self.outcome.passed:
                session.testsfailed += 1
        return result

    def judge_pairs(self, tasks: list[TaskResult]) -> PairwiseSection | None:
        """The pairwise judges over every recorded result, here on the controller, where the results of all workers
        meet, once the runtime (and its cassettes) closed, so alike with and without xdist; None without judges. A
        judge that cannot run is one of the section's problems: the run is stored all the same. The judging machinery
        is imported only when there is something to judge (10-12 ms at the end of every other run)."""
        judges, problems = self.given_pairwise_judges()
        if not judges and not problems:
            return None
        import os

        from pytest_agenteval.judges.variant_pairs import judge_run_pairs
        from pytest_agenteval.report.redact import Redactor
        from pytest_agenteval.results.pairwise_models import PairwiseSection
        from pytest_agenteval.results.variants import summarize_variants

        summary = summarize_variants(tasks, self.options.task_pass_rate, self.options.variants)
        ranking = [row.variant for row in summary.leaderboard] if summary else []
        redactor = Redactor.from_environment(os.environ, self.options.redact)
        guard = None
        if self.options.cassettes is not None and self.options.record == "none":  # replay never goes live
            from pytest_agenteval.replay.guard import ConnectionGuard

            guard = ConnectionGuard(self.options.allow_hosts)
            guard.install()
            problems.append("replaying (--eval-record=none): the pairwise judges' calls have no cassette, so their "
                            "live connections are blocked unless --eval-allow-host allows the judge's host")
        try:
            section = judge_run_pairs(tasks, judges, ranking=ranking, concurrency=self.options.concurrency,
                                      timeout=self.options.scorer_timeout, mask=redactor.text)
        except Exception as exc:  # a bug in a judge's own code: said, and the run is still stored
            section = PairwiseSection(problems=[f"pairwise judging failed: {type(exc).__name__}: {exc}"])
        finally:
            if guard is not None:
                guard.uninstall()
        masked = [redactor.text(text) for text in [*problems, *section.problems]]
        return section.model_copy(update={"problems": masked})

    def given_pairwise_judges(self) -> tuple[list[PairwiseJudge], list[str]]:
        """--eval-pairwise's judges, then the `pytest_agenteval_pairwise_judges` hook's; what is not a judge, or a
        hook that raised, is a problem."""
        judges = list(self.pairwise_judges)
        try:
            given = self.config.hook.pytest_agenteval_pairwise_judges(config=self.config)
        except Exception as exc:
            return judges, [f"pytest_agenteval_pairwise_judges raised {type(exc).__name__}: {exc}"]
        if not given:
            return judges, []
        from pytest_agenteval.judges.pairwise import PairwiseJudge

        problems: list[str] = []
        for value in (each for found in given for each in (found if isinstance(found, list | tuple) else [found])):
            if isinstance(value, PairwiseJudge):
                judges.append(value)
            else:
                problems.append(f"pytest_agenteval_pairwise_judges gave {type(value).__name__} {str(value)[:80]!r}, "
                                "not a pairwise judge: return pairwise_judge(...) objects")
        return judges, problems

    # A wrapper, so the run is stored even when another plugin's sessionfinish raised (junitxml on a full disk).
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self.publish(session, exitstatus)

    def publish(self, session: pytest.Session, exitstatus: int) -> None:
        """Store and summarize the run, if this session has one; then fail the session for each failed write."""
        self.published = True
        if not self.has_run(exitstatus):
            if self.journal is not None:
                self.journal.discard()
            return
        from pytest_agenteval.report.html import publish_html
        from pytest_agenteval.report.markdown import publish_markdown
        from pytest_agenteval.results.store import RunExistsError, run_path, write_run

        if exitstatus != pytest.ExitCode.INTERRUPTED and self.recorder.results:  # judges cost: not for a partial run
            from pytest_agenteval.results.build import in_suite_order

            self.pairwise = self.judge_pairs(in_suite_order(self.recorder.results))
        self.run = self.build(exitstatus)
        if self.resumed is not None:
            self.run = self.run.model_copy(update={"resumed_from": self.resumed.run.run_id})
            self.notes.append(f"resumed run {self.resumed.run.run_id}: {self.recorder.carried} result(s) kept from "
                              f"it, {self.recorder.arrived} run now")
        if self.options.store is not None:
            try:
                self.json_path = write_run(self.run, self.options.store)
            except RunExistsError as exc:
                self.write_error = str(exc)
            except OSError as exc:
                self.write_error = f"{run_path(self.options.store, self.run.run_id)}: {exc.strerror or exc}"
            if self.write_error is not None:
                self.failures.append(f"run JSON not written: {self.write_error}")
        self.notes.extend(publish_markdown(self.run, self.options.markdown, self.options.github_summary))
        self.failures.extend(note.removeprefix("ERROR: ") for note in self.notes if note.startswith("ERROR:"))
        self.notes.extend(publish_html(self.run, self.options.html))  # after the run file: a report never costs it
        self.settle_journal()
        self.config.hook.pytest_agenteval_run_finished(config=self.config, run=self.run,
                                                       path=self.json_path)
        if self.failures and session.exitstatus in SUCCESS:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and self.resumed is not None:
            session.exitstatus = pytest.ExitCode.OK  # nothing was missing: the resumed run is complete now

    def has_run(self, exitstatus: int) -> bool:
        """Items of this session reported (or started, and the session was interrupted: a partial run says so), or
        a resumed run's results complete a session that ran to its end."""
        recorder = self.recorder
        if recorder.arrived or recorder.invalid_records:
            return True
        if exitstatus == pytest.ExitCode.INTERRUPTED and recorder.started:
            return True
        return bool(recorder.results) and not recorder.collection_errors and exitstatus not in NOT_RUN

    def settle_journal(self) -> None:
        """The run is stored: its journal goes. It is not: the journal stays, for `agenteval recover`."""
        journal = self.journal
        if journal is None:
            return
        if journal.error is not None:
            self.failures.append(f"journal: {journal.error}")
        if self.json_path is not None:
            journal.discard()
            return
        journal.close()
        self.failures.append(f"the journal {journal.path} keeps the {journal.entries} result(s) it holds: once "
                             f"the store can be written, `agenteval recover {journal.path.parent}` stores them")

    def start_late_run(self) -> None:
        """The first report of an eval item, in a session that selected no suite file: its journal (a run id
        taken meanwhile fails the session, not the run), then `pytest_agenteval_run_started`."""
        self.probe_git()
        if self.options.store is not None:
            try:
                self.recorder.journal = self.open_journal(self.options.store)
            except pytest.UsageError as exc:
                self.failures.append(f"journal not written: {exc}")
        self.config.hook.pytest_agenteval_run_started(config=self.config, run_id=self.options.run_id)

    def open_journal(self, store: Path) -> RunJournal:
        """Reserve the run id before anything runs: its journal, created exclusively, which also proves the store
        writable. A usage error when either fails."""
        from pytest_agenteval.results.journal import RunJournal, RunReservedError, StoreUnwritableError
        from pytest_agenteval.results.store import RunExistsError

        try:
            self.journal = RunJournal.reserve(store, self.journal_header())
        except (RunReservedError, RunExistsError) as exc:
            raise pytest.UsageError(f"--eval-run-id={self.options.run_id}: {exc}") from None
        except StoreUnwritableError as exc:
            raise pytest.UsageError(f"--eval-store: {exc}; give a directory this session can write") from None
        return self.journal

    def journal_header(self) -> JournalHeader:
        """The journal's first line: what the finished run will say about itself, masked as it will be."""
        from pytest_agenteval.results.journal import this_session
        from pytest_agenteval.results.journal_models import JournalHeader

        run = self.build(pytest.ExitCode.OK)
        pid, host = this_session()
        return JournalHeader(run_id=run.run_id, label=run.label, created_at=run.created_at, target=run.target,
                             concurrency=run.concurrency, config=run.config, provenance=run.provenance,
                             resumed_from=self.resumed.run.run_id if self.resumed else None, pid=pid, host=host)

    def pytest_unconfigure(self) -> None:
        if self.git is not None:
            self.git.close()
        journal = self.journal
        if journal is None:
            return
        if self.published or self.recorder.arrived or self.recorder.invalid_records:
            journal.close()  # a no-op once settled; else it keeps what arrived, for `agenteval recover`
        else:
            journal.discard()  # the session never started: a later plugin's configure failed

    def build(self, exitstatus: int) -> RunResult:
        """The run of this session, from the recorder's results and the gates' outcome. The tasks arrive masked;
        the strings of the run itself (command line, label) are masked here."""
        import os

        from pytest_agenteval.report.redact import Redactor
        from pytest_agenteval.results.build import build_run
        from pytest_agenteval.results.models import RunConfig
        from pytest_agenteval.results.provenance import provenance
        from pytest_agenteval.results.storable import clean_text

        options = self.options
        redactor = Redactor.from_environment(os.environ, options.redact)

        def masked(text: str) -> str:
            return clean_text(redactor.text(text))  # an argument with undecodable bytes carries surrogates

        config = RunConfig(
            repeats=options.repeats, timeout=options.timeout, max_tokens=options.budgets.max_tokens,
            max_seconds=options.budgets.max_seconds, max_cost=options.budgets.max_cost, agent=options.agent,
            max_judge_tokens=options.budgets.max_judge_tokens, max_judge_cost=options.budgets.max_judge_cost,
            pytest_args=[masked(arg) for arg in self.config.invocation_params.args],
            task_pass_rate=options.task_pass_rate, fail_under=[spec.text for spec in options.fail_under],
            baseline=options.baseline, fail_on_regression=options.fail_on_regression,
            cassettes=str(options.cassettes) if options.cassettes else None,
            record=options.record if options.cassettes else None,
            variants=[masked(name) for name in options.variants],
            traces=[masked(str(path)) for path in options.traces],
        )
        unused: list[str] = []
        if options.cassettes is not None:
            from pytest_agenteval.replay.cassettes import unused_cassette_files

            unused = unused_cassette_files(options.cassettes, (task.replay.cassette for task in self.recorder.results
                                                               if task.replay is not None))
        label = masked(options.label) if options.label is not None else None
        return build_run(
            self.recorder.results, run_id=options.run_id, label=label, created_at=self.created_at,
            duration_ms=(time.perf_counter() - self.started) * 1000, target=options.agent,
            concurrency=options.concurrency, config=config, invalid_records=self.recorder.invalid_records,
            partial=exitstatus == pytest.ExitCode.INTERRUPTED, exit_status=int(exitstatus),
            provenance=provenance(self.probe_git().state(), pytest.__version__),
            gates=self.outcome.gates if self.outcome else (), baseline=self.outcome.baseline if self.outcome else None,
            unused_cassettes=unused, pairwise=self.pairwise,
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.run is None:
            return
        from pytest_agenteval.report.terminal import summary_entries

        terminalreporter.section("agenteval")
        run_file = self.shown_path()
        shown = run_file or ("NOT WRITTEN (see the ERROR below)" if self.options.store else None)
        markdown, cwd = self.options.markdown, Path.cwd()
        if markdown is None or f"Markdown summary: written to {markdown}" not in self.notes:
            markdown = None  # the pointer names only a Markdown file that was written
        elif markdown.is_relative_to(cwd):
            markdown = markdown.relative_to(cwd)
        for line, alarming in summary_entries(self.run, shown, full=self.options.summary == "full", run_file=run_file,
                                              markdown_path=str(markdown) if markdown else None):
            terminalreporter.write_line(line, red=alarming, bold=alarming)
        for note in self.notes:
            terminalreporter.write_line(note, red=note.startswith("ERROR:"), yellow=note.startswith("WARNING:"),
                                        bold=note.startswith(("ERROR:", "WARNING:")))
        for failure in self.failures:
            if f"ERROR: {failure}" not in self.notes:
                terminalreporter.write_line(f"ERROR: {failure}", red=True, bold=True)

    def shown_path(self) -> str | None:
        """The run file's path, relative to the current directory when it is below it."""
        if self.json_path is None:
            return None
        cwd = Path.cwd()
        return str(self.json_path.relative_to(cwd)) if self.json_path.is_relative_to(cwd) else str(self.json_path)


def import_pairwise_judges(config: pytest.Config, specs: tuple[str, ...]) -> list[PairwiseJudge]:
    """The judges --eval-pairwise names (each a judge or a list of them); a usage error for anything else."""
    from pytest_agenteval.collect.fixtures import import_object
    from pytest_agenteval.judges.pairwise import judges_in

    judges: list[PairwiseJudge] = []
    for spec in specs:
        try:
            found = import_object(spec, "--eval-pairwise", config)
        except pytest.fail.Exception as exc:
            raise pytest.UsageError(str(exc.msg)) from None
        listed = judges_in(found)
        if listed is None:
            raise pytest.UsageError(f"--eval-pairwise={spec}: {type(found).__name__} is not a pairwise judge or a "
                                    "list of them; make each with pytest_agenteval.judges.pairwise_judge(...)")
        judges.extend(listed)
    return judges


class SigtermAsInterrupt:
    """SIGTERM stops the session as Ctrl+C does, so the partial run is stored; a second SIGTERM acts as it would
    have without the plugin. Installed in the main thread only, and never over a SIGTERM that is ignored."""

    def __init__(self) -> None:
        self.previous: Any = None
        self.installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
            return
        self.previous = signal.signal(signal.SIGTERM, self.on_sigterm)
        self.installed = True

    def restore(self) -> None:
        if self.installed and signal.getsignal(signal.SIGTERM) == self.on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self.previous is None else self.previous)
        self.installed = False

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.restore()
        ctrl_c = signal.getsignal(signal.SIGINT)
        if callable(ctrl_c):  # whoever handles Ctrl+C in this process (Python's default raises KeyboardInterrupt)
            ctrl_c(signal.SIGINT, frame)
        raise KeyboardInterrupt

    def pytest_unconfigure(self) -> None:
        self.restore()
