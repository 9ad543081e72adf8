"""`RunRecorder`: on the controller (or the single process), gathers every item's result from its
report, builds the run at session end, writes it to the store and prints the summary.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from .aggregate import aggregate, suite_info
from .ci_results import GateRecord, RunDiff
from .crashes import crashed_task_result
from .markdown import publish_markdown
from .options import EvalOptions
from .report import render_gate_lines, render_summary
from .results import Provenance, RunConfig, RunResult, TaskResult
from .selection import SUITE_SUFFIX
from .store import RunExistsError, write_run

REPORT_ATTR = "agenteval_result"
RECORD_ERROR_ATTR = "agenteval_record_error"
XDIST_CRASH_PHASE = "???"  # the `when` of the report xdist makes for an item whose worker died


class RunRecorder:
    """Collects results as reports arrive; registered only where the run is written."""

    def __init__(self, config: pytest.Config, options: EvalOptions) -> None:
        self.config = config
        self.options = options
        self.results: list[TaskResult] = []
        self.invalid_records: list[str] = []
        self.started = time.perf_counter()
        self.created_at = datetime.now(timezone.utc).isoformat()
        self.run: RunResult | None = None
        self.json_path: Path | None = None
        self.write_error: str | None = None
        self.gates: list[GateRecord] = []
        self.baseline: RunDiff | None = None
        self.publish_notes: list[str] = []

    # xdist replays worker reports here on the controller, so each item arrives exactly once.
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_error = getattr(report, RECORD_ERROR_ATTR, None)
        if record_error is not None:
            self.invalid_records.append(record_error)
        payload = getattr(report, REPORT_ATTR, None)
        if payload is not None:
            result = TaskResult.model_validate(payload)
            outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome  # a miss the policy tolerates
            self.results.append(result.model_copy(update={"outcome": outcome}))
            # The terminal reporter keeps every report to the end; the result lives on here, not twice.
            delattr(report, REPORT_ATTR)
        elif str(report.when) == XDIST_CRASH_PHASE and report.nodeid.partition("::")[0].endswith(SUITE_SUFFIX):
            # xdist's report for an item whose worker died: the task still counts, as an error.
            worker = getattr(getattr(report, "node", None), "gateway", None)
            self.results.append(crashed_task_result(
                report.nodeid, str(report.longrepr), self.config.rootpath, self.options.repeats,
                worker=getattr(worker, "id", "unknown")).model_copy(update={"outcome": "failed"}))

    def record_gates(self, gates: list[GateRecord], baseline: RunDiff | None) -> None:
        """The gatekeeper's verdict, stored with the run."""
        self.gates, self.baseline = gates, baseline

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.results and not self.invalid_records:
            return
        self.run = self.build_run(exitstatus)
        if self.options.store is not None:
            try:
                self.json_path = write_run(self.run, self.options.store)
            except (RunExistsError, OSError) as exc:
                self.write_error = str(exc)
        self.publish_notes = publish_markdown(self.run, self.options.markdown, self.options.github_summary)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.run is None:
            return
        terminalreporter.section("agenteval")
        shown = str(self.json_path.relative_to(Path.cwd())) if self.json_path and self.json_path.is_relative_to(
            Path.cwd()) else (str(self.json_path) if self.json_path else None)
        for line in render_summary(self.run, shown):
            terminalreporter.write_line(line)
        for line, failed in render_gate_lines(self.run):
            terminalreporter.write_line(line, red=failed, bold=failed)
        for note in self.publish_notes:
            terminalreporter.write_line(note)
        if self.write_error:
            terminalreporter.write_line(f"ERROR: run JSON not written: {self.write_error}", red=True, bold=True)

    def build_run(self, exitstatus: int) -> RunResult:
        tasks = sorted(self.results, key=lambda t: (t.suite, t.line, t.repeat))
        suites, suite = suite_info(tasks)
        options = self.options
        return RunResult(
            run_id=options.run_id,
            label=options.label,
            created_at=self.created_at,
            duration_ms=round((time.perf_counter() - self.started) * 1000, 3),
            suite=suite,
            target=options.agent,
            concurrency=options.concurrency,
            tasks=tasks,
            aggregates=aggregate(tasks),
            suites=suites,
            invalid_records=sorted(self.invalid_records),
            partial=exitstatus == pytest.ExitCode.INTERRUPTED,
            exit_status=int(exitstatus),
            config=RunConfig(
                repeats=options.repeats,
                timeout=options.timeout,
                max_tokens=options.budgets.max_tokens,
                max_seconds=options.budgets.max_seconds,
                max_cost=options.budgets.max_cost,
                scorers=sorted({fb.key for task in tasks for fb in task.feedback}),
                agent=options.agent,
                pytest_args=list(self.config.invocation_params.args),
                workers=len({task.worker for task in tasks}),
                task_pass_rate=options.task_pass_rate,
                fail_under=[spec.text for spec in options.fail_under],
                baseline=options.baseline,
                fail_on_regression=options.fail_on_regression,
            ),
            provenance=provenance(self.config.rootpath),
            gates=self.gates,
            baseline=self.baseline,
        )


def provenance(root: Path) -> Provenance:
    commit, dirty = git_state(root)
    try:
        plugin_version = version("pytest-agenteval")
    except PackageNotFoundError:
        plugin_version = "unknown"
    return Provenance(plugin_version=plugin_version, python_version=platform.python_version(),
                      pytest_version=pytest.__version__, platform=sys.platform, git_commit=commit, git_dirty=dirty)


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """The checked-out commit and whether tracked files changed; (None, None) outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())
