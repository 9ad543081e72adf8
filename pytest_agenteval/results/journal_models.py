"""The run journal's models: its header line and its entries (`journal` reads and writes them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pytest_agenteval.results.models import Provenance, Record, RunConfig, TaskResult

JOURNAL_FORMAT: Literal["agenteval-journal/1"] = "agenteval-journal/1"


class JournalHeader(Record):
    """The first line of `<store>/<run_id>.journal.jsonl`: what `agenteval recover` needs to build the run,
    and which session writes the journal."""

    journal: Literal["agenteval-journal/1"] = JOURNAL_FORMAT
    run_id: str
    label: str | None = None
    created_at: str
    target: str | None = None
    concurrency: int = 1
    config: RunConfig = Field(default_factory=RunConfig)
    provenance: Provenance | None = None
    resumed_from: str | None = None
    pid: int  # the session's process, on `host`
    host: str


class JournalEntry(Record):
    """Every later line of a journal holds one of these: a result as it arrived, a result carried over from the
    resumed run, or a rejected suite line."""

    task: TaskResult | None = None
    carried: TaskResult | None = None
    invalid_record: str | None = None
