"""The run journal `<store>/<run_id>.journal.jsonl`: reserved at session start (an exclusive link, so it is never
seen without its header), locked while its session lives, appended as results arrive, synced to disk by a
background thread every `SYNC_EVERY` results or `SYNC_SECONDS`, and read back by `agenteval recover`.
Pure: imports neither pytest nor the collect/run stages.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pytest_agenteval.results.build import build_run
from pytest_agenteval.results.journal_models import JournalEntry, JournalHeader
from pytest_agenteval.results.models import RunResult, TaskResult
from pytest_agenteval.results.store import (
    FILE_MODE,
    RunExistsError,
    RunFileError,
    create_temp_beside,
    open_regular_file,
    parse_json,
    read_run,
    run_path,
    sync_directory,
    write_run,
)

try:
    import fcntl
except ImportError:  # Windows: whether a session lives is read from the pid in the header instead
    fcntl = None  # type: ignore[assignment]

JOURNAL_SUFFIX = ".journal.jsonl"
SYNC_EVERY = 64  # results written but not yet synced that wake the sync thread early
SYNC_SECONDS = 1.0  # the longest a written result waits for its fsync
MAX_HEADER_BYTES = 1 << 20
JournalState = Literal["running", "orphaned"]


class RunReservedError(Exception):
    """Another session has this run id: it is running, or it was killed and left its journal."""


class StoreUnwritableError(Exception):
    """The store cannot take a journal: not a directory, read-only, full, or not ours to write."""


def journal_path(store: Path, run_id: str) -> Path:
    return store / f"{run_id}{JOURNAL_SUFFIX}"


def this_session() -> tuple[int, str]:
    """The process that writes the journal, and its host: the header's `pid` and `host`."""
    return os.getpid(), socket.gethostname()


class RunJournal:
    """The journal one session appends to. Only the controller (or the single process) writes one."""

    def __init__(self, path: Path, descriptor: int, size: int, sync_every: int, sync_seconds: float) -> None:
        self.path = path
        self.entries = 0  # lines written after the header
        self.error: str | None = None  # the first write or sync that failed; nothing is written after it
        self._fd: int | None = descriptor
        self._size = self._synced = size
        self._sync_every = sync_every
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._sync_loop, args=(sync_seconds,), daemon=True,
                                        name="agenteval-journal-sync")
        self._thread.start()

    @classmethod
    def reserve(cls, store: Path, header: JournalHeader, *, sync_every: int = SYNC_EVERY,
                sync_seconds: float = SYNC_SECONDS) -> RunJournal:
        """Create the journal with its header, or raise `RunReservedError`, `RunExistsError` (the run is stored
        already) or `StoreUnwritableError`."""
        try:
            store.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = "it is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
            raise StoreUnwritableError(f"{store}: cannot hold runs: {reason}") from None
        target = journal_path(store, header.run_id)
        line = header.model_dump_json().encode() + b"\n"
        descriptor = claim(store, target, line)
        stored = run_path(store, header.run_id)
        if stored.exists():
            os.unlink(target)
            os.close(descriptor)
            raise RunExistsError(f"{stored} already exists; runs are never overwritten, choose another id")
        return cls(target, descriptor, len(line), sync_every, sync_seconds)

    def append_task(self, task: TaskResult) -> None:
        self._write(b'{"task":' + TaskResult.__pydantic_serializer__.to_json(task) + b"}\n")

    def append_carried(self, task: TaskResult) -> None:
        self._write(b'{"carried":' + TaskResult.__pydantic_serializer__.to_json(task) + b"}\n")

    def append_invalid_record(self, message: str) -> None:
        self._write(JournalEntry(invalid_record=message).model_dump_json(exclude_none=True).encode() + b"\n")

    def _write(self, line: bytes) -> None:
        if self._fd is None or self.error is not None:
            return
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self.error = f"cannot append to {self.path}: {exc.strerror or exc}"
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)  # drop the torn line: the journal stays readable
            return
        self._size += len(line)
        self.entries += 1
        if self._size - self._synced and self.entries % self._sync_every == 0:
            self._wake.set()

    def _sync_loop(self, interval: float) -> None:
        while not self._stopping:
            self._wake.wait(interval)
            self._wake.clear()
            if not self._stopping:
                self._sync()

    def _sync(self) -> None:
        size, descriptor = self._size, self._fd
        if descriptor is None or size == self._synced:
            return
        try:
            os.fsync(descriptor)
        except OSError as exc:
            self.error = self.error or f"cannot sync {self.path}: {exc.strerror or exc}"
            return
        self._synced = size

    def close(self) -> None:
        """Sync what was written, then release the journal (and its lock); the file stays."""
        if self._fd is None:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self._sync()
        os.close(self._fd)
        self._fd = None

    def discard(self) -> None:
        """Close and remove the journal: its run is stored."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def claim(store: Path, target: Path, header_line: bytes) -> int:
    """A locked descriptor of `target`, which appears (linked from a synced temp file) with its header in it.
    The link is the reservation: it fails when the name exists."""
    try:
        temp = create_temp_beside(target)
    except OSError as exc:
        raise StoreUnwritableError(f"{store}: cannot write there: {exc.strerror or exc}") from None
    descriptor = -1
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        lock(descriptor)
        os.write(descriptor, header_line)
        os.fsync(descriptor)
        os.link(temp, target)
    except FileExistsError:
        os.close(descriptor)
        raise RunReservedError(describe_reserved(target)) from None
    except OSError as exc:
        if descriptor >= 0:
            os.close(descriptor)
        raise StoreUnwritableError(f"{store}: cannot write there: {exc.strerror or exc}") from None
    finally:
        os.unlink(temp)
    sync_directory(store)
    return descriptor


def lock(descriptor: int) -> None:
    """Hold the journal's lock for as long as this process lives; the kernel drops it when it dies (kill -9)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: the header's pid and host tell instead
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def describe_reserved(target: Path) -> str:
    try:
        state, header = journal_state(target), journal_header(target)
    except FileNotFoundError:  # that session finished in the meantime
        return f"{target} was taken by another session with this run id a moment ago; choose another id"
    except OSError as exc:
        return f"{target} exists and cannot be read ({exc.strerror or exc}); remove it or choose another id"
    if state == "running":
        who = f" (pid {header.pid} on {header.host})" if header else ""
        return f"{target} exists: a session with this run id is running{who}; choose another id"
    return (f"{target} exists: a session with this run id was stopped before it finished; "
            f"`agenteval recover {target.parent}` stores what it ran as a partial run, or choose another id")


