"""Resuming a stored run: the run `--eval-resume` names (an id in the store, or the newest run there), the
items it already holds, and whether a task changed since. Pure: imports neither pytest nor collect/run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_agenteval.results.compare import CONTENT_FIELDS
from pytest_agenteval.results.journal import journal_path
from pytest_agenteval.results.models import RunResult, TaskResult
from pytest_agenteval.results.store import LATEST, RunFileError, read_run, run_path, stored_runs

ItemKey = tuple[str, str, str | None, int]  # suite, task id (without the repeat), variant, repeat


@dataclass(frozen=True, slots=True)
class ResumedRun:
    """The stored run a session resumes."""

    path: Path
    run: RunResult

    def done(self, rerun_errors: bool) -> dict[ItemKey, TaskResult]:
        """The items this session skips: every stored one, but those that ended in an error with `rerun_errors`."""
        return {item_key(task): task for task in self.run.tasks if not (rerun_errors and task.verdict == "error")}


def item_key(task: TaskResult) -> ItemKey:
    return task.suite, task.base_task_id, task.variant, task.repeat


def resolve_resumed_run(given: str, store: Path | None) -> ResumedRun:
    """The run `--eval-resume=RUN_ID|latest` names; `RunFileError` says why there is none."""
    if store is None:
        raise RunFileError("it needs --eval-store=DIR, the store that holds the run")
    if given == LATEST:
        runs = [(path, run) for path, run in stored_runs(store) if isinstance(run, RunResult)] \
            if store.is_dir() else []
        if not runs:
            raise RunFileError(f"no stored run in {store} to resume")
        path, run = max(runs, key=lambda found: found[1].created_at)
        return ResumedRun(path, run)
    path = run_path(store, given)
    if not os.path.lexists(path) and journal_path(store, given).exists():
        raise RunFileError(f"run {given} has a journal but no run file in {store}: its session is running, or "
                           f"was stopped (then `agenteval recover {store}` stores it as a partial run first)")
    if not os.path.lexists(path):
        raise RunFileError(f"no run {given} in {store} ({path} does not exist)")
    return ResumedRun(path, read_run(path))


def content_changes(stored: TaskResult, inputs: Any, reference_outputs: Any,
                    other_forms: Mapping[str, Any] | None = None) -> list[str]:
    """The suite fields whose stored value differs from the task's now (`other_forms`: the same fields as they
    would be stored, masked, which also count as unchanged)."""
    now = {"inputs": inputs, "reference_outputs": reference_outputs}
    return [name for name in CONTENT_FIELDS if getattr(stored, name) != now[name]
            and (other_forms is None or getattr(stored, name) != other_forms.get(name))]
