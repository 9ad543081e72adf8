"""xdist on the controller: the run id goes out to every worker, and an item whose worker died comes back as
that task's error (rebuilt from its suite record), so the run keeps it in every denominator.

With agent calls started ahead of their items, the item xdist blames may not be the one that crashed: each
worker logs its calls in flight; when others were in flight, the blamed item is run again, and every item
that was in flight runs alone on the replacement workers, so the crash is pinned on the task that caused it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agenteval.config import WORKER_RUN_ID
from pytest_agenteval.keys import INFLIGHT_DIR, REPORT_ATTR, SUSPECTS

if TYPE_CHECKING:
    from pytest_agenteval.results.models import TaskResult

RERUN_ATTR = "agenteval_rerun"  # on a crash report whose item runs again
MAX_RERUNS = 3  # of one item, blamed while other agent calls were in flight


class XdistHooks:
    """Registered on the controller only when xdist is present."""

    def __init__(self, run_id: str, root: Path, repeats: int, suite_suffix: str) -> None:
        self.run_id = run_id
        self.root = root
        self.repeats = repeats
        self.suite_suffix = suite_suffix
        self.inflight_dir = Path(tempfile.mkdtemp(prefix="agenteval-inflight-"))
        self.suspects: set[str] = set()
        self.reruns: Counter[str] = Counter()

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_RUN_ID] = self.run_id
        node.workerinput[INFLIGHT_DIR] = str(self.inflight_dir)
        node.workerinput[SUSPECTS] = sorted(self.suspects)

    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        from pytest_agenteval.run.inflight import inline_suites, read_inflight

        inline = next((suite for suite in inline_suites(self.inflight_dir) if crashitem.startswith(f"{suite}::")),
                      None)
        if inline is None and not crashitem.partition("::")[0].endswith(self.suite_suffix):
            return

        worker = str(getattr(getattr(getattr(report, "node", None), "gateway", None), "id", "unknown"))
        in_flight = read_inflight(self.inflight_dir / worker) or frozenset()
        others = sorted(in_flight - {crashitem})
        if others and self.reruns[crashitem] < MAX_RERUNS and callable(getattr(sched, "mark_test_pending", None)):
            # Not known which call crashed the worker: every one of them runs again, alone on new workers (a
            # worker started before this crash does not know, so an item may need a second rerun).
            self.reruns[crashitem] += 1
            self.suspects.update(in_flight | {crashitem})
            sched.mark_test_pending(crashitem)
            report.outcome = "rerun"  # type: ignore[assignment]
            setattr(report, RERUN_ATTR, True)
            return
        message = str(report.longrepr)
        if others:
            message += (f"; the agent calls of {', '.join(others)} were running in the same worker too, "
                        "so one of them may have crashed it")
        result = crashed_task_result(crashitem, message, self.root, self.repeats, worker=worker, inline=inline)
        setattr(report, REPORT_ATTR, result)  # made here, on the controller

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if getattr(report, RERUN_ATTR, False):
            return "rerun", "R", "RERUN (its worker died while other agent calls ran; it runs again alone)"
        return None

    def pytest_unconfigure(self) -> None:
        shutil.rmtree(self.inflight_dir, ignore_errors=True)


def crashed_task_result(node_id: str, message: str, root: Path, repeats: int, worker: str,
                        inline: str | None = None) -> TaskResult:
    """The error record of the item `node_id` (`suite.jsonl::task`, `task[rK]`, `task[VARIANT]`, `task[VARIANT-rK]`);
    of an `inline` suite's item, its id and error only (the controller does not import test modules)."""
    from pytest_agenteval.collect.names import read_item_params, task_id_of
    from pytest_agenteval.collect.records import load_suite
    from pytest_agenteval.run.grade import error_task_result
    from pytest_agenteval.task import Task
    from pytest_agenteval.tracing.model import ErrorInfo

    suite, _, name = (inline, "::", node_id.removeprefix(f"{inline}::")) if inline else node_id.partition("::")
    encoded, _, suffix = name.partition("[")
    task_id = task_id_of(encoded)
    variant, repeat = read_item_params(suffix.removesuffix("]"), repeats)
    task = Task(task_id=task_id, inputs={"input": None}, repeat=repeat, repeats=repeats, suite=suite, variant=variant)
    for loaded in () if inline else load_suite(root / suite, display_path=suite).records:
        if loaded.record.task_id == task_id:
            task = loaded.task(suite, repeat, repeats, variant)
            break
    return error_task_result(task, ErrorInfo(type="WorkerCrashed", message=message), node_id=node_id, worker=worker)
