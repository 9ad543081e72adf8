"""The summary's replay lines: what the run's tasks did with their cassettes, and the cassette files no task
of the run used (stale recordings, or tasks this run did not select)."""

from __future__ import annotations

from collections import Counter

from pytest_agenteval.results.models import RunResult

SHOWN_FILES = 3


def replay_lines(run: RunResult) -> list[str]:
    """`replay: 40 replayed, 2 recorded, 1 missed; 3 unused recording(s) ...`, when the run used cassettes."""
    records = [task.replay for task in run.tasks if task.replay is not None]
    if not records:
        return []
    shown = ", ".join(f"{n} {status}" for status, n in Counter(record.status for record in records).items())
    unused = sum(record.unused for record in records)
    lines = [f"replay: {shown}" + (f"; {unused} unused recording(s) (stale cassettes?)" if unused else "")]
    files = run.unused_cassettes
    if files:
        more = ", ..." if len(files) > SHOWN_FILES else ""
        lines.append(f"cassette files no task of this run used: {len(files)} ({', '.join(files[:SHOWN_FILES])}{more})")
    return lines
