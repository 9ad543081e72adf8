"""The run file is written a task at a time, and its bytes are exactly pydantic's indented dump of the whole run:
with a baseline (whose changes hold a `tasks` list too), variants, hostile text, and no tasks at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agenteval.results.models import RunResult
from pytest_agenteval.results.store import read_run, run_json, write_run

from .html_runs import synthetic_run


def whole(run: RunResult) -> bytes:
    return RunResult.__pydantic_serializer__.to_json(run, indent=2) + b"\n"


@pytest.mark.parametrize("shape", ["plain", "variants and repeats", "hostile text", "baseline", "no tasks"])
def test_the_streamed_run_file_is_the_whole_dump_byte_for_byte(shape: str) -> None:
    if shape == "no tasks":
        run = synthetic_run(3).model_copy(update={"tasks": []})
    elif shape == "baseline":
        run = synthetic_run(12, run_id="now", base=synthetic_run(12, seed=1, run_id="before"))
        assert run.baseline is not None and run.baseline.tasks  # its own "tasks" list is in the dump
    else:
        run = synthetic_run(8, repeats=2 if shape != "plain" else 1,
                            variants=("a", "b") if shape == "variants and repeats" else (),
                            hostile=shape == "hostile text")
    chunks = list(run_json(run))
    assert b"".join(chunks) == whole(run)
    assert len(chunks) == (1 if not run.tasks else len(run.tasks) + 2)  # never the whole run in one buffer


def test_a_written_run_reads_back_equal(tmp_path: Path) -> None:
    run = synthetic_run(5, repeats=2, variants=("a", "b"), hostile=True)
    path = write_run(run, tmp_path)
    assert read_run(path) == run
    assert json.loads(path.read_bytes())["tasks"][0]["task_id"] == run.tasks[0].task_id
