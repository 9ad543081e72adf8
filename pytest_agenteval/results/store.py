"""The store: run JSON files written atomically (never overwritten), read with validation, and the baseline
(a run file, or `latest`: the newest stored run with the same label) found among them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pytest_agenteval.results.models import RunResult


class RunFileError(Exception):
    """A run file cannot be read: missing, not JSON, or not a run."""


class RunExistsError(FileExistsError):
    """A run with this id is already in the store."""


def run_path(store: Path, run_id: str) -> Path:
    return store / f"{run_id}.json"


def write_run(run: RunResult, store: Path) -> Path:
    """Write `<store>/<run_id>.json` atomically; never replace an existing run."""
    target = run_path(store, run.run_id)
    if target.exists():
        raise RunExistsError(f"{target} already exists; runs are never overwritten (choose another --eval-run-id)")
    _write_atomically(run, target, replace=False)
    return target


def replace_run_file(run: RunResult, target: Path) -> None:
    """Write `run` to `target` atomically, replacing what is there (a baseline file is meant to be replaced)."""
    _write_atomically(run, target, replace=True)


def _write_atomically(run: RunResult, target: Path, *, replace: bool) -> None:
    """Through a temp file beside the target, so a reader never sees half a run."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(RunResult.__pydantic_serializer__.to_json(run, indent=2))  # bytes: no str copy
            handle.write(b"\n")
        if replace:
            os.replace(temp_name, target)
        else:
            os.link(temp_name, target)  # fails if the target appeared meanwhile, unlike os.replace
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)


def read_run(path: Path) -> RunResult:
    """Load a run JSON; every problem becomes one `RunFileError` naming the file."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such run file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise RunFileError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise RunFileError(f"{path}: not a pytest-agenteval run: {where}: {first['msg']}") from None


def run_json_schema() -> dict[str, Any]:
    """The JSON Schema of the run file, exported from the models that write it."""
    return RunResult.model_json_schema(mode="serialization")

LATEST = "latest"


@dataclass(frozen=True, slots=True)
class Baseline:
    path: Path
    run: RunResult


def stored_runs(store: Path) -> list[tuple[Path, RunResult | RunFileError]]:
    """Every `*.json` in the store, read; a file that is not a run stays in the list as its error."""
    found: list[tuple[Path, RunResult | RunFileError]] = []
    for path in sorted(store.glob("*.json")):
        try:
            found.append((path, read_run(path)))
        except RunFileError as exc:
            found.append((path, exc))
    return found


def latest_run(store: Path, label: str | None, exclude_run_id: str) -> Baseline | None:
    """The newest complete run in the store with this label, other than the current one."""
    candidates = [Baseline(path, run) for path, run in stored_runs(store) if isinstance(run, RunResult)
                  and run.label == label and run.run_id != exclude_run_id and not run.partial]
    return max(candidates, key=lambda b: b.run.created_at, default=None)


def resolve_baseline(given: str, store: Path | None, label: str | None, run_id: str) -> Baseline | None:
    """The run `--eval-baseline` names; None when `latest` finds none. A bad file raises `RunFileError`."""
    if given != LATEST:
        path = Path(given)
        return Baseline(path, read_run(path))
    if store is None:
        raise RunFileError("--eval-baseline=latest needs --eval-store=DIR to look in")
    return latest_run(store, label, run_id) if store.is_dir() else None
