"""The store: run JSON files written atomically and durably (never overwritten, mode 0666 & ~umask), read with
validation (only regular files, so a FIFO never hangs a reader), and the baseline (a run file, or `latest`: the
newest stored run with the same label) found among them.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pytest_agenteval.results.models import RunResult, TaskResult

FILE_MODE = 0o666  # what `open()` uses: the umask decides the final mode, as for any file the user writes
KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


class RunFileError(Exception):
    """A run file cannot be read: missing, not JSON, or not a run."""


class RunExistsError(FileExistsError):
    """A run with this id is already in the store."""


class NotRegularFileError(OSError):
    """The path names a directory, FIFO, device or socket: nothing a run (or a journal) is read from."""


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
    """Through a temp file beside the target, synced before it takes the target's name, so neither a reader
    nor a power cut ever sees half a run; a failed write leaves no file behind."""
    write_file_atomically(target, run_json(run), replace=replace)


TASKS_FIELD = b'\n  "tasks": [],\n'


def run_json(run: RunResult) -> Iterator[bytes]:
    """The run file's bytes (`to_json(run, indent=2)` and a newline), a task at a time: the whole run is never
    one buffer (tens of MB at 20,000 tasks, on top of the results)."""
    head = RunResult.__pydantic_serializer__.to_json(run.model_copy(update={"tasks": []}), indent=2)
    before, found, after = head.partition(TASKS_FIELD)
    if not found or not run.tasks:
        yield RunResult.__pydantic_serializer__.to_json(run, indent=2) + b"\n"
        return
    yield before + b'\n  "tasks": [\n'
    last = len(run.tasks) - 1
    for index, task in enumerate(run.tasks):  # JSON strings hold no raw newline: each one here is layout
        text = TaskResult.__pydantic_serializer__.to_json(task, indent=2)
        yield b"    " + text.replace(b"\n", b"\n    ") + (b",\n" if index < last else b"\n")
    yield b"  ],\n" + after + b"\n"


def write_file_atomically(target: Path, data: bytes | Iterable[bytes], *, replace: bool) -> None:
    """`data` (or its chunks) at `target` in full or not at all: temp file, fsync, then rename (or link, which
    never replaces)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = create_temp_beside(target)
    try:
        with open(temp, "wb") as handle:
            for chunk in [data] if isinstance(data, bytes) else data:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temp, target)
        else:
            os.link(temp, target)  # fails if the target appeared meanwhile, unlike os.replace
        sync_directory(target.parent)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def write_or_append(path: Path, data: bytes, *, append: bool) -> None:
    """A text file other than a run (the Markdown summary): replaced atomically (through a symlink, at its
    target), or appended to and cut back to its old size if the append fails; a FIFO or a device
    (`/dev/stdout`) is written as it is."""
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        regular = True
    if regular and not append:
        write_file_atomically(Path(os.path.realpath(path)), data, replace=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab" if append else "wb", buffering=0) as handle:
        size = handle.seek(0, os.SEEK_END) if regular else 0
        try:
            view = memoryview(data)
            while view:
                written = handle.write(view)
                if not written:
                    raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
                view = view[written:]
        except OSError:
            if regular:
                handle.truncate(size)
            raise


def create_temp_beside(target: Path) -> Path:
    """An empty new file next to `target`, created with `FILE_MODE` (tempfile.mkstemp would make it 0600)."""
    while True:
        temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE))
        except FileExistsError:
            continue
        return temp


def sync_directory(directory: Path) -> None:
    """Make a rename or link in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data itself was synced
    finally:
        os.close(descriptor)


def open_regular_file(path: Path) -> int:
    """A read-only descriptor of `path`, which must be a regular file. Never blocks: a FIFO is refused before
    it is opened, and opened without waiting for a writer if it appears in between."""
    kind = KINDS.get(stat.S_IFMT(os.stat(path).st_mode))
    if kind is not None:
        raise NotRegularFileError(f"{path}: not a regular file ({kind})")
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    kind = KINDS.get(stat.S_IFMT(os.fstat(descriptor).st_mode))
    if kind is not None:
        os.close(descriptor)
        raise NotRegularFileError(f"{path}: not a regular file ({kind})")
    return descriptor


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file (see `open_regular_file`)."""
    with os.fdopen(open_regular_file(path), "rb") as handle:
        return handle.read()


def parse_json(text: str | bytes) -> Any:
    """`json.loads`, with the errors hostile input causes turned into one `ValueError` that says what it was."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except ValueError:  # an integer beyond the interpreter's digit limit
        limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
        raise ValueError(f"not valid JSON: an integer has more than {limit} digits") from None


def read_run(path: Path) -> RunResult:
    """Load a run JSON; every problem becomes one `RunFileError` naming the file."""
    try:
        data = parse_json(read_regular_file(path).decode("utf-8-sig"))
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such run file") from None
    except NotRegularFileError as exc:
        raise RunFileError(str(exc)) from None
    except OSError as exc:
        raise RunFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RunFileError(f"{path}: not UTF-8: {exc.reason} at byte {exc.start}") from None
    except ValueError as exc:
        raise RunFileError(f"{path}: {exc}") from None
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise RunFileError(f"{path}: not a pytest-agenteval run: {where}: {first['msg']}") from None
    except RecursionError:
        raise RunFileError(f"{path}: not a pytest-agenteval run: nested too deeply") from None


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
