"""Reading and writing run JSON files: atomic writes that never overwrite, validated reads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .results import RunResult


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
