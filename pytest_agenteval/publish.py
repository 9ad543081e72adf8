"""`RunPublisher`: on the controller (or the single process), once every item ran, has the gates judged over
the recorded results, then builds the run, writes it to the store and the Markdown summary, and prints the
terminal summary. Light at import: the results and report stages load only when a run is published.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.gates.keeper import GateKeeper, GateOutcome
    from pytest_agenteval.recorder import RunRecorder
    from pytest_agenteval.results.models import RunResult


class RunPublisher:
    """Judges, builds, writes and shows the run of this session."""

    def __init__(self, config: pytest.Config, options: EvalOptions, recorder: RunRecorder,
                 keeper: GateKeeper) -> None:
        self.config = config
        self.options = options
        self.recorder = recorder
        self.keeper = keeper
        self.started = time.perf_counter()
        self.created_at = datetime.now(timezone.utc).isoformat()
        self.outcome: GateOutcome | None = None
        self.run: RunResult | None = None
        self.json_path: Path | None = None
        self.write_error: str | None = None
        self.notes: list[str] = []

    # After `yield` every item ran, on xdist's controller too; an interrupted loop raises and skips the gates.
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        result = yield
        if self.recorder.results:
            from pytest_agenteval.results.build import in_suite_order

            self.outcome = self.keeper.judge(in_suite_order(self.recorder.results))
            if not self.outcome.passed:
                session.testsfailed += 1
        return result

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.recorder.results and not self.recorder.invalid_records:
            return
        from pytest_agenteval.report.markdown import publish_markdown
        from pytest_agenteval.results.store import RunExistsError, write_run

        self.run = self.build(exitstatus)
        if self.options.store is not None:
            try:
                self.json_path = write_run(self.run, self.options.store)
            except (RunExistsError, OSError) as exc:
                self.write_error = str(exc)
        self.notes = publish_markdown(self.run, self.options.markdown, self.options.github_summary)

    def build(self, exitstatus: int) -> RunResult:
        """The run of this session, from the recorder's results and the gates' outcome."""
        from pytest_agenteval.results.build import build_run, provenance
        from pytest_agenteval.results.models import RunConfig

        options = self.options
        config = RunConfig(
            repeats=options.repeats, timeout=options.timeout, max_tokens=options.budgets.max_tokens,
            max_seconds=options.budgets.max_seconds, max_cost=options.budgets.max_cost, agent=options.agent,
            pytest_args=list(self.config.invocation_params.args), task_pass_rate=options.task_pass_rate,
            fail_under=[spec.text for spec in options.fail_under], baseline=options.baseline,
            fail_on_regression=options.fail_on_regression,
        )
        return build_run(
            self.recorder.results, run_id=options.run_id, label=options.label, created_at=self.created_at,
            duration_ms=(time.perf_counter() - self.started) * 1000, target=options.agent,
            concurrency=options.concurrency, config=config, invalid_records=self.recorder.invalid_records,
            partial=exitstatus == pytest.ExitCode.INTERRUPTED, exit_status=int(exitstatus),
            provenance=provenance(self.config.rootpath, pytest.__version__),
            gates=self.outcome.gates if self.outcome else (), baseline=self.outcome.baseline if self.outcome else None,
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.run is None:
            return
        from pytest_agenteval.report.terminal import render_gate_lines, render_summary

        terminalreporter.section("agenteval")
        for line in render_summary(self.run, self.shown_path()):
            terminalreporter.write_line(line)
        for line, failed in render_gate_lines(self.run):
            terminalreporter.write_line(line, red=failed, bold=failed)
        for note in self.notes:
            terminalreporter.write_line(note)
        if self.write_error:
            terminalreporter.write_line(f"ERROR: run JSON not written: {self.write_error}", red=True, bold=True)

    def shown_path(self) -> str | None:
        """The run file's path, relative to the current directory when it is below it."""
        if self.json_path is None:
            return None
        cwd = Path.cwd()
        return str(self.json_path.relative_to(cwd)) if self.json_path.is_relative_to(cwd) else str(self.json_path)