def journal_header(path: Path) -> JournalHeader | None:
    """The header alone (the first line), without reading the results after it."""
    with os.fdopen(open_regular_file(path), "rb") as handle:
        return read_header(path, handle.readline(MAX_HEADER_BYTES), [])


def journal_state(path: Path) -> JournalState:
    """`running` while a live session holds the journal's lock; `orphaned` once that session is gone."""
    descriptor = open_regular_file(path)
    try:
        return "running" if held_elsewhere(descriptor, path, fcntl.LOCK_SH if fcntl else 0) else "orphaned"
    finally:
        os.close(descriptor)


def held_elsewhere(descriptor: int, path: Path, mode: int) -> bool:
    """Whether another process holds the lock; if not, this descriptor holds it (`mode`) until it is closed."""
    if fcntl is not None:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            pass  # no locks on this file system: ask the pid
        else:
            return False
    header = journal_header(path)
    return header is not None and session_alive(header)


def session_alive(header: JournalHeader) -> bool:
    """The header's process still runs (a session on another host is assumed alive: it cannot be asked)."""
    if header.host != socket.gethostname():
        return True
    try:
        os.kill(header.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@dataclass
class JournalContent:
    """What a journal holds, read back: results in the order the recorder kept them."""

    path: Path
    header: JournalHeader | None
    tasks: list[TaskResult] = field(default_factory=list)
    invalid_records: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path:line: why" for each line that could not be read
    modified: float = 0.0  # when the last line was written (the file's mtime)


def read_journal(path: Path) -> JournalContent:
    """Read a journal; a torn last line (the session died while writing it) is dropped, not fatal."""
    with os.fdopen(open_regular_file(path), "rb") as handle:
        return parse_journal(path, handle.read(), os.fstat(handle.fileno()).st_mtime)


def parse_journal(path: Path, data: bytes, modified: float) -> JournalContent:
    lines = data.split(b"\n")
    content = JournalContent(path, None, modified=modified)
    content.header = read_header(path, lines[0], content.problems)
    carried: dict[tuple[str, str, str | None], TaskResult] = {}
    new: dict[tuple[str, str, str | None], TaskResult] = {}  # a later attempt of an item (a rerun) replaces the earlier
    for number, line in enumerate(lines[1:-1], start=2):
        entry = read_entry(path, number, line, content.problems)
        if entry is None:
            continue
        if entry.carried is not None:
            carried[entry.carried.item_key] = entry.carried
        if entry.task is not None:
            carried.pop(entry.task.item_key, None)  # a result of this run replaces the resumed run's
            new[entry.task.item_key] = entry.task
        if entry.invalid_record is not None:
            content.invalid_records.append(entry.invalid_record)
    content.tasks = [*carried.values(), *new.values()]
    if lines[-1]:
        content.problems.append(f"{path}:{len(lines)}: torn last line dropped (the session died writing it)")
    return content


def read_header(path: Path, line: bytes, problems: list[str]) -> JournalHeader | None:
    try:
        return JournalHeader.model_validate(parse_json(line))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        problems.append(f"{path}:1: not a journal header: {first_line(exc)}")
        return None


def read_entry(path: Path, number: int, line: bytes, problems: list[str]) -> JournalEntry | None:
    if not line.strip():
        return None
    try:
        return JournalEntry.model_validate(parse_json(line))
    except (ValueError, RecursionError) as exc:
        problems.append(f"{path}:{number}: unreadable line skipped: {first_line(exc)}")
        return None


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def recovered_run(content: JournalContent) -> RunResult:
    """The partial run a journal holds: every result that had reported, the run's configuration, no gates
    (they judge complete runs only)."""
    header = content.header
    assert header is not None  # callers recover only journals with a header
    started = parse_time(header.created_at)
    duration = max(0.0, content.modified - started) * 1000 if started is not None else 0.0
    run = build_run(content.tasks, run_id=header.run_id, label=header.label, created_at=header.created_at,
                    duration_ms=duration, target=header.target, concurrency=header.concurrency, config=header.config,
                    invalid_records=content.invalid_records, partial=True, exit_status=None,
                    provenance=header.provenance)
    return run.model_copy(update={"resumed_from": header.resumed_from})


def parse_time(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def journals_in(store: Path) -> Iterable[Path]:
    return sorted(store.glob(f"*{JOURNAL_SUFFIX}"))


class RecoverError(Exception):
    """An orphaned journal that cannot become a run (yet): its session lives, or it has no header."""


def recover_journal(path: Path) -> list[str]:
    """Store the partial run an orphaned journal holds, then remove the journal; what was done, line by line.
    The journal stays locked meanwhile, so two recoveries never race."""
    descriptor = open_regular_file(path)
    try:
        if held_elsewhere(descriptor, path, fcntl.LOCK_EX if fcntl else 0):
            header = journal_header(path)
            who = f" (pid {header.pid} on {header.host})" if header else ""
            raise RecoverError(f"{path}: its session is still running{who}; nothing recovered")
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            content = parse_journal(path, handle.read(), os.fstat(descriptor).st_mtime)
        if content.header is None:
            raise RecoverError("; ".join(content.problems) + "; nothing recovered (the journal is left as it is)")
        done = store_recovered(content, path.parent)
        os.unlink(path)
        return [*content.problems, done]
    finally:
        os.close(descriptor)


def store_recovered(content: JournalContent, store: Path) -> str:
    header = content.header
    assert header is not None
    stored = run_path(store, header.run_id)
    if stored.exists():
        try:
            already = read_run(stored)
        except RunFileError as exc:
            raise RecoverError(f"{content.path}: {exc}; move that file away, then recover again") from None
        if already.run_id == header.run_id:
            return f"run {header.run_id} was stored already ({stored}): its journal is removed"
    if not content.tasks and not content.invalid_records:
        return f"run {header.run_id}: no result had reported: its journal is removed"
    target = write_run(recovered_run(content), store)
    return f"recovered run {header.run_id}: {len(content.tasks)} result(s) -> {target} (partial)"
