"""Finding the baseline run: a run file, or `latest` (the newest stored run with the same label).

Imports nothing from pytest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .results import RunResult
from .store import RunFileError, read_run

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
