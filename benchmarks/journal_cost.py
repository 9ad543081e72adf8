"""What the run journal costs per task: the controller's handling of each result with and without the journal.

Over the same few thousand tasks, in interleaved rounds (min and median reported):
1. recorder: the real results of one run fed to `RunRecorder` as their reports would be, with no journal and
   with one (reserved in a temp store, synced by its thread, closed at the end), and the journal alone (every
   result appended, then closed): what the journal adds to each result, measured directly.
2. session: whole `pytest --eval-store` runs of the suite, with the journal and with it removed at configure
   (a `-p` plugin). Per-task cost = (wall with - wall without) / tasks, within a round. Noisy on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from harness import (
    ChildRun,
    Verdicts,
    add_common_arguments,
    machine_line,
    positive_int,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    temp_project,
    write_suite,
)

from pytest_agenteval.keys import REPORT_ATTR
from pytest_agenteval.recorder import RunRecorder
from pytest_agenteval.results.journal import RunJournal
from pytest_agenteval.results.journal_models import JournalHeader
from pytest_agenteval.results.models import RunConfig, TaskResult

TARGET_MS = 0.05
# Loaded with `-p journal_off`: the session runs as it would with the journal, minus the journal.
JOURNAL_OFF = '''
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    recorder = config.pluginmanager.get_plugin("agenteval-recorder")
    publisher = config.pluginmanager.get_plugin("agenteval-publisher")
    if recorder is not None and recorder.journal is not None:
        recorder.journal.discard()
        recorder.journal = publisher.journal = None
'''


def feed(payloads: list[dict[str, Any]], journal: RunJournal | None) -> float:
    """Seconds to record every payload as the controller does, the journal's final sync and close included."""
    reports = [SimpleNamespace(outcome="passed", **{REPORT_ATTR: payload}) for payload in payloads]
    recorder = RunRecorder(journal)
    started = time.perf_counter()
    for report in reports:
        recorder.pytest_runtest_logreport(cast(pytest.TestReport, report))
    if journal is not None:
        journal.discard()
    return time.perf_counter() - started


def append_only(results: list[TaskResult], journal: RunJournal) -> float:
    """Seconds the journal alone takes: every result appended, then the final sync and close."""
    started = time.perf_counter()
    for result in results:
        journal.append_task(result)
    journal.discard()
    return time.perf_counter() - started


def micro_rounds(payloads: list[dict[str, Any]], rounds: int) -> dict[str, list[float]]:
    """Per-task milliseconds of each case, one of each per round, the order rotating."""
    header = JournalHeader(run_id="bench", created_at="2026-01-01T00:00:00+00:00", config=RunConfig(), pid=0,
                           host="bench")
    results = [TaskResult.model_validate({**payload, "outcome": "passed"}) for payload in payloads]
    per_task: dict[str, list[float]] = {"recorder, no journal": [], "recorder + journal": [], "journal alone": []}
    with tempfile.TemporaryDirectory(prefix="agenteval-journal-") as store:
        stores = (Path(store) / str(index) for index in range(10**6))
        cases: dict[str, Callable[[], float]] = {
            "recorder, no journal": lambda: feed(payloads, None),
            "recorder + journal": lambda: feed(payloads, RunJournal.reserve(next(stores), header)),
            "journal alone": lambda: append_only(results, RunJournal.reserve(next(stores), header)),
        }
        names = list(cases)
        for index in range(rounds):
            for name in names[index % 3:] + names[:index % 3]:
                per_task[name].append(cases[name]() / len(payloads) * 1000)
    return per_task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=3000, help="tasks in the suite (default 3000)")
    parser.add_argument("--micro-rounds", type=positive_int, default=30,
                        help="rounds of the recorder measurement (default 30)")
    add_common_arguments(parser, rounds=3)
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"{args.tasks} tasks, instant agent, 3 scorers; {args.rounds} session rounds, {args.micro_rounds} "
          "recorder rounds, interleaved\n")
    with temp_project("journal", args.keep) as root:
        write_suite(root / "suite.jsonl", args.tasks)
        (root / "journal_off.py").write_text(JOURNAL_OFF)
        env = {"BENCH_SUITE": "suite.jsonl"}
        counter = iter(range(10**6))

        def session(*extra: str) -> Callable[[], ChildRun]:
            return lambda: run_child(pytest_args("--eval-suite=suite.jsonl", f"--eval-store=runs/{next(counter)}",
                                                 *extra), root, env)

        runs = run_rounds({"with journal": session(), "without journal": session("-p", "journal_off")},
                          args.rounds)
        stored = next((root / "runs").glob("*/*.json"))
        payloads = [{k: v for k, v in task.items() if k != "outcome"}
                    for task in json.loads(stored.read_text())["tasks"]]
    micro = micro_rounds(payloads, args.micro_rounds)
    session_cost = [(w.wall_s - wo.wall_s) / args.tasks * 1000
                    for w, wo in zip(runs["with journal"], runs["without journal"], strict=True)]
    rows = [[name, f"{min(values):.4f}", f"{statistics.median(values):.4f}"] for name, values in micro.items()]
    added = [min(micro["recorder + journal"]) - min(micro["recorder, no journal"]),
             statistics.median(micro["recorder + journal"]) - statistics.median(micro["recorder, no journal"])]
    rows.append(["recorder: journal added", f"{added[0]:.4f}", f"{added[1]:.4f}"])
    rows.append(["session: (with - without) / tasks", f"{min(session_cost):.4f}",
                 f"{statistics.median(session_cost):.4f}"])
    print_table(["per task, ms", "min", "median"], rows)
    walls = {name: statistics.median(run.wall_s for run in each) for name, each in runs.items()}
    print(f"\nsession wall, median: with journal {walls['with journal']:.2f} s, "
          f"without {walls['without journal']:.2f} s\n")
    verdicts = Verdicts()
    verdicts.check("journal cost per task (journal alone, median)", statistics.median(micro["journal alone"]),
                   TARGET_MS, " ms")
    return 1 if args.strict and verdicts.missed else 0


if __name__ == "__main__":
    sys.exit(main())
