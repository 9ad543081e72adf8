"""The run journal: each result appended as it arrives (by the controller only), a header that holds what
`recover` needs, a torn last line dropped, files that follow the umask, and the journal gone once the run is
stored."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.results.journal import RunJournal, read_journal
from pytest_agenteval.results.journal_models import JournalHeader
from pytest_agenteval.results.models import RunConfig, TaskResult

# The agent of task "peek" copies the journal as it is at that moment, so a test sees what had been written.
PEEK_CONFTEST = '''
import os, pathlib, shutil, stat, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        if prompt == "peek":
            journal = next(pathlib.Path("runs").glob("*.journal.jsonl"))
            shutil.copyfile(journal, "peeked.jsonl")
            pathlib.Path("peeked-mode").write_text(oct(stat.S_IMODE(journal.stat().st_mode)))
        return prompt
    return agent
'''
DIST = pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])


def write_suite(path: Path, prompts: list[str]) -> None:
    path.write_text("".join(json.dumps({"task_id": p, "inputs": {"input": p}}) + "\n" for p in prompts))


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@DIST
def test_each_result_is_in_the_journal_as_it_arrives_and_the_journal_goes_once_the_run_is_stored(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    pytester.makeconftest(PEEK_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["a", "b", "c", "d", "peek"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1",
                                "--eval-concurrency=1", *dist)
    result.assert_outcomes(passed=5)
    header, *entries = journal_lines(pytester.path / "peeked.jsonl")
    assert header["run_id"] == "r1" and header["journal"] == "agenteval-journal/1"
    # While "peek" ran, results of items before it had been journaled, each once (one call runs ahead).
    journaled = [entry["task"]["task_id"] for entry in entries]
    assert len(journaled) == len(set(journaled)) and set(journaled) <= {"a", "b", "c", "d"}
    if not dist:
        assert journaled in (["a", "b", "c"], ["a", "b", "c", "d"])
    assert sorted(p.name for p in (pytester.path / "runs").iterdir()) == ["r1.json"]


def test_the_header_holds_what_recover_needs_to_build_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PEEK_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["peek"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=h1", "--eval-label=gpt-x",
                       "--eval-repeats=2", "--eval-concurrency=3", "--eval-fail-under=0.5").assert_outcomes(passed=2)
    header = JournalHeader.model_validate(journal_lines(pytester.path / "peeked.jsonl")[0])
    assert (header.run_id, header.label, header.concurrency, header.pid) == ("h1", "gpt-x", 3, os.getpid())
    assert (header.config.repeats, header.config.fail_under) == (2, ["0.5"])
    assert "--eval-label=gpt-x" in header.config.pytest_args
    stored = json.loads((pytester.path / "runs" / "h1.json").read_text())
    assert stored["created_at"] == header.created_at and stored["config"]["pytest_args"] == header.config.pytest_args


def test_invalid_suite_lines_are_journaled_too(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PEEK_CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "x"}\n{"task_id": "peek", "inputs": {"input": "peek"}}\n')
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    entries = journal_lines(pytester.path / "peeked.jsonl")[1:]
    assert [list(entry) for entry in entries] == [["invalid_record"]]
    assert entries[0]["invalid_record"].startswith("s.jsonl:1: ")


@pytest.fixture
def umask_027() -> Iterator[None]:
    previous = os.umask(0o027)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("umask_027")
def test_the_journal_run_and_markdown_follow_the_umask(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PEEK_CONFTEST)
    write_suite(pytester.path / "s.jsonl", ["peek"])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=m1",
                       "--eval-markdown=summary.md").assert_outcomes(passed=1)
    assert (pytester.path / "peeked-mode").read_text() == "0o640"
    for path in (pytester.path / "runs" / "m1.json", pytester.path / "summary.md"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def task(task_id: str) -> TaskResult:
    return TaskResult(task_id=task_id, base_task_id=task_id, inputs={"input": task_id}, suite="s.jsonl", line=1,
                      node_id=f"s.jsonl::{task_id}", verdict="passed")


def header(run_id: str) -> JournalHeader:
    return JournalHeader(run_id=run_id, created_at="2026-01-01T00:00:00+00:00", config=RunConfig(), pid=1, host="h")


def test_a_torn_last_line_is_dropped_and_the_results_before_it_are_read(tmp_path: Path) -> None:
    journal = RunJournal.reserve(tmp_path, header("t1"))
    for name in ("a", "b", "c"):
        journal.append_task(task(name))
    journal.close()
    with journal.path.open("ab") as handle:
        handle.write(b'{"task": {"task_id": "d", "inpu')  # the session died in the middle of this write
    content = read_journal(journal.path)
    assert [t.task_id for t in content.tasks] == ["a", "b", "c"]
    assert content.problems == [f"{journal.path}:5: torn last line dropped (the session died writing it)"]


def test_a_result_of_the_session_replaces_the_carried_result_of_the_same_item(tmp_path: Path) -> None:
    journal = RunJournal.reserve(tmp_path, header("t2"))
    journal.append_carried(task("a"))
    journal.append_carried(task("b").model_copy(update={"verdict": "error"}))
    journal.append_task(task("b"))
    journal.close()
    assert [(t.task_id, t.verdict) for t in read_journal(journal.path).tasks] == [("a", "passed"), ("b", "passed")]


def test_written_results_are_synced_by_the_background_thread(tmp_path: Path) -> None:
    journal = RunJournal.reserve(tmp_path, header("t3"), sync_every=2, sync_seconds=3600)
    journal.append_task(task("a"))
    journal.append_task(task("b"))  # the second unsynced result wakes the sync thread, long before an hour
    for _ in range(600):
        if journal._synced == journal._size:
            break
        time.sleep(0.05)
    assert journal._synced == journal._size
    journal.close()
    assert not journal._thread.is_alive()
