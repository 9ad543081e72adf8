"""A task whose xdist worker died has no result of its own; rebuild its record from the suite file,
as an error, so the run JSON keeps it in every denominator (as xdist's `handle_crashitem` keeps the item).
"""

from __future__ import annotations

from pathlib import Path

from .evaluation import error_task_result
from .results import TaskResult
from .suite import load_suite
from .task import Task
from .tracing.model import ErrorInfo


def crashed_task_result(node_id: str, message: str, root: Path, repeats: int, worker: str) -> TaskResult:
    """The error record of the item `node_id` (`suite.jsonl::task` or `suite.jsonl::task[rK]`)."""
    suite, _, name = node_id.partition("::")
    task_id, _, suffix = name.partition("[")
    repeat = int(suffix.rstrip("]").removeprefix("r")) if suffix else 1
    task = Task(task_id=task_id, inputs={"input": None}, repeat=repeat, repeats=repeats, suite=suite)
    for loaded in load_suite(root / suite, display_path=suite).records:
        if loaded.record.task_id == task_id:
            record = loaded.record
            task = Task(task_id=task_id, inputs=record.inputs.model_dump(), reference_outputs=record.reference_outputs,
                        tags=tuple(record.tags), metadata=record.metadata, repeat=repeat, repeats=repeats,
                        suite=suite, line=loaded.line)
            break
    return error_task_result(task, ErrorInfo(type="WorkerCrashed", message=message), node_id=node_id, worker=worker)
