"""Replay's cost per task: N tasks whose agent makes one HTTP call (httpx) to a server on 127.0.0.1, run live,
then replayed from cassettes (`--eval-cassettes`, `--eval-record=none`); the target is <= 1 ms per task
over the live call. The record run (`--eval-record=all`) is printed too.

Per task = (pytest's in-process time of the case - the live run's, same round) / N; medians over rounds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

from harness import (
    ChildRun,
    QuietJsonHandler,
    Verdicts,
    add_common_arguments,
    machine_line,
    median,
    per_round_values,
    positive_int,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    serving,
    temp_project,
    write_suite,
)

MAX_ADDED_MS = 1.0


class _Answer(QuietJsonHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_json({"answer": "ok"})


@contextmanager
def loopback_server() -> Iterator[str]:
    """A server on 127.0.0.1 that answers every POST at once; yields its URL."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Answer)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/answer"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=500, help="tasks in the suite (default 500)")
    add_common_arguments(parser, rounds=3)
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"{args.tasks} tasks, one HTTP call each to 127.0.0.1; {args.rounds} rounds, medians\n")
    with temp_project("replay", args.keep) as root, loopback_server() as url:
        write_suite(root / "suite.jsonl", args.tasks)
        env = {"BENCH_URL": url}
        suite = ("--eval-suite=suite.jsonl", "--eval-concurrency=4")
        cases: dict[str, Callable[[], ChildRun]] = {
            "live": lambda: run_child(pytest_args(*suite), root, env),
            "record (--eval-record=all)": lambda: run_child(
                pytest_args(*suite, "--eval-cassettes=cassettes", "--eval-record=all"), root, env),
            "replay (--eval-record=none)": lambda: run_child(
                pytest_args(*suite, "--eval-cassettes=cassettes"), root, env),
        }
        cases["record (--eval-record=all)"]()  # the first replay needs its cassettes
        runs = run_rounds(cases, args.rounds)
    def added_ms(case: str) -> float:
        return median([(run.pytest_s - live.pytest_s) / args.tasks * 1000
                       for run, live in zip(runs[case], runs["live"], strict=True)])

    rows = [[name, seconds(median([run.pytest_s for run in each])), f"{added_ms(name):.3f}"]
            for name, each in runs.items()]
    print_table(["case", "in-process s", "added ms/task over live"], rows)
    print()
    verdicts = Verdicts()
    added = per_round_values(runs, lambda one: (one["replay (--eval-record=none)"].pytest_s - one["live"].pytest_s)
                             / args.tasks * 1000)
    verdicts.check_rounds("replay's cost per task over a live call to the loopback server", added, MAX_ADDED_MS,
                          " ms")
    return verdicts.exit_code(args.strict)


if __name__ == "__main__":
    sys.exit(main())
