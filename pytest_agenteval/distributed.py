"""xdist on the controller: the run id goes out to every worker, and an item whose worker died comes back
as that task's error (rebuilt from its suite record), so the run keeps it in every denominator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agenteval.config import WORKER_RUN_ID
from pytest_agenteval.keys import REPORT_ATTR

if TYPE_CHECKING:
    from pytest_agenteval.results.models import TaskResult

class XdistHooks:
    """Registered on the controller only when xdist is present."""

    def __init__(self, run_id: str, root: Path, repeats: int, suite_suffix: str) -> None:
        self.run_id = run_id
        self.root = root
        self.repeats = repeats
        self.suite_suffix = suite_suffix

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_RUN_ID] = self.run_id

    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        if not crashitem.partition("::")[0].endswith(self.suite_suffix):
            return
        gateway = getattr(getattr(report, "node", None), "gateway", None)
        result = crashed_task_result(crashitem, str(report.longrepr), self.root, self.repeats,
                                     worker=str(getattr(gateway, "id", "unknown")))
        setattr(report, REPORT_ATTR, result.model_dump(mode="json"))


def crashed_task_result(node_id: str, message: str, root: Path, repeats: int, worker: str) -> TaskResult:
    """The error record of the item `node_id` (`suite.jsonl::task` or `suite.jsonl::task[rK]`)."""
    from pytest_agenteval.collect.records import load_suite
    from pytest_agenteval.run.grade import error_task_result
    from pytest_agenteval.task import Task
    from pytest_agenteval.tracing.model import ErrorInfo

    suite, _, name = node_id.partition("::")
    task_id, _, suffix = name.partition("[")
    repeat = int(suffix.rstrip("]").removeprefix("r")) if suffix else 1
    task = Task(task_id=task_id, inputs={"input": None}, repeat=repeat, repeats=repeats, suite=suite)
    for loaded in load_suite(root / suite, display_path=suite).records:
        if loaded.record.task_id == task_id:
            task = loaded.task(suite, repeat, repeats)
            break
    return error_task_result(task, ErrorInfo(type="WorkerCrashed", message=message), node_id=node_id, worker=worker)
